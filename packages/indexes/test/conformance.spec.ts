import { describeIndex } from '@embrec/core/testing';
import { addon, nativeAvailable } from '@embrec/native';
import { describe, expect, it } from 'vitest';
import { ExactIndex } from '../src/exact/exact.ts';
import { FaissIndexComponent, type FaissParams } from '../src/faiss/faiss.ts';
import { HnswIndex } from '../src/hnsw/hnsw.ts';

describeIndex('exact (ip)', () => new ExactIndex('ip'), { minRecall: 1 });
describeIndex('exact (cosine)', () => new ExactIndex('cosine'), { metric: 'cosine', minRecall: 1 });
describeIndex('exact (l2)', () => new ExactIndex('l2'), { metric: 'l2', minRecall: 1 });
describeIndex('exact (ip, JS blocks of 64)', () => new ExactIndex('ip', 64), { minRecall: 1 });

const hnsw = { M: 16, efConstruction: 100, efSearch: 64, seed: 1 };
describeIndex('hnsw (ip)', () => new HnswIndex('ip', hnsw), { minRecall: 0.9 });
describeIndex('hnsw (cosine)', () => new HnswIndex('cosine', hnsw), { metric: 'cosine', minRecall: 0.9 });
describeIndex('hnsw (l2)', () => new HnswIndex('l2', hnsw), { metric: 'l2', minRecall: 0.9 });

// FAISS (through the native binding): skipped, with a message, when the addon is not built
const faissOk = nativeAvailable() && typeof addon().FaissIndex === 'function';
if (!faissOk)
  console.warn(
    'faiss conformance skipped: @embrec/native is not built (node packages/native/scripts/install.mjs)',
  );
const faiss =
  (factory: string, extra: Partial<FaissParams> = {}) =>
  () =>
    new FaissIndexComponent(extra.metric ?? 'ip', {
      factory,
      trainSize: 0,
      trainSampling: 'random',
      seed: 1,
      filter: 'refill',
      ...extra,
    });
(faissOk ? describeIndex : skipIndex)('faiss Flat', faiss('Flat'), { minRecall: 1 });
(faissOk ? describeIndex : skipIndex)('faiss Flat (l2)', faiss('Flat', { metric: 'l2' }), {
  metric: 'l2',
  minRecall: 1,
});
(faissOk ? describeIndex : skipIndex)('faiss IVF16,Flat nprobe 8', faiss('IVF16,Flat', { nprobe: 8 }), {
  minRecall: 0.9,
});
(faissOk ? describeIndex : skipIndex)(
  'faiss IVF16,Flat (selectors)',
  faiss('IVF16,Flat', { nprobe: 8, filter: 'selector' }),
  { minRecall: 0.9 },
);
(faissOk ? describeIndex : skipIndex)(
  'faiss IVF16,PQ8x4fs,RFlat',
  faiss('IVF16,PQ8x4fs,RFlat', { nprobe: 8, kFactor: 8 }),
  { minRecall: 0.9 },
);
(faissOk ? describeIndex : skipIndex)(
  'faiss IVF16,PQ4np (cosine)',
  faiss('IVF16,PQ4np', { nprobe: 16, metric: 'cosine' }),
  {
    metric: 'cosine',
    minRecall: 0.5,
    exactScores: false,
    smallItems: 300,
  },
);
(faissOk ? describeIndex : skipIndex)('faiss HNSW16', faiss('HNSW16', { efSearch: 64 }), { minRecall: 0.9 });
(faissOk ? describeIndex : skipIndex)(
  'faiss HNSW16 (selectors)',
  faiss('HNSW16', { efSearch: 64, filter: 'selector' }),
  { minRecall: 0.9 },
);

/** Without the native addon the FAISS suites cannot run: skipped locally, a failure in CI. */
function skipIndex(name: string): void {
  describe(`index conformance: ${name}`, () => {
    it.skipIf(!process.env.CI)('needs the native addon (npm rebuild @embrec/native)', () => {
      expect.fail('the @embrec/native addon is not built, so the FAISS index cannot be tested');
    });
  });
}
