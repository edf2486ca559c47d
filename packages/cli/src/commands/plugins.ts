import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { importPlugin, Registry } from '@embrec/core';
import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../builtins.ts';
import { EXIT, printError, renderTable } from '../output.ts';
import { experimentJsonSchema, paramsJsonSchema } from '../schema.ts';

interface PluginsArgs {
  kind?: string;
  json: boolean;
  plugin?: string[];
}

function describeParams(schema: Record<string, unknown>): string {
  const props = (schema.properties ?? {}) as Record<
    string,
    { type?: string; default?: unknown; enum?: unknown[] }
  >;
  return Object.entries(props)
    .map(([k, p]) => {
      const t = p.enum ? p.enum.map(String).join('|') : (p.type ?? 'any');
      return p.default !== undefined ? `${k}: ${t} = ${JSON.stringify(p.default)}` : `${k}: ${t}`;
    })
    .join(', ');
}

async function registryWith(plugins: readonly string[] | undefined): Promise<Registry> {
  const r = builtinRegistry();
  for (const p of plugins ?? []) r.add((await importPlugin(p, process.cwd())).plugin);
  return r;
}

export const pluginsCommand: CommandModule<object, PluginsArgs> = {
  command: 'plugins',
  describe: 'List every component with its kind, package and parameters',
  builder: (y) =>
    y
      .option('kind', { type: 'string', describe: 'Only this kind (model, loss, index, ...)' })
      .option('plugin', {
        type: 'string',
        array: true,
        describe: 'Also load these plugin packages (resolved from the current folder)',
      })
      .option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => {
    try {
      const r = await registryWith(args.plugin);
      const list = r.list(args.kind);
      if (args.kind && list.length === 0) {
        process.stderr.write(
          `✖ no components of kind "${args.kind}". Kinds: ${r.kinds().sort().join(', ')}\n`,
        );
        process.exitCode = EXIT.usage;
        return;
      }
      if (args.json) {
        const out = list.map((c) => ({
          kind: c.def.kind,
          type: c.qualifiedType,
          package: c.plugin.meta.name,
          version: c.plugin.meta.version,
          description: c.def.description,
          params: paramsJsonSchema(c.def.schema),
        }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        const rows = list.map((c) => [
          c.def.kind,
          Registry.display(c.qualifiedType),
          c.plugin.meta.name,
          describeParams(paramsJsonSchema(c.def.schema)),
        ]);
        process.stdout.write(`${renderTable(['kind', 'type', 'package', 'parameters'], rows, 'md')}\n`);
      }
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};

interface SchemaArgs {
  out?: string;
  plugin?: string[];
}

export const schemaCommand: CommandModule<object, SchemaArgs> = {
  command: 'schema',
  describe: 'Write the JSON Schema of experiment files (for editor autocompletion)',
  builder: (y) =>
    y
      .option('out', { type: 'string', describe: 'Write to this file instead of stdout' })
      .option('plugin', { type: 'string', array: true, describe: 'Include these plugin packages' }) as never,
  handler: async (args) => {
    try {
      const text = `${JSON.stringify(experimentJsonSchema(await registryWith(args.plugin)), null, 2)}\n`;
      if (args.out) {
        writeFileSync(resolve(args.out), text);
        process.stderr.write(`wrote ${args.out}\n`);
      } else process.stdout.write(text);
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
