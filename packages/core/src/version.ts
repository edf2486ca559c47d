/**
 * The version of @embrec/core that plugins' `engines` ranges are checked against. Every embrec
 * package is released together at this version (their `meta.version`, `engines` and package.json
 * ranges derive from it; test/packaging/manifests.spec.ts checks the manifests agree).
 */
export const coreVersion = '0.1.0';
