import { rmSync } from 'node:fs';
import { type Bundle, createServer, loadBundle } from '@embrec/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { launchChromium } from '../helpers/browser.ts';
import { tinyBundle } from './fixture.ts';

// The page at / in the system's headless Chromium (playwright-core): search a user, see the
// history and the rendered recommendation list; pick items for a new user; click for neighbours.
let root: string;
let bundle: Bundle;
let app: Awaited<ReturnType<typeof createServer>>;
let base: string;

beforeAll(async () => {
  const t = await tinyBundle('tiny-page');
  root = t.root;
  bundle = await loadBundle(t.bundle);
  app = await createServer({ bundle: t.bundle, registry: builtinRegistry() });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
}, 240_000);

afterAll(async () => {
  await app?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the page at /', () => {
  it('searches a user and renders history and recommendations with names, scores and stage', async () => {
    const browser = await launchChromium();
    if (!browser) return;
    try {
      const page = await browser.newPage();
      const offsite: string[] = [];
      const errors: string[] = [];
      page.on('request', (q) => {
        if (!q.url().startsWith(base)) offsite.push(q.url());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/`, { waitUntil: 'load' });
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.textContent('#info')).toContain('tiny-page');

      const user = bundle.users.ids.external(3);
      await page.fill('#user-search', user);
      await page.click('#user-form button');
      await page.waitForSelector('#recs li');
      const recs = await page.$$eval('#recs li', (els) =>
        els.map((e) => ({
          id: (e as unknown as { dataset: { id: string } }).dataset.id,
          name: e.querySelector('.name')?.textContent ?? '',
          score: e.querySelector('.score')?.textContent ?? '',
          stage: e.querySelector('.stage')?.textContent ?? '',
        })),
      );
      expect(recs).toHaveLength(20);
      const api = (await (
        await fetch(`${base}/v1/recommend`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user, k: 20 }),
        })
      ).json()) as { items: { id: string; name: string; score: number; stage: string }[] };
      expect(recs.map((r) => r.id)).toEqual(api.items.map((i) => i.id));
      for (const [i, r] of recs.entries()) {
        expect(r.name).toContain(api.items[i]!.name);
        expect(Number(r.score)).toBeCloseTo(api.items[i]!.score, 3);
        expect(r.stage).toBe('rerank:mmr');
      }
      expect(await page.textContent('#recs-title')).toContain(user);
      const row = bundle.users.ids.get(user)!;
      const nHist = bundle.history.indptr[row + 1]! - bundle.history.indptr[row]!;
      expect(await page.$$eval('#history li', (els) => els.length)).toBe(Math.min(50, nHist));

      // without re-ranking: the retrieval stage is shown
      await page.uncheck('#rerank');
      await page.click('#user-form button');
      await page.waitForFunction("document.querySelector('#recs .stage')?.textContent === 'retrieval'");

      // click a recommendation: its neighbours
      await page.click('#recs li >> nth=0');
      await page.waitForSelector('#similar li');
      expect(await page.$$eval('#similar li', (els) => els.length)).toBe(10);
      expect(await page.textContent('#similar-title')).toContain(recs[0]!.name.split(' (')[0]!);

      // a new user from two searched items
      await page.fill('#item-search', 'drama');
      await page.click('#new-form button');
      await page.waitForSelector('#item-results li');
      await page.click('#item-results li >> nth=0');
      await page.click('#item-results li >> nth=1');
      expect(await page.textContent('#chosen')).toMatch(/Drama.*,.*Drama/);
      await page.click('#new-go');
      await page.waitForFunction("document.querySelector('#recs-title')?.textContent?.includes('new user')");
      expect(await page.textContent('#recs-note')).toContain('source: fold-in');
      expect(await page.$$eval('#recs li', (els) => els.length)).toBe(20);

      expect(errors).toEqual([]);
      expect(offsite).toEqual([]);
      expect(await page.textContent('#error')).toBe('');
    } finally {
      await browser.close();
    }
  }, 120_000);
});
