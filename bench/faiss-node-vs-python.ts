/**
 * FAISS search from Node (@embrec/native's binding of Debian's FAISS 1.7.3) vs faiss in Python (pip
 * faiss-cpu), on the same index file and the same queries, in the same run.
 * Builds IVF and HNSW indexes once in Node over clustered synthetic vectors, writes them to files,
 * and has bench/peers/faiss_search.py read the same files (faiss.read_index). Both sides use the
 * same OpenMP thread count and search parameters; QPS at batch 1 and batch 256, best of 3 runs.
 *   node --conditions=source --import tsx bench/faiss-node-vs-python.ts [--n 200000] [--d 64] [--threads 1]
 *     [--faiss173 /tmp/faiss173]
 * Needs `pip install faiss-cpu numpy`. With --faiss173 DIR (made by
 * `pip install --target DIR faiss-cpu==1.7.3 "numpy<2"`) two more peers run: the same FAISS version
 * as the binding, with its generic build (FAISS_DISABLE_CPU_FEATURES=AVX2: the SIMD level of
 * Debian's libfaiss.a) and its AVX2 build. That separates the binding's own overhead from FAISS
 * version and SIMD differences.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaissIndex } from '@embrec/native';
import { peerPython, runPeer, sized } from './lib/smoke.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const faiss173 = process.argv.includes('--faiss173')
  ? process.argv[process.argv.indexOf('--faiss173') + 1]
  : undefined;
/** Python peers: the installed faiss, and optionally FAISS 1.7.3 wheels (generic and AVX2 builds). */
const base = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' }; // same pools as Node
const peers: { name: string; env: NodeJS.ProcessEnv }[] = [];
const withPeers = runPeer('faiss_search.py');
if (withPeers) peers.push({ name: 'pip', env: base });
if (faiss173 && withPeers) {
  const py = { ...base, PYTHONPATH: faiss173 };
  peers.push({ name: '1.7.3 generic', env: { ...py, FAISS_DISABLE_CPU_FEATURES: 'AVX2' } });
  peers.push({ name: '1.7.3 AVX2', env: py });
}
const n = sized(arg('n', 200_000), 5000);
const d = arg('d', 64);
const threads = arg('threads', 1);
const nq = sized(arg('queries', 10_240), 512);
const single = sized(arg('single', 1000), 50);
const batch = 256;
const k = 10;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** mulberry32 + Box-Muller: deterministic clustered data (1000 gaussian clusters). */
function makeRandom(seed: number) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}
function clustered(rows: number, centres: Float32Array, normal: () => number): Float32Array {
  const c = centres.length / d;
  const x = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const j = Math.floor(((normal() + 10) * 7919) % c);
    for (let t = 0; t < d; t++) x[i * d + t] = (centres[j * d + t] as number) + 0.4 * normal();
  }
  return x;
}

FaissIndex.setOmpThreads(threads); // loads the addon now, before the slow data generation
const normal = makeRandom(17);
const centres = Float32Array.from({ length: 1000 * d }, normal);
const data = clustered(n, centres, normal);
const queries = clustered(nq, centres, normal);
const dir = mkdtempSync(path.join(tmpdir(), 'embrec-faiss-bench-'));
writeFileSync(path.join(dir, 'queries.f32'), queries);

/** Best wall seconds of the repeats, and best process CPU seconds (robust to a loaded machine). */
function best(fn: () => void, repeats = 3): { wall: number; cpu: number } {
  fn(); // warm-up
  let wall = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, (performance.now() - t0) / 1000);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

interface Qps {
  qps1: number;
  qpsBatch: number;
  cpuQps1: number;
  cpuQpsBatch: number;
}
interface PeerResult extends Qps {
  name: string;
  faiss: string;
  agree: number;
}
interface Row {
  index: string;
  param: string;
  build: number;
  node: Qps;
  peers: PeerResult[];
}
const rows: Row[] = [];

const configs = [
  { desc: 'IVF1024,Flat', param: { nprobe: 16 }, trainN: 50_000 },
  { desc: 'HNSW32', param: { efSearch: 64 }, trainN: 0 },
];
for (const cfg of configs) {
  FaissIndex.setOmpThreads(Math.max(threads, 2)); // build with both cores
  const t0 = performance.now();
  const idx = FaissIndex.factory(d, cfg.desc, 'ip');
  if (cfg.trainN > 0) idx.train(data.subarray(0, cfg.trainN * d));
  idx.add(data);
  const build = (performance.now() - t0) / 1000;
  const file = path.join(dir, `${cfg.desc.replace(/,/g, '_')}.faiss`);
  idx.writeFile(file);
  FaissIndex.setOmpThreads(threads);

  const [pname, pvalue] = Object.entries(cfg.param)[0] as [string, number];
  let nodeLabels = new BigInt64Array(0);
  const nodeSingle = () => {
    for (let i = 0; i < single; i++) idx.search(queries.subarray(i * d, (i + 1) * d), k, cfg.param);
  };
  const nodeBatched = () => {
    nodeLabels = new BigInt64Array(nq * k);
    for (let s = 0; s < nq; s += batch) {
      const r = idx.search(queries.subarray(s * d, Math.min(nq, s + batch) * d), k, cfg.param);
      nodeLabels.set(r.labels, s * k);
    }
  };
  const labelsOut = path.join(dir, 'py-labels.i64');
  const python = (env: NodeJS.ProcessEnv) =>
    JSON.parse(
      execFileSync(
        peerPython(),
        [
          path.join(repoRoot, 'bench/peers/faiss_search.py'),
          ...[
            '--index',
            file,
            '--queries',
            path.join(dir, 'queries.f32'),
            '--d',
            String(d),
            '--k',
            String(k),
          ],
          ...['--param', `${pname}=${pvalue}`, '--single', String(single), '--batch', String(batch)],
          ...['--threads', String(threads), '--labels-out', labelsOut],
        ],
        { encoding: 'utf8', env },
      ),
    ) as Qps & { faiss: string };

  // Two interleaved rounds (Node, peers, Node, peers); each side keeps its best.
  const node: Qps = { qps1: 0, qpsBatch: 0, cpuQps1: 0, cpuQpsBatch: 0 };
  const keepBest = (into: Qps, from: Qps) => {
    for (const key of ['qps1', 'qpsBatch', 'cpuQps1', 'cpuQpsBatch'] as const)
      into[key] = Math.max(into[key], from[key]);
  };
  const results: PeerResult[] = peers.map((p) => ({
    name: p.name,
    faiss: '',
    qps1: 0,
    qpsBatch: 0,
    cpuQps1: 0,
    cpuQpsBatch: 0,
    agree: 0,
  }));
  for (let round = 0; round < 2; round++) {
    const s1 = best(nodeSingle);
    const sb = best(nodeBatched);
    keepBest(node, {
      qps1: single / s1.wall,
      qpsBatch: nq / sb.wall,
      cpuQps1: single / s1.cpu,
      cpuQpsBatch: nq / sb.cpu,
    });
    peers.forEach((peer, i) => {
      const p = python(peer.env);
      const r = results[i] as PeerResult;
      keepBest(r, p);
      r.faiss = p.faiss;
      const pyLabels = new BigInt64Array(readFileSync(labelsOut).buffer.slice(0));
      let same = 0;
      for (let j = 0; j < nodeLabels.length; j++) if (nodeLabels[j] === pyLabels[j]) same++;
      r.agree = same / nodeLabels.length;
    });
  }
  rows.push({ index: cfg.desc, param: `${pname}=${pvalue}`, build, node, peers: results });
  idx.dispose();
}
rmSync(dir, { recursive: true, force: true });

const f = (x: number) => x.toFixed(0);
console.log(
  `FAISS search, ${n} x ${d} clustered vectors (inner product), ${nq} queries, k=${k}, ${threads} OpenMP thread(s)`,
);
console.log(
  "Node: @embrec/native (FAISS 1.7.3, Debian libfaiss.a + the binding's AVX2 distance kernels); peers: Python faiss as listed",
);
console.log(
  '| index | param | batch | Node QPS | Python peer | peer QPS | Node / peer | Node / peer (CPU time) | same labels |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  for (const b of [1, batch]) {
    const nodeQps = b === 1 ? r.node.qps1 : r.node.qpsBatch;
    const nodeCpu = b === 1 ? r.node.cpuQps1 : r.node.cpuQpsBatch;
    for (const p of r.peers) {
      const peerQps = b === 1 ? p.qps1 : p.qpsBatch;
      const peerCpu = b === 1 ? p.cpuQps1 : p.cpuQpsBatch;
      console.log(
        `| ${r.index} | ${r.param} | ${b} | ${f(nodeQps)} | ${p.name} (${p.faiss}) | ${f(peerQps)} | ${(nodeQps / peerQps).toFixed(2)} | ${(nodeCpu / peerCpu).toFixed(2)} | ${(100 * p.agree).toFixed(1)}% |`,
      );
    }
    if (r.peers.length === 0)
      console.log(`| ${r.index} | ${r.param} | ${b} | ${f(nodeQps)} | none | – | – | – | – |`);
  }
}
console.log(
  `Node build time (2 threads): ${rows.map((r) => `${r.index} ${r.build.toFixed(1)} s`).join(', ')}`,
);
