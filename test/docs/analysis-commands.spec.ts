import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../helpers/cli.ts';
import { finishedTrials, said, scratch } from './shell.ts';
import { commandsOf } from './shown.ts';

// docs/analysis.md's commands (run the exercise 4 and 5 files, then `embrec analyze` on their sweep
// folders) run as written in a scratch folder under os.tmpdir(). The exercise files as committed train
// for minutes (ex5: 4 models × 3 seeds, up to 30 epochs each), so the scratch copies keep everything
// but the training length: every model 1 epoch, one seed, and the run's own analysis stage without
// maps and with 20 permutations (the analyze commands, as shown, draw the maps). Same data (MovieLens 100K and latest-small from EMBREC_DATA).
const { root, sh } = scratch('embrec-docs-analysis-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ANALYSIS = 'docs/analysis.md';

type Doc = Record<string, unknown> & {
  model: Record<string, unknown>;
  sweep?: { seeds?: number[]; params?: { model?: Record<string, unknown>[] } };
  analysis?: Record<string, unknown>;
};
/** One epoch for a model block (item2vec has `epochs`, the trained models `train.epochs`). */
function oneEpoch(m: Record<string, unknown>): Record<string, unknown> {
  if ('epochs' in m) return { ...m, epochs: 1 };
  const { earlyStopping: _, ...train } = (m.train ?? {}) as Record<string, unknown>;
  return { ...m, train: { ...train, epochs: 1 } };
}
function shrunkCopy(file: string): void {
  const doc = parse(readFileSync(join(repoRoot, 'experiments', file), 'utf8')) as Doc;
  doc.model = oneEpoch(doc.model);
  if (doc.sweep?.seeds) doc.sweep.seeds = doc.sweep.seeds.slice(0, 1);
  if (doc.sweep?.params?.model) doc.sweep.params.model = doc.sweep.params.model.map(oneEpoch);
  if (doc.analysis) doc.analysis = { ...doc.analysis, maps: false, permutations: 20 };
  writeFileSync(join(root, 'experiments', file), stringify(doc));
}

describe('docs/analysis.md: run the exercises, then analyze their sweep folders', () => {
  const shown = commandsOf(ANALYSIS).map((c) => c.text);
  it('shows a run and an analyze line per exercise', () => {
    expect(shown.filter((l) => / run experiments\/ex[45]-/.test(l))).toHaveLength(2);
    expect(shown.filter((l) => / analyze experiments\/runs\/ex[45]-/.test(l))).toHaveLength(2);
  });

  for (const ex of ['ex4-item2vec-tsne', 'ex5-genre-similarity']) {
    it(`${ex}: run, then analyze --attribute genres`, async () => {
      mkdirSync(join(root, 'experiments'), { recursive: true });
      shrunkCopy(`${ex}.yaml`);
      const runLine = shown.find((l) => l.includes(` run experiments/${ex}.yaml`));
      const analyzeLine = shown.find((l) => l.includes(` analyze experiments/runs/${ex}`));
      expect(runLine && analyzeLine, `${ANALYSIS} no longer shows the ${ex} lines`).toBeTruthy();
      const run = await sh(runLine!, { timeoutMs: 600_000 });
      expect(run.code, said(run)).toBe(0);
      const sweep = join(root, 'experiments', 'runs', ex);
      const trials = finishedTrials(sweep);
      expect(trials.length).toBe(ex.startsWith('ex4') ? 2 : 4);
      const r = await sh(analyzeLine!, { timeoutMs: 600_000 });
      expect(r.code, said(r)).toBe(0);
      // one comparison table over the sweep's trials, and each trial's report
      for (const t of trials) {
        const report = readFileSync(join(sweep, t, 'artifacts', 'analysis', 'report.html'), 'utf8');
        expect(report).toContain('data:image/');
        const json = JSON.parse(
          readFileSync(join(sweep, t, 'artifacts', 'analysis', 'analysis.json'), 'utf8'),
        );
        expect(JSON.stringify(json)).toContain('genres');
      }
      expect(r.stdout).toMatch(/intra/i);
    }, 900_000);
  }

  it('ex5: report with the analysis metrics beside NDCG@10', async () => {
    const line = shown.find((l) => / report experiments\/runs\/ex5-genre-similarity /.test(l));
    expect(line, `${ANALYSIS} no longer shows the ex5 report line`).toBeDefined();
    const r = await sh(line!);
    expect(r.code, said(r)).toBe(0);
    expect(r.stdout).toContain('Analysis intra-inter (genres)');
    expect(r.stdout).toMatch(/model=lightgcn/);
  }, 120_000);
});
