export { makeTestContext, makeTestCreateContext } from './context.ts';
