import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry as MetricsRegistry } from 'prom-client';

/**
 * `embrec serve --workers N`: node:cluster runs N worker processes, each a full server over the same
 * bundle, sharing one listening socket (the primary accepts connections and hands them out round
 * robin). The primary serves nothing itself; it
 * - starts the workers and says where they listen once all are ready (a worker that fails to start
 *   stops the others: nothing is served);
 * - coordinates hot reload: the worker that receives POST /admin/reload asks the primary, which has
 *   every worker load and swap the bundle and answers with each worker's outcome, so the reply comes
 *   after every worker serves the new version;
 * - sums the workers' Prometheus metrics for /metrics (prom-client's AggregatorRegistry);
 * - replaces a worker that dies (it loads the bundle served last), and on SIGTERM/SIGINT has each
 *   worker close its server (in-flight requests finish) before it exits.
 */

/** One worker's outcome of a bundle swap. */
export type SwapResult =
  | { readonly ok: true; readonly previous: string; readonly version: string; readonly bundle: string }
  | { readonly ok: false; readonly message: string };

/** What a worker tells the primary when it listens. */
export interface WorkerReady {
  readonly address: string;
  readonly version: string;
  /** Lines describing the served pipeline (the primary prints the first worker's). */
  readonly banner: string;
}

type ToPrimary =
  | ({ readonly type: 'embrec:ready' } & WorkerReady)
  | { readonly type: 'embrec:reload'; readonly id: number; readonly dir: string }
  | { readonly type: 'embrec:swapped'; readonly id: string; readonly result: SwapResult }
  | { readonly type: 'embrec:metrics'; readonly id: number };

type ToWorker =
  | { readonly type: 'embrec:swap'; readonly id: string; readonly dir: string }
  | { readonly type: 'embrec:reloaded'; readonly id: number; readonly results: readonly SwapResult[] | null }
  | { readonly type: 'embrec:metrics'; readonly id: number; readonly text?: string; readonly error?: string }
  | { readonly type: 'embrec:shutdown' };

const isMessage = (m: unknown): m is { type: string } =>
  typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';

/** The worker's side of the cluster (createServer's `worker` option). */
export interface WorkerLink {
  /** The worker's id (1..), sent as the `x-embrec-worker` response header. */
  readonly id: number;
  /** Has every worker swap in the bundle at `dir`; null when another reload is running. */
  reloadAll(dir: string): Promise<readonly SwapResult[] | null>;
  /** Every worker's metrics, summed by the primary. */
  metrics(): Promise<string>;
  /** Called when the primary asks this worker to swap in a bundle. */
  onSwap(swap: (dir: string) => Promise<SwapResult>): void;
  /** Called when the primary asks this worker to shut down. */
  onShutdown(stop: () => void): void;
  /** Tells the primary this worker listens. */
  ready(info: WorkerReady): void;
}

/** Connects a worker to the primary; `registry` is the worker's metrics (summed by the primary). */
export function workerLink(registry: MetricsRegistry): WorkerLink {
  if (!cluster.isWorker || !cluster.worker || typeof process.send !== 'function')
    throw new Error('workerLink() runs in a node:cluster worker only');
  // prom-client answers the primary's metric requests from the registries set here
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const send = (m: ToPrimary) => process.send!(m);
  let next = 0;
  const pending = new Map<number, (m: ToWorker) => void>();
  let swap: ((dir: string) => Promise<SwapResult>) | undefined;
  let stop: (() => void) | undefined;
  process.on('message', (m: unknown) => {
    if (!isMessage(m)) return;
    const msg = m as ToWorker;
    if (msg.type === 'embrec:swap') {
      const run = swap ?? (async () => ({ ok: false as const, message: 'the worker is not serving yet' }));
      void run(msg.dir).then((result) => send({ type: 'embrec:swapped', id: msg.id, result }));
    } else if (msg.type === 'embrec:reloaded' || msg.type === 'embrec:metrics') {
      pending.get(msg.id)?.(msg);
      pending.delete(msg.id);
    } else if (msg.type === 'embrec:shutdown') stop?.();
  });
  const ask = (m: ToPrimary & { id: number }) =>
    new Promise<ToWorker>((resolve) => {
      pending.set(m.id, resolve);
      send(m);
    });
  return {
    id: cluster.worker.id,
    async reloadAll(dir) {
      const r = await ask({ type: 'embrec:reload', id: next++, dir });
      return r.type === 'embrec:reloaded' ? r.results : null;
    },
    async metrics() {
      const r = await ask({ type: 'embrec:metrics', id: next++ });
      if (r.type !== 'embrec:metrics' || r.text === undefined)
        throw new Error(`the workers' metrics could not be collected: ${(r as { error?: string }).error}`);
      return r.text;
    },
    onSwap(f) {
      swap = f;
    },
    onShutdown(f) {
      stop = f;
    },
    ready(info) {
      send({ type: 'embrec:ready', ...info });
    },
  };
}

export interface PrimaryOptions {
  readonly workers: number;
  /** The bundle folder the workers serve (passed to each as EMBREC_SERVE_BUNDLE_DIR). */
  readonly bundle: string;
  /** All workers listen: where, and the first worker's description of the pipeline. */
  readonly onReady: (info: WorkerReady & { readonly workers: number }) => void;
  /** A line for the operator (a worker died, was replaced, failed to start). */
  readonly log: (line: string) => void;
  /** Called when the cluster stopped by itself (a worker failed to start): the exit code. */
  readonly onFailed: (code: number) => void;
}

/** Environment variable naming the bundle folder in a worker (set by the primary). */
export const WORKER_BUNDLE_ENV = 'EMBREC_SERVE_BUNDLE_DIR';

/** Runs the primary: forks the workers and coordinates them until `stop()`. */
export function runPrimary(opts: PrimaryOptions): { stop(): Promise<void> } {
  if (!cluster.isPrimary) throw new Error('runPrimary() runs in the node:cluster primary only');
  const agg = new AggregatorRegistry();
  let bundle = opts.bundle;
  let started = false;
  let stopping = false;
  const ready = new Map<number, WorkerReady>();
  const fork = () => cluster.fork({ [WORKER_BUNDLE_ENV]: bundle });
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
  const tell = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m);
  };
  // the reload in progress: each worker's outcome by worker id
  let reload:
    | { id: string; from: Worker; ask: number; wait: Set<number>; results: SwapResult[]; dir: string }
    | undefined;
  let reloads = 0;
  const finishReload = () => {
    const r = reload;
    if (!r || r.wait.size > 0) return;
    reload = undefined;
    if (r.results.length > 0 && r.results.every((x) => x.ok)) bundle = r.dir;
    tell(r.from, { type: 'embrec:reloaded', id: r.ask, results: r.results });
  };

  cluster.on('message', (w: Worker, m: unknown) => {
    if (!isMessage(m)) return;
    const msg = m as ToPrimary;
    if (msg.type === 'embrec:ready') {
      ready.set(w.id, msg);
      if (!started && ready.size === opts.workers) {
        started = true;
        const first = [...ready.values()][0]!;
        opts.onReady({ ...first, workers: opts.workers });
      }
    } else if (msg.type === 'embrec:reload') {
      if (reload || stopping) {
        tell(w, { type: 'embrec:reloaded', id: msg.id, results: null });
        return;
      }
      const targets = live();
      const id = `r${reloads++}`;
      reload = {
        id,
        from: w,
        ask: msg.id,
        wait: new Set(targets.map((t) => t.id)),
        results: [],
        dir: msg.dir,
      };
      for (const t of targets) tell(t, { type: 'embrec:swap', id, dir: msg.dir });
    } else if (msg.type === 'embrec:swapped') {
      if (!reload || reload.id !== msg.id) return;
      reload.wait.delete(w.id);
      reload.results.push(msg.result);
      finishReload();
    } else if (msg.type === 'embrec:metrics') {
      agg.clusterMetrics().then(
        (text) => tell(w, { type: 'embrec:metrics', id: msg.id, text }),
        (e: Error) => tell(w, { type: 'embrec:metrics', id: msg.id, error: e.message }),
      );
    }
  });

  cluster.on('exit', (w: Worker, code: number | null, signal: string | null) => {
    ready.delete(w.id);
    if (reload?.wait.delete(w.id)) {
      reload.results.push({ ok: false, message: `worker ${w.id} exited during the reload` });
      finishReload();
    }
    if (stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!started) {
      opts.log(`worker ${w.id} exited (${how}) before it served: stopping the other workers`);
      void stop().then(() => opts.onFailed(code && code !== 0 ? code : 1));
      return;
    }
    opts.log(`worker ${w.id} exited (${how}); starting a new one`);
    fork();
  });

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), 15_000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (w.isConnected()) tell(w, { type: 'embrec:shutdown' });
            else w.process.kill('SIGTERM');
          }),
      ),
    );
  };

  for (let i = 0; i < opts.workers; i++) fork();
  return { stop };
}
