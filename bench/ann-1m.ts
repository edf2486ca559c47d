/**
 * ANN benchmark (issue 6): 1,000,000 × 128 item vectors from /work/shared/bench/ann_anchor.py's
 * mixture (written once by bench/peers/ann_peer.py to bench/.cache, read by both sides), k = 100.
 * embrec's indexes (exact = native SGEMM + heap; faiss = @embrec/native's FAISS 1.7.3; hnsw =
 * hnswlib through our binding, hnswlib-node as fallback) against faiss and hnswlib in Python on the same vectors and queries, in the same run.
 *
 *   nice -n 10 node --conditions=source --import tsx bench/ann-1m.ts [--n 1000000] [--nlist 4096]
 *     [--skip hnsw,ivfpq,peers] [--min-time 0.5] [--nq 2000] [--nq-eval 1000] [--kfactor 4,16]
 *
 * Prints one row per setting (recall@100 against exact; QPS per mode; wall and CPU-time-normalised,
 * since the machine is shared), the best setting at recall ≥ 0.95 per mode for both sides, the
 * auto-tuner's pick, and the exact-search bounds; then, for every library's recall–QPS curve (per
 * mode, wall QPS), the QPS at equal recall@100 = 0.90 / 0.95 / 0.99 (log-QPS interpolated between
 * neighbouring points of the curve's monotone front, never extrapolated: "not reached" above the
 * curve, "≥" when every point is above the target) and the curves as a plot (recall x, log QPS y).
 * Results: bench/results/ann-<n>.{json,md} and bench/results/ann-<n>-frontier.{svg,png}.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IndexComponent, npyBytes, Rng } from '@embrec/core';
import {
  autoTune,
  EQUAL_RECALL_TARGETS,
  ExactIndex,
  equalRecallMarkdown,
  equalRecallRows,
  FaissIndexComponent,
  HnswIndex,
  percentile,
  readNpyTable,
  recallAtK,
  type SweepRow,
  writeSweepPlot,
} from '@embrec/indexes';
import { faissVersion, setThreads } from '@embrec/native';
import { peerPython, runPeer, sized, smoke } from './lib/smoke.ts';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] as string) : def;
};
const n = sized(Number(arg('n', '1000000')), 2000);
const d = sized(Number(arg('d', '128')), 16);
const nq = sized(Number(arg('nq', '2000')), 300);
const nqEval = sized(Number(arg('nq-eval', '1000')), 100);
const nlistArg = Number(
  arg('nlist', n >= 1_000_000 ? '4096' : String(2 ** Math.round(Math.log2(3 * Math.sqrt(n))))),
);
const nlist = sized(nlistArg, Math.min(nlistArg, 32));
const minTime = sized(Number(arg('min-time', '0.5')), 0.01);
const skip = new Set(arg('skip', '').split(',').filter(Boolean));
const nprobes = arg('nprobe', '16,32,64,128,256').split(',').map(Number);
const efs = arg('ef', '128,256,512').split(',').map(Number);
const efc = Number(arg('efc', '200'));
// IVF-PQ fast-scan + refine: the refine stage re-ranks kFactor · k candidates exactly
const kFactors = arg('kfactor', '4').split(',').map(Number);
const MODES = arg('modes', 'b1_1t,b256_1t,b256_2t').split(',');
const k = 100;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// a smoke run writes its data, indexes and results in a temporary folder, never in bench/
const cache = smoke
  ? mkdtempSync(path.join(tmpdir(), 'embrec-ann-smoke-'))
  : path.join(repo, 'bench', '.cache');
const resultsDir = smoke ? cache : path.join(repo, 'bench', 'results');
const tag = `n${n}_d${d}_q${nq}_K1000_s1234`;
const dataDir = path.join(cache, `ann_${tag}`);
const peerArgs = [
  '--n',
  String(n),
  '--d',
  String(d),
  '--nq',
  String(nq),
  '--nq-eval',
  String(nqEval),
  '--nlist',
  String(nlist),
  '--cache',
  cache,
];

// ---------------------------------------------------------------- data (written once by the peer)
if (smoke) writeSmokeData();
else if (!existsSync(path.join(dataDir, 'gt.npy'))) {
  execFileSync(peerPython(), [path.join(repo, 'bench/peers/ann_peer.py'), 'data', ...peerArgs], {
    stdio: 'inherit',
  });
}
const items = await readNpyTable(path.join(dataDir, 'xb.npy'));
const queries = (await readNpyTable(path.join(dataDir, 'xq.npy'))).vectors;
const gt = readInt32Npy(path.join(dataDir, 'gt.npy'), nq * 100);
const truth = new Int32Array(nqEval * k);
for (let q = 0; q < nqEval; q++) truth.set(gt.subarray(q * 100, q * 100 + k), q * k);
console.log(
  `[data] ${items.ids.size} × ${items.dim}, ${nq} queries (${nqEval} for recall), k = ${k}, nlist = ${nlist}`,
);

// ---------------------------------------------------------------- timing (wall and CPU time)
interface Row extends SweepRow {
  readonly lib: string;
  readonly cpuQps: Readonly<Record<string, number>>;
  readonly wallQps: Readonly<Record<string, number>>;
  readonly p99b1: number;
}
const rows: Row[] = [];

function time(index: IndexComponent, batch: number, threads: number, params: Record<string, number>) {
  const b = batch;
  index.search(queries.subarray(0, b * d), k, { params, threads });
  const lat: number[] = [];
  let done = 0;
  let pos = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (;;) {
    if (pos + b > nq) pos = 0;
    const s = performance.now();
    index.search(queries.subarray(pos * d, (pos + b) * d), k, { params, threads });
    const e = performance.now();
    lat.push(e - s);
    done += b;
    pos += b;
    if ((e - t0) / 1000 >= minTime && lat.length >= 5) break;
  }
  const wall = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const cpu = (cu.user + cu.system) / 1e6;
  return {
    qps: done / wall,
    cpuQps: done / (cpu / threads),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
  };
}

function measure(
  lib: string,
  name: string,
  index: IndexComponent,
  params: Record<string, number>,
  buildMs: number,
): Row {
  const res = index.search(queries.subarray(0, nqEval * d), k, { params, threads: 2 });
  const recall = recallAtK(res.ids, truth, nqEval, k);
  const wallQps: Record<string, number> = {};
  const cpuQps: Record<string, number> = {};
  let p50 = Number.NaN;
  let p99 = Number.NaN;
  for (const m of MODES) {
    const batch = m.startsWith('b1_') ? 1 : 256;
    const threads = Number(m.at(-2));
    const t = time(index, batch, threads, params);
    wallQps[m] = t.qps;
    cpuQps[m] = t.cpuQps;
    if (m === 'b1_1t') {
      p50 = t.p50;
      p99 = t.p99;
    }
  }
  const row: Row = {
    lib,
    index: name,
    params,
    k,
    batch: 1,
    threads: 1,
    recall,
    qps: wallQps.b1_1t ?? 0,
    p50Ms: p50,
    p99Ms: p99,
    p99b1: p99,
    buildMs,
    memoryBytes: index.stats().memoryBytes,
    wallQps,
    cpuQps,
  };
  rows.push(row);
  const p = Object.entries(params)
    .map(([a, b]) => `${a}=${b}`)
    .join(',');
  console.log(
    `[embrec] ${name.padEnd(26)} ${p.padEnd(16)} R@100=${recall.toFixed(4)} ` +
      MODES.map((m) => `${m}=${(wallQps[m] ?? 0).toFixed(0)}/${(cpuQps[m] ?? 0).toFixed(0)}`).join(' ') +
      ` p99(b1)=${p99.toFixed(2)}ms`,
  );
  return row;
}

/** Builds (or loads from bench/.cache) one embrec index. */
async function cachedIndex(
  name: string,
  make: () => IndexComponent,
): Promise<{ index: IndexComponent; buildMs: number }> {
  const dir = path.join(dataDir, `embrec_${name.replace(/[^A-Za-z0-9]+/g, '_')}`);
  const index = make();
  if (existsSync(path.join(dir, 'meta.json'))) {
    await index.load(dir);
    console.log(`[build] ${name}: loaded from ${dir}`);
  } else {
    const t0 = performance.now();
    setThreads(2); // builds use both cores, as the Python peer's do
    await index.build(items);
    console.log(`[build] ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await index.save(dir);
  }
  return { index, buildMs: index.stats().buildMs };
}

// ---------------------------------------------------------------- embrec
const tStart = performance.now();
if (!skip.has('exact')) {
  const exact = new ExactIndex('ip');
  await exact.build(items);
  measure('embrec', 'exact (native sgemm+heap)', exact, {}, exact.stats().buildMs);
  exact.dispose();
}
// the FAISS the addon links: Debian's 1.7.3, or a source tree (EMBREC_FAISS_SRC at build time); a newer
// one gets its own rows and its own cached indexes, so both can be measured against the same peers
const faissTag = faissVersion() === '1.7.3' ? '' : ` [FAISS ${faissVersion()}]`;
console.log(`[embrec] FAISS ${faissVersion()}`);
const faissOpts = {
  trainSize: 64 * nlist,
  trainSampling: 'random' as const,
  seed: 1234,
  filter: 'refill' as const,
};
if (!skip.has('ivfflat')) {
  const f = `IVF${nlist},Flat`;
  const { index, buildMs } = await cachedIndex(
    f + faissTag,
    () => new FaissIndexComponent('ip', { factory: f, ...faissOpts }),
  );
  for (const p of nprobes) measure('embrec', f + faissTag, index, { nprobe: p }, buildMs);
  index.dispose();
}
if (!skip.has('ivfpq')) {
  const f = `IVF${nlist},PQ${d / 4}x4fs,RFlat`;
  const { index, buildMs } = await cachedIndex(
    f + faissTag,
    () => new FaissIndexComponent('ip', { factory: f, ...faissOpts }),
  );
  for (const kFactor of kFactors)
    for (const p of nprobes) measure('embrec', f + faissTag, index, { nprobe: p, kFactor }, buildMs);
  index.dispose();
}
if (!skip.has('hnsw')) {
  const f = 'HNSW32';
  // index_factory's HNSW32 builds with efConstruction 40; the Python peer builds its FAISS HNSW the same way
  const { index, buildMs } = await cachedIndex(
    `faiss ${f} efc40${faissTag}`,
    () => new FaissIndexComponent('ip', { factory: f, ...faissOpts }),
  );
  for (const ef of efs) measure('embrec', `faiss ${f} efc40${faissTag}`, index, { efSearch: ef }, buildMs);
  index.dispose();
}
if (!skip.has('hnswlib')) {
  const { index, buildMs } = await cachedIndex(
    `hnswlib M32 efc${efc} (embrec binding)`,
    () => new HnswIndex('ip', { M: 32, efConstruction: efc, efSearch: 128, seed: 100 }),
  );
  for (const ef of efs) measure('embrec', 'hnswlib M=32 (embrec binding)', index, { efSearch: ef }, buildMs);
  index.dispose();
}
console.log(`[embrec] done in ${((performance.now() - tStart) / 1000).toFixed(0)} s`);

// ---------------------------------------------------------------- Python peers, same run
interface PeerRow {
  lib: string;
  method: string;
  params: string;
  recall: number;
  build_s: number;
  [mode: string]: number | string;
}
let peers: PeerRow[] = [];
if (!skip.has('peers') && runPeer('ann_peer.py')) {
  const out = path.join(cache, `peers_${tag}.json`);
  const pSkip = [...skip]
    .filter((s) => ['exact', 'ivfflat', 'ivfpq', 'hnsw', 'hnswlib'].includes(s))
    .join(',');
  execFileSync(
    peerPython(),
    [
      path.join(repo, 'bench/peers/ann_peer.py'),
      'peers',
      ...peerArgs,
      '--out',
      out,
      '--nprobe',
      nprobes.join(','),
      '--ef',
      efs.join(','),
      '--efc',
      String(efc),
      '--kfactor',
      kFactors.join(','),
      '--modes',
      MODES.join(','),
      '--min-time',
      String(minTime),
      '--skip',
      pSkip,
    ],
    { stdio: 'inherit' },
  );
  peers = JSON.parse(readFileSync(out, 'utf8')) as PeerRow[];
}

// ---------------------------------------------------------------- report
const L: string[] = [];
L.push(
  `### n = ${n.toLocaleString('en')}, d = ${d}, k = ${k} (${nqEval} recall queries; nlist ${nlist}; HNSW M 32, efConstruction: hnswlib ${efc}, FAISS 40)`,
  '',
);
L.push(`QPS as wall / CPU-time-normalised (queries ÷ (CPU seconds ÷ threads)); the machine was shared.`, '');
L.push(`| lib | index | params | R@100 | ${MODES.join(' | ')} | p99 b1 ms | build s |`);
L.push(`|---|---|---|---|${MODES.map(() => '---|').join('')}---|---|`);
const cell = (w: number | undefined, c: number | undefined) =>
  `${(w ?? 0).toFixed(0)} / ${(c ?? 0).toFixed(0)}`;
for (const r of rows) {
  const p = Object.entries(r.params)
    .map(([a, b]) => `${a}=${b}`)
    .join(',');
  L.push(
    `| embrec | ${r.index} | ${p} | ${r.recall.toFixed(3)} | ${MODES.map((m) => cell(r.wallQps[m], r.cpuQps[m])).join(' | ')} | ${r.p99b1.toFixed(2)} | ${(r.buildMs / 1000).toFixed(0)} |`,
  );
}
for (const r of peers) {
  L.push(
    `| ${r.lib} (Python) | ${r.method} | ${r.params} | ${r.recall.toFixed(3)} | ${MODES.map((m) => cell(r[`qps_${m}`] as number, r[`cpuqps_${m}`] as number)).join(' | ')} | – | ${r.build_s.toFixed(0)} |`,
  );
}
L.push('', '**Best at recall@100 ≥ 0.95, per mode** (CPU-normalised QPS in brackets)', '');
L.push(`| mode | embrec | faiss-Python | ratio (wall) | ratio (CPU) |`, '|---|---|---|---|---|');
for (const m of MODES) {
  const e = rows.filter((r) => r.recall >= 0.95).sort((a, b) => (b.cpuQps[m] ?? 0) - (a.cpuQps[m] ?? 0))[0];
  const f = peers
    .filter((r) => r.recall >= 0.95 && r.lib === 'faiss')
    .sort((a, b) => (b[`cpuqps_${m}`] as number) - (a[`cpuqps_${m}`] as number))[0];
  const es = e
    ? `${(e.wallQps[m] ?? 0).toFixed(0)} (${(e.cpuQps[m] ?? 0).toFixed(0)}) ${e.index} ${JSON.stringify(e.params)}`
    : 'none';
  const fs = f
    ? `${(f[`qps_${m}`] as number).toFixed(0)} (${(f[`cpuqps_${m}`] as number).toFixed(0)}) ${f.method} ${f.params}`
    : 'none';
  const rw = e && f ? ((e.wallQps[m] ?? 0) / (f[`qps_${m}`] as number)).toFixed(2) : '–';
  const rc = e && f ? ((e.cpuQps[m] ?? 0) / (f[`cpuqps_${m}`] as number)).toFixed(2) : '–';
  L.push(`| ${m} | ${es} | ${fs} | ${rw} | ${rc} |`);
}
const approx = rows.filter((r) => !r.index.startsWith('exact'));
const tuned = await autoTune(
  approx.map((r) => ({ ...r, qps: r.cpuQps.b1_1t ?? 0 })),
  0.95,
  { batch: 1, threads: 1 },
);
const bestB1 = Math.max(0, ...approx.filter((r) => r.recall >= 0.95).map((r) => r.cpuQps.b1_1t ?? 0));
if (tuned.best) {
  L.push(
    '',
    `Auto-tune (target 0.95, batch 1, 1 thread): ${tuned.best.index} ${JSON.stringify(tuned.best.params)} at ${tuned.best.qps.toFixed(0)} q/s (CPU) = ${((tuned.best.qps / bestB1) * 100).toFixed(0)} % of the best measured; its p99 single-query latency ${(tuned.best as Row).p99b1?.toFixed(2)} ms.`,
  );
}
if (tuned.best && tuned.frontierQps !== undefined) {
  L.push(
    `Its QPS against its own curve interpolated at 0.95: ${((tuned.best.qps / tuned.frontierQps) * 100).toFixed(0)} %.`,
  );
}

// every library's curve per mode (wall QPS), read at equal recall, and plotted
const curves: SweepRow[] = [];
for (const m of MODES) {
  const batch = m.startsWith('b1_') ? 1 : 256;
  const threads = Number(m.at(-2));
  for (const r of rows) {
    curves.push({ ...r, index: `embrec ${r.index}`, batch, threads, qps: r.wallQps[m] ?? 0 });
  }
  for (const r of peers) {
    curves.push({
      index: `${r.lib}-Python ${r.method}`,
      params: {},
      k,
      batch,
      threads,
      recall: r.recall,
      qps: r[`qps_${m}`] as number,
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
      buildMs: r.build_s * 1000,
      memoryBytes: 0,
    });
  }
}
const plot = await writeSweepPlot(
  curves.filter((r) => !r.index.includes('exact')),
  path.join(resultsDir, `ann-${n}-frontier`),
  { title: `${n.toLocaleString('en')} × ${d}: recall@${k} vs QPS (wall), every library and mode` },
);
L.push(
  '',
  `**QPS at equal recall@${k}** (${EQUAL_RECALL_TARGETS.join(' / ')}; wall QPS, log-QPS interpolated on each curve; "≥": every point above the target; plot: ${path.relative(repo, plot.svg)})`,
  '',
  equalRecallMarkdown(equalRecallRows(curves), k).trimEnd(),
);
const md = `${L.join('\n')}\n`;
console.log(`\n${md}`);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, `ann-${n}.md`), md);
writeFileSync(path.join(resultsDir, `ann-${n}.json`), JSON.stringify({ rows, peers }, null, 1));

/** Smoke run: Gaussian items and queries and their exact top 100 (by inner product), no Python. */
function writeSmokeData(): void {
  const rng = new Rng(1234);
  const gauss = (count: number) => Float32Array.from({ length: count * d }, () => rng.normal());
  const xb = gauss(n);
  const xq = gauss(nq);
  const gt = new Int32Array(nq * 100);
  for (let q = 0; q < nq; q++) {
    const s = Array.from({ length: n }, (_, i) => {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += xq[q * d + j]! * xb[i * d + j]!;
      return dot;
    });
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s[b]! - s[a]!);
    gt.set(order.slice(0, 100), q * 100);
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'xb.npy'), npyBytes(xb, [n, d]));
  writeFileSync(path.join(dataDir, 'xq.npy'), npyBytes(xq, [nq, d]));
  writeFileSync(path.join(dataDir, 'gt.npy'), npyBytes(gt, [nq, 100]));
}

function readInt32Npy(p: string, count: number): Int32Array {
  const buf = readFileSync(p);
  const hl = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + hl);
  if (!header.includes("'<i4'")) throw new Error(`${p}: expected int32 .npy, header ${header}`);
  const out = new Int32Array(count);
  new Uint8Array(out.buffer).set(buf.subarray(10 + hl, 10 + hl + count * 4));
  return out;
}
if (smoke) rmSync(cache, { recursive: true, force: true });
