/**
 * Why hnswlib-node trails Python's hnswlib (issue 19): the same hnswlib headers (shipped inside
 * node_modules/hnswlib-node/src/hnswlib) compiled as a small C++ program twice — with the flags
 * hnswlib-node's binding.gyp gets (-O3, no -march: SSE only, hnswlib's USE_AVX off) and with
 * -O3 -march=native (what Python hnswlib's setup.py adds) — and hnswlib-node itself, on the same
 * n × d random vectors: single-threaded build seconds and batch-1 queries/s at efSearch 128, k 100;
 * then embrec's own binding of the same headers (@embrec/native hnsw*, what HnswIndex uses): batch 1
 * and 1 thread as above, and build / batch-256 search on 2 threads.
 *
 *   nice -n 10 node --conditions=source --import tsx bench/ann-hnswlib-flags.ts [--n 50000] [--d 128]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addon } from '@embrec/native';
import hnswlib from 'hnswlib-node';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): number => {
  const i = argv.indexOf(`--${name}`);
  return Number(i >= 0 ? argv[i + 1] : def);
};
const n = arg('n', '50000');
const d = arg('d', '128');
const nq = arg('nq', '1000');
const M = 16;
const efc = 100;
const ef = 128;
const k = 100;

const dir = mkdtempSync(path.join(tmpdir(), 'embrec-hnswflags-'));
let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 2 ** 32 - 0.5;
};
const data = Float32Array.from({ length: (n + nq) * d }, rand);
writeFileSync(path.join(dir, 'data.f32'), data);

const src = `#include <chrono>
#include <cstdio>
#include <vector>
#include "hnswlib/hnswlib.h"
int main(int argc, char** argv) {
  int n = ${n}, d = ${d}, nq = ${nq};
  std::vector<float> x((size_t)(n + nq) * d);
  FILE* f = fopen(argv[1], "rb"); fread(x.data(), 4, x.size(), f); fclose(f);
  hnswlib::InnerProductSpace space(d);
  hnswlib::HierarchicalNSW<float> index(&space, n, ${M}, ${efc}, 100);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; i++) index.addPoint(x.data() + (size_t)i * d, i);
  auto t1 = std::chrono::steady_clock::now();
  index.setEf(${ef});
  size_t sink = 0;
  for (int q = 0; q < nq; q++) sink += index.searchKnn(x.data() + (size_t)(n + q) * d, ${k}).size();
  auto t2 = std::chrono::steady_clock::now();
  double b = std::chrono::duration<double>(t1 - t0).count(), s = std::chrono::duration<double>(t2 - t1).count();
  printf("%.2f %.1f %zu\\n", b, nq / s, sink);
}
`;
writeFileSync(path.join(dir, 'bench.cc'), src);
const headers = path.join(
  path.dirname(createRequire(import.meta.url).resolve('hnswlib-node/package.json')),
  'src',
);
const results: string[] = [];
for (const [label, flags] of [
  ['C++ -O3 (hnswlib-node flags: SSE)', ['-O3']],
  ['C++ -O3 -march=native (AVX)', ['-O3', '-march=native']],
] as const) {
  const exe = path.join(dir, flags.length === 1 ? 'plain' : 'native');
  execFileSync('g++', [
    ...flags,
    '-std=c++17',
    '-I',
    headers,
    path.join(dir, 'bench.cc'),
    '-o',
    exe,
    '-lpthread',
  ]);
  const [b, q] = execFileSync(exe, [path.join(dir, 'data.f32')], { encoding: 'utf8' })
    .trim()
    .split(' ');
  results.push(`| ${label} | ${b} | ${q} |`);
  console.log(results.at(-1));
}
// hnswlib-node, as embrec's HnswIndex calls it: number[] per point and per query
const index = new hnswlib.HierarchicalNSW('ip', d);
index.initIndex({ maxElements: n, m: M, efConstruction: efc, randomSeed: 100 });
const row = new Array<number>(d);
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  for (let j = 0; j < d; j++) row[j] = data[i * d + j] as number;
  index.addPoint(row, i);
}
const t1 = performance.now();
index.setEf(ef);
for (let q = 0; q < nq; q++) {
  for (let j = 0; j < d; j++) row[j] = data[(n + q) * d + j] as number;
  index.searchKnn(row, k);
}
const t2 = performance.now();
results.push(
  `| hnswlib-node 3.0.0 | ${((t1 - t0) / 1000).toFixed(2)} | ${(nq / ((t2 - t1) / 1000)).toFixed(1)} |`,
);
console.log(results.at(-1));
// embrec's binding (the same headers, typed arrays, batches and threads)
const a = addon() as unknown as {
  hnswCreate(s: string, d: number, n: number, M: number, efc: number, seed: number): unknown;
  hnswAdd(h: unknown, v: Float32Array, n: number, threads: number): void;
  hnswSearch(h: unknown, q: Float32Array, nq: number, k: number, ef: number, threads: number): unknown;
};
for (const threads of [1, 2]) {
  const g = a.hnswCreate('ip', d, n, M, efc, 100);
  const b0 = performance.now();
  a.hnswAdd(g, data.subarray(0, n * d), n, threads);
  const b1 = performance.now();
  const batch = threads === 1 ? 1 : 256;
  for (let q = 0; q + batch <= nq; q += batch) {
    a.hnswSearch(g, data.subarray((n + q) * d, (n + q + batch) * d), batch, k, ef, threads);
  }
  const b2 = performance.now();
  const done = Math.floor(nq / batch) * batch;
  results.push(
    `| embrec native binding, ${threads} thread${threads === 1 ? '' : 's'} (search batch ${batch}) | ${((b1 - b0) / 1000).toFixed(2)} | ${(done / ((b2 - b1) / 1000)).toFixed(1)} |`,
  );
  console.log(results.at(-1));
}
console.log(
  `\n${n} × ${d}, M ${M}, efConstruction ${efc}, efSearch ${ef}, k ${k}, 1 thread\n| build | build s | q/s (batch 1) |\n|---|---|---|\n${results.join('\n')}`,
);
rmSync(dir, { recursive: true, force: true });
