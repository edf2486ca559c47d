import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrialInfo, replayData } from '@embrec/eval';
import { loadEmbeddings } from '@embrec/indexes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { COMMANDS, commandName } from '../../packages/cli/src/commands.ts';
import { runCli } from '../helpers/cli.ts';

// One real trial on the demo data (MF, one epoch): recommend and similar-items answer from its
// exported embeddings, checked against a brute-force scan of the same files.
const root = mkdtempSync(join(tmpdir(), 'embrec-serve-'));
let trial = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const file = join(root, 'serve.yaml');
  writeFileSync(
    file,
    [
      'name: serve',
      'seed: 3',
      'backend: cpu',
      'dataset: { type: demo, users: 80, items: 120 }',
      'split: { type: random, ratio: 0.2, valid: { ratio: 0.1 } }',
      'model: { type: mf, dim: 8, train: { epochs: 1, batchSize: 256, lr: 0.01 } }',
      'loss: { type: infonce, temperature: 0.1 }',
      'sampler: { type: in-batch }',
      'index: { type: exact }',
      'retrieve: { k: 20 }',
      'evaluate: { type: full, ks: [10] }',
      '',
    ].join('\n'),
  );
  const r = await runCli(['run', file, '--output', join(root, 'runs')], { env: { MLFLOW_TRACKING_URI: '' } });
  expect(r.code, r.stderr).toBe(0);
  const sweep = join(root, 'runs', 'serve');
  // every run ends with its output folder and where it is (not) tracked
  expect(r.stderr).toContain(
    `→ ${sweep}\nMLflow: not tracked (MLFLOW_TRACKING_URI unset); \`embrec ui ${join(root, 'runs')}\``,
  );
  const name = readdirSync(sweep).find((d) => !d.startsWith('.') && d !== 'sweep.json')!;
  trial = join(sweep, name);
}, 300_000);

/** A table of the trial's exported embeddings (either layout), as plain arrays for brute force. */
async function table(which: 'users' | 'items'): Promise<{ ids: string[]; dim: number; v: Float32Array }> {
  const loaded = await loadEmbeddings(join(trial, 'artifacts', 'embeddings'));
  const t = which === 'users' ? loaded.users! : loaded.items;
  return { ids: t.ids.toJSON() as string[], dim: t.dim, v: t.vectors };
}

const itemsOf = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => /^\| \d+ /.test(l))
    .map((l) => l.split('|')[2]!.trim());

describe('recommend and similar-items', () => {
  it('are entries of the command table', () => {
    const names = COMMANDS.map(commandName);
    expect(names).toContain('recommend');
    expect(names).toContain('similar-items');
  });

  it('embrec recommend <run> --user U --k 5: the brute-force top 5 of unseen items, with names', async () => {
    const users = await table('users');
    const items = await table('items');
    const user = users.ids[7]!;
    const info = readTrialInfo(trial);
    const { dataset, splits } = await replayData(info.config, builtinRegistry(), info.configDir);
    const seen = new Set<string>();
    for (const part of [splits.train, splits.valid!]) {
      const u = part.userIds.get(user)!;
      part.users.forEach((x, r) => {
        if (x === u) seen.add(part.itemIds.external(part.items[r]!));
      });
    }
    expect(seen.size).toBeGreaterThan(0);
    const u = users.ids.indexOf(user);
    const scored = items.ids
      .map((id, i) => {
        let s = 0;
        for (let j = 0; j < items.dim; j++) s += users.v[u * users.dim + j]! * items.v[i * items.dim + j]!;
        return { id, s };
      })
      .filter((x) => !seen.has(x.id))
      .sort((a, b) => b.s - a.s);
    const r = await runCli(['recommend', trial, '--user', user, '--k', '5']);
    expect(r.code, r.stderr).toBe(0);
    const got = itemsOf(r.stdout);
    expect(got).toEqual(scored.slice(0, 5).map((x) => x.id));
    for (const id of got) expect(seen.has(id)).toBe(false);
    const name = dataset.itemNames![dataset.interactions.itemIds.get(got[0]!)!]!;
    expect(r.stdout).toContain(`| ${name} `);
    expect(r.stdout).toContain(`${seen.size} seen items excluded`);
  }, 120_000);

  it('embrec similar-items <run> --item I: cosine neighbours, the item itself left out', async () => {
    const items = await table('items');
    const q = 11;
    const norm = (i: number) => Math.hypot(...items.v.subarray(i * items.dim, (i + 1) * items.dim));
    const cos = items.ids
      .map((id, i) => {
        let s = 0;
        for (let j = 0; j < items.dim; j++) s += items.v[q * items.dim + j]! * items.v[i * items.dim + j]!;
        return { id, s: s / (norm(q) * norm(i)) };
      })
      .filter((x) => x.id !== items.ids[q])
      .sort((a, b) => b.s - a.s);
    const r = await runCli(['similar-items', trial, '--item', items.ids[q]!, '--k', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(itemsOf(r.stdout)).toEqual(cos.slice(0, 4).map((x) => x.id));
  }, 120_000);

  it('an unknown user or item is a clear usage error', async () => {
    const a = await runCli(['recommend', trial, '--user', 'no-such-user']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/user "no-such-user" is not in .* \(80 users with embeddings, e\.g\. /);
    expect(a.stdout).toBe('');
    const b = await runCli(['similar-items', trial, '--item', 'no-such-item']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/item "no-such-item" is not in .* \(120 items with embeddings/);
  }, 120_000);
});
