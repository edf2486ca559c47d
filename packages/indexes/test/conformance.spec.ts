import { describeIndex } from '@embrec/core/testing';
import { ExactIndex } from '../src/exact/exact.ts';
import { HnswIndex } from '../src/hnsw/hnsw.ts';

describeIndex('exact (ip)', () => new ExactIndex('ip'), { minRecall: 1 });
describeIndex('exact (cosine)', () => new ExactIndex('cosine'), { metric: 'cosine', minRecall: 1 });
describeIndex('exact (l2)', () => new ExactIndex('l2'), { metric: 'l2', minRecall: 1 });
describeIndex('exact (ip, JS blocks of 64)', () => new ExactIndex('ip', 64), { minRecall: 1 });

const hnsw = { M: 16, efConstruction: 100, efSearch: 64, seed: 1 };
describeIndex('hnsw (ip)', () => new HnswIndex('ip', hnsw), { minRecall: 0.9 });
describeIndex('hnsw (cosine)', () => new HnswIndex('cosine', hnsw), { metric: 'cosine', minRecall: 0.9 });
describeIndex('hnsw (l2)', () => new HnswIndex('l2', hnsw), { metric: 'l2', minRecall: 0.9 });
