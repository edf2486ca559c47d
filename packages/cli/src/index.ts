export { builtinRegistry } from './builtins.ts';
export { sweepReport } from './report.ts';
export { experimentJsonSchema } from './schema.ts';
