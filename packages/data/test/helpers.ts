import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const dataRoot = process.env.EMBREC_DATA ?? resolve(repoRoot, '../shared/data');
export const hasData = existsSync(resolve(dataRoot, 'stats.json'));
export const badDataRoot = resolve(repoRoot, 'test/fixtures/bad-data');
if (!hasData)
  console.warn(`shared data not found at ${dataRoot}: integration tests are skipped (set EMBREC_DATA)`);
