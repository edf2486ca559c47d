import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '@embrec/core';
import { createServer } from '@embrec/serve';
import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../builtins.ts';
import { EXIT, printError } from '../output.ts';

interface ServeArgs {
  bundle: string;
  port: number;
  host: string;
  maxK: number;
  bodyLimit: number;
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
      .epilogue(
        'Admin routes (POST /admin/reload) are on only when EMBREC_ADMIN_TOKEN is set; send it as "Authorization: Bearer <token>".',
      ) as never,
  handler: async (args) => {
    try {
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
        throw new UsageError(`--port must be a whole number 0-65535, found ${args.port}`);
      if (!Number.isInteger(args.maxK) || args.maxK < 1)
        throw new UsageError(`--max-k must be a whole number >= 1, found ${args.maxK}`);
      let dir = resolve(args.bundle);
      if (!existsSync(dir))
        throw new UsageError(
          `${args.bundle}: no such folder (expected a bundle from \`embrec export\` or a run folder)`,
        );
      if (!existsSync(join(dir, 'manifest.json'))) {
        const { exportRun } = await import('./export.ts');
        const out = join(dir, 'bundle');
        process.stderr.write(`  serve: ${args.bundle} is not a bundle; exporting it to ${out}\n`);
        dir = (await exportRun(dir, out, {}, (s) => process.stderr.write(`  export: ${s}\n`))).dir;
      }
      const app = await createServer({
        bundle: dir,
        adminToken: process.env.EMBREC_ADMIN_TOKEN,
        maxK: args.maxK,
        bodyLimit: args.bodyLimit,
        registry: builtinRegistry(),
      });
      const address = await app.listen({ port: args.port, host: args.host });
      process.stdout.write(
        `embrec serve: ${dir} (bundle ${app.engine().version}) on ${address}  page ${address}/  API ${address}/openapi.json${process.env.EMBREC_ADMIN_TOKEN ? '  admin: on' : ''}\n`,
      );
      const p = app.engine().bundle.pipeline;
      const off = [
        ...(p.ranker && !p.ranker.served ? [`ranker ${p.ranker.type}`] : []),
        ...p.rerankers.filter((r) => !r.served).map((r) => r.type),
      ];
      process.stdout.write(
        `  pipeline: retrieval (${String(p.index.type).replace(/^embrec\//, '')}, N ${p.retrieveN})${p.ranker?.served ? ` → rank:${p.ranker.type}` : ''}${
          p.rerankers.some((r) => r.served)
            ? ` → ${p.rerankers
                .filter((r) => r.served)
                .map((r) => `rerank:${r.type}`)
                .join(' → ')}`
            : ''
        }; new users: ${p.foldIn.method === 'model' ? "the model's foldIn" : `${p.foldIn.method} pooling`}${off.length > 0 ? `; not served: ${off.join(', ')} (pipeline.json says why)` : ''}\n`,
      );
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
