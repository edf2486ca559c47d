export { makeTestContext, makeTestCreateContext } from './context.ts';
export type { DescribeIndexOptions, IndexFixture } from './index-suite.ts';
export { describeIndex, makeIndexFixture } from './index-suite.ts';
