import { UsageError } from '@embrec/core';
import type { CommandModule } from 'yargs';
import { EXIT, printError, type TableFormat } from '../output.ts';
import { exactTopK, itemTable, loadTrial, rowOf, trialData } from './recommend.ts';

interface SimilarArgs {
  run: string;
  item: string;
  k: number;
  format: TableFormat;
}

export const similarItemsCommand: CommandModule<object, SimilarArgs> = {
  command: 'similar-items <run>',
  describe: "Nearest items to an item by cosine of a finished trial's item embeddings (exact search)",
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'trial folder' })
      .option('item', { type: 'string', demandOption: true, describe: 'external item ID' })
      .option('k', { type: 'number', default: 10, describe: 'how many items' })
      .option('format', { choices: ['md', 'csv', 'latex'] as const, default: 'md' as const }) as never,
  handler: async (args) => {
    try {
      if (!Number.isInteger(args.k) || args.k < 1)
        throw new UsageError(`--k must be a whole number >= 1, found ${args.k}`);
      const t = await loadTrial(args.run);
      const item = String(args.item);
      const r = rowOf(t.items, item, 'item', args.run);
      const data = await trialData(t.dir);
      const q = t.items.vectors.slice(r * t.items.dim, (r + 1) * t.items.dim);
      const hits = exactTopK(t.items, q, 'cosine', args.k, [r]);
      process.stdout.write(`${itemTable(hits, t.items.ids, data.itemName, args.format)}\n`);
      if (args.format === 'md') {
        const name = data.itemName(item);
        process.stdout.write(
          `\nitems nearest to ${item}${name ? ` (${name})` : ''} by cosine (exact search); ${t.dir}\n`,
        );
      }
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
