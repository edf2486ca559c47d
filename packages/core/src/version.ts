/** The version of @embrec/core that plugins' `engines` ranges are checked against. */
export const coreVersion = '0.1.0';
