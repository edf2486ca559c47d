import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '@embrec/core';
import { createServer, runPrimary, WORKER_BUNDLE_ENV, type WorkerLink, workerLink } from '@embrec/serve';
import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../builtins.ts';
import { EXIT, printError } from '../output.ts';

interface ServeArgs {
  bundle: string;
  port: number;
  host: string;
  maxK: number;
  bodyLimit: number;
  workers: number;
}

type App = Awaited<ReturnType<typeof createServer>>;

/** The served pipeline in one line (stages, new users, what is not served). */
function describePipeline(app: App): string {
  const p = app.engine().bundle.pipeline;
  const off = [
    ...(p.ranker && !p.ranker.served ? [`ranker ${p.ranker.type}`] : []),
    ...p.rerankers.filter((r) => !r.served).map((r) => r.type),
  ];
  const served = p.rerankers.filter((r) => r.served).map((r) => `rerank:${r.type}`);
  return `  pipeline: retrieval (${String(p.index.type).replace(/^embrec\//, '')}, N ${p.retrieveN})${
    p.ranker?.served ? ` → rank:${p.ranker.type}` : ''
  }${served.length > 0 ? ` → ${served.join(' → ')}` : ''}; new users: ${
    p.foldIn.method === 'model' ? "the model's foldIn" : `${p.foldIn.method} pooling`
  }${off.length > 0 ? `; not served: ${off.join(', ')} (pipeline.json says why)` : ''}\n`;
}

function banner(dir: string, version: string, address: string, workers: number): string {
  return `embrec serve: ${dir} (bundle ${version}) on ${address}  page ${address}/  API ${address}/openapi.json${
    workers > 1 ? `  workers: ${workers}` : ''
  }${process.env.EMBREC_ADMIN_TOKEN ? '  admin: on' : ''}\n`;
}

function serverOptions(args: ServeArgs, dir: string) {
  return {
    bundle: dir,
    adminToken: process.env.EMBREC_ADMIN_TOKEN,
    maxK: args.maxK,
    bodyLimit: args.bodyLimit,
    registry: builtinRegistry(),
  };
}

/** A worker of `--workers N`: serves the bundle the primary names on the shared port until told to stop. */
async function runWorker(args: ServeArgs, dir: string): Promise<void> {
  try {
    let link: WorkerLink | undefined;
    const app = await createServer({
      ...serverOptions(args, dir),
      worker: (registry) => {
        link = workerLink(registry);
        return link;
      },
    });
    const address = await app.listen({ port: args.port, host: args.host });
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      void app.close().then(() => process.exit(EXIT.ok));
    };
    // the primary asks each worker to stop; a terminal's Ctrl-C reaches the workers too
    link!.onShutdown(stop);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    link!.ready({ address, version: app.engine().version, banner: describePipeline(app) });
  } catch (e) {
    process.exit(printError(e));
  }
}

/** The bundle folder to serve: `arg` itself, or a run folder exported to `<run>/bundle` first. */
async function bundleDir(arg: string): Promise<string> {
  const dir = resolve(arg);
  if (!existsSync(dir))
    throw new UsageError(`${arg}: no such folder (expected a bundle from \`embrec export\` or a run folder)`);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  const { exportRun } = await import('./export.ts');
  const out = join(dir, 'bundle');
  process.stderr.write(`  serve: ${arg} is not a bundle; exporting it to ${out}\n`);
  return (await exportRun(dir, out, {}, (s) => process.stderr.write(`  export: ${s}\n`))).dir;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve <bundle>',
  describe:
    'Serve a bundle (or a finished run, exported on the fly to <run>/bundle) over HTTP: recommendations, similar items, metrics, a page at /',
  builder: (y) =>
    y
      .positional('bundle', {
        type: 'string',
        demandOption: true,
        describe: 'bundle folder (embrec export) or a run folder',
      })
      .option('port', {
        type: 'number',
        default: Number(process.env.EMBREC_PORT ?? 8080),
        describe: 'TCP port (default: $EMBREC_PORT or 8080; 0 picks a free one)',
      })
      .option('host', {
        type: 'string',
        default: '127.0.0.1',
        describe: 'address to bind (127.0.0.1: this machine only)',
      })
      .option('max-k', { type: 'number', default: 200, describe: 'largest k a request may ask for' })
      .option('body-limit', { type: 'number', default: 65536, describe: 'largest request body in bytes' })
      .option('workers', {
        type: 'number',
        default: 1,
        describe:
          'server processes sharing the port (node:cluster); a reload reaches every worker, /metrics sums them',
      })
      .epilogue(
        'Admin routes (POST /admin/reload) are on only when EMBREC_ADMIN_TOKEN is set; send it as "Authorization: Bearer <token>".',
      ) as never,
  handler: async (args) => {
    const workerBundle = process.env[WORKER_BUNDLE_ENV];
    if (cluster.isWorker && workerBundle) return runWorker(args, workerBundle);
    try {
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
        throw new UsageError(`--port must be a whole number 0-65535, found ${args.port}`);
      if (!Number.isInteger(args.maxK) || args.maxK < 1)
        throw new UsageError(`--max-k must be a whole number >= 1, found ${args.maxK}`);
      if (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > 64)
        throw new UsageError(`--workers must be a whole number 1-64, found ${args.workers}`);
      const dir = await bundleDir(args.bundle);
      if (args.workers > 1) {
        const primary = runPrimary({
          workers: args.workers,
          bundle: dir,
          onReady: (r) => process.stdout.write(banner(dir, r.version, r.address, r.workers) + r.banner),
          log: (line) => process.stderr.write(`  serve: ${line}\n`),
          onFailed: (code) => process.exit(code),
        });
        const stop = async () => {
          await primary.stop();
          process.exit(EXIT.ok);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        return;
      }
      const app = await createServer(serverOptions(args, dir));
      const address = await app.listen({ port: args.port, host: args.host });
      process.stdout.write(banner(dir, app.engine().version, address, 1) + describePipeline(app));
      const stop = async () => {
        await app.close();
        process.exit(EXIT.ok);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
