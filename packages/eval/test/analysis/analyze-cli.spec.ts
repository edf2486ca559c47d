import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userCsr } from '@embrec/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../../test/helpers/browser.ts';
import { runCli } from '../../../../test/helpers/cli.ts';
import { builtinRegistry } from '../../../cli/src/builtins.ts';
import { replayData } from '../../src/analysis/replay.ts';
import { readTrialInfo } from '../../src/analysis/run-input.ts';

// `embrec run` on a tiny demo experiment, then `embrec analyze` on its trial, as docs/analysis.md shows;
// the report is opened in the system's headless Chromium and every image must render.
const root = mkdtempSync(join(tmpdir(), 'embrec-analyze-'));
const trial = join(root, 'runs', 'tiny-analyze', 'run');
const fast = [
  '--items',
  '120',
  '--users',
  '100',
  '--perplexity',
  '10',
  '--tsne-iterations',
  '150',
  '--permutations',
  '99',
];

beforeAll(async () => {
  writeFileSync(
    join(root, 'tiny.yaml'),
    `name: tiny-analyze
seed: 3
output: runs
dataset: { type: demo, users: 150, items: 200, genres: 5 }
split: { type: random, ratio: 0.2 }
model: { type: mf, dim: 16, train: { epochs: 4, batchSize: 256, lr: 0.02 } }
loss: { type: bpr }
sampler: { type: uniform }
evaluate: { type: full, ks: [10] }
`,
  );
  const r = await runCli(['run', join(root, 'tiny.yaml')]);
  expect(r.stderr).not.toContain('✖');
  expect(r.code).toBe(0);
}, 180_000);

describe('embrec analyze', () => {
  it("rebuilds the trial's own split from config.json (the counts its log printed)", async () => {
    const info = readTrialInfo(trial);
    const { dataset, splits } = await replayData(info.config, builtinRegistry(), info.configDir);
    const logged = readFileSync(join(trial, 'logs.txt'), 'utf8').match(
      /train (\d+), valid (\d+), test (\d+) interactions/,
    );
    expect(logged).not.toBeNull();
    expect([splits.train.users.length, splits.valid?.users.length ?? 0, splits.test.users.length]).toEqual(
      logged!.slice(1).map(Number),
    );
    // the same training histories and test items: the run's recommendation sample agrees with the replay
    const samples = JSON.parse(
      readFileSync(join(trial, 'artifacts', 'recommendations-sample.json'), 'utf8'),
    ) as { user: string; recent: string[]; recommended: { item: string; hit: boolean }[] }[];
    expect(samples.length).toBeGreaterThan(0);
    const train = userCsr(splits.train);
    const test = userCsr(splits.test);
    for (const smp of samples) {
      const u = splits.train.userIds.get(smp.user)!;
      const hist = Array.from(train.indices.subarray(train.indptr[u]!, train.indptr[u + 1]!));
      expect(
        hist
          .slice(-3)
          .map(
            (i) => dataset.itemNames![dataset.interactions.itemIds.get(splits.train.itemIds.external(i))!],
          ),
      ).toEqual(smp.recent);
      const relevant = new Set(
        Array.from(test.indices.subarray(test.indptr[u]!, test.indptr[u + 1]!), (i) =>
          splits.test.itemIds.external(i),
        ),
      );
      for (const r of smp.recommended) expect(relevant.has(r.item)).toBe(r.hit);
    }
  });

  it('writes report.html, analysis.json and every figure as SVG and PNG', async () => {
    const r = await runCli(['analyze', trial, '--item', 'Action item 1', ...fast]);
    expect(r.stderr).not.toContain('✖');
    expect(r.code).toBe(0);
    const dir = join(trial, 'artifacts', 'analysis');
    expect(r.stdout).toContain(join(dir, 'report.html'));
    const json = JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8'));
    expect(json.model).toBe('embrec/mf');
    expect(json.attribute).toBe('brand');
    expect(json.neighbours[0].name).toBe('Action item 1');
    expect(json.neighbours[0].neighbours).toHaveLength(10);
    expect(json.maps.map((m: { side: string; method: string }) => `${m.side} ${m.method}`)).toEqual([
      'item t-SNE',
      'item UMAP',
      'user t-SNE',
      'user UMAP',
    ]);
    expect(json.maps[0].points).toHaveLength(120);
    expect(json.popularity.spearman.recommended).toBeGreaterThan(-1);
    const files = readdirSync(dir);
    for (const f of ['item-tsne-brand', 'item-umap-brand', 'user-tsne-age', 'heatmap-brand', 'lorenz'])
      for (const ext of ['svg', 'png']) expect(files).toContain(`${f}.${ext}`);
  }, 180_000);

  it('genre structure: the demo data plants genres, so a trained MF separates them (small p)', async () => {
    const out = join(root, 'genres');
    const r = await runCli([
      'analyze',
      trial,
      '--attribute',
      'genres',
      '--no-maps',
      '--permutations',
      '199',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'analysis.json'), 'utf8'));
    expect(json.genre.attribute).toBe('genres');
    expect(json.genre.overall.intra).toBeGreaterThan(json.genre.overall.inter);
    expect(json.genre.overall.p).toBeLessThan(0.05);
    expect(json.maps).toEqual([]);
  }, 120_000);

  it('opens in headless Chromium with every image rendered and no network', async () => {
    const browser = await launchChromium();
    if (!browser) return;
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (q) => {
        if (!q.url().startsWith('file:') && !q.url().startsWith('data:')) requests.push(q.url());
      });
      await page.goto(`file://${join(trial, 'artifacts', 'analysis', 'report.html')}`, { waitUntil: 'load' });
      // (no DOM lib in the project's tsconfig: the element's fields are typed by hand)
      type Img = { naturalWidth: number; naturalHeight: number; complete: boolean };
      const imgs = await page.$$eval('img', (els) =>
        els.map((e) => {
          const i = e as unknown as Img;
          return { w: i.naturalWidth, h: i.naturalHeight, ok: i.complete };
        }),
      );
      // maps: item t-SNE/UMAP by brand, user t-SNE/UMAP by age; heat map; Lorenz curve
      expect(imgs).toHaveLength(6);
      for (const i of imgs) {
        expect(i.ok).toBe(true);
        expect(i.w).toBeGreaterThan(100);
        expect(i.h).toBeGreaterThan(100);
      }
      expect(await page.textContent('h1')).toContain('tiny-analyze');
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('clear errors: unknown attribute, no item embeddings, too few items for the perplexity', async () => {
    const a = await runCli(['analyze', trial, '--attribute', 'genre', '--no-maps']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(
      'there is no categorical item attribute "genre" (did you mean "genres"?); the data set has: brand, genres',
    );
    const b = await runCli(['analyze', trial, '--items', '20', '--perplexity', '30']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('t-SNE with perplexity 30 needs at least 91 items; there are 20');
    const copy = join(root, 'copy', 'run');
    cpSync(trial, copy, { recursive: true });
    rmSync(join(copy, 'artifacts', 'embeddings'), { recursive: true });
    rmSync(join(copy, 'artifacts', 'analysis'), { recursive: true, force: true });
    const c = await runCli(['analyze', copy]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`${copy} has no item embeddings`);
    expect(c.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(copy, 'artifacts', 'analysis'))).toBe(false);
  }, 120_000);
});
