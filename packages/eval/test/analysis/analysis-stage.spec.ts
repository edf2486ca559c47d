import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../test/helpers/cli.ts';
import { type MlflowTestServer, startMlflowServer } from '../../../../test/helpers/mlflow-server.ts';

// An experiment file with an `analysis:` section: `embrec run` alone writes the report into each
// trial's artifacts/analysis/ (atomically), records the headline numbers as metrics, and logs the
// report to MLflow with the trial's other artifacts; bad input fails before anything trains.
const root = mkdtempSync(join(tmpdir(), 'embrec-analysis-stage-'));
let server: MlflowTestServer;

beforeAll(async () => {
  server = await startMlflowServer();
}, 1_200_000); // minutes only when mlflow must be installed first

afterAll(async () => {
  await server?.stop();
  if (server) rmSync(server.dir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
}, 30_000);

const FAST_ANALYSIS =
  '{ type: embeddings, attribute: genres, mapItems: 120, mapUsers: 100, perplexity: 10, tsneIterations: 150, permutations: 99 }';

function experiment(name: string, lines: Record<string, string>): string {
  const body: Record<string, string> = {
    name,
    seed: '3',
    output: 'runs',
    dataset: '{ type: demo, users: 150, items: 200, genres: 5 }',
    split: '{ type: random, ratio: 0.2 }',
    model: '{ type: mf, dim: 16, train: { epochs: 4, batchSize: 256, lr: 0.02 } }',
    loss: '{ type: bpr }',
    sampler: '{ type: uniform }',
    evaluate: '{ type: full, ks: [10] }',
    analysis: FAST_ANALYSIS,
    ...lines,
  };
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    Object.entries(body)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v}\n`)
      .join(''),
  );
  return file;
}

/** The MLflow REST API of the test server. */
async function api<T>(path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${server.uri}/api/2.0/mlflow/${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(r.ok, `${path}: ${r.status} ${await r.clone().text()}`).toBe(true);
  return (await r.json()) as T;
}

describe('the analysis: section', () => {
  it('embrec run writes artifacts/analysis/ in the trial, its numbers as metrics, and logs it to MLflow', async () => {
    const file = experiment('stage-analysis', {});
    const r = await runCli(['run', file], { env: { MLFLOW_TRACKING_URI: server.uri } });
    expect(r.stderr).not.toContain('✖');
    expect(r.code).toBe(0);
    const trial = join(root, 'runs', 'stage-analysis', 'run');
    const dir = join(trial, 'artifacts', 'analysis');
    const files = readdirSync(dir);
    for (const f of [
      'report.html',
      'analysis.json',
      'item-tsne-genres.svg',
      'item-umap-genres.png',
      'lorenz.svg',
    ])
      expect(files).toContain(f);
    // renamed into place whole: no temporary sibling is left beside it
    expect(readdirSync(join(trial, 'artifacts')).filter((f) => f.includes('analysis'))).toEqual(['analysis']);
    const json = JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8'));
    expect(json.model).toBe('embrec/mf');
    expect(json.experiment).toBe('stage-analysis');
    expect(json.genre.attribute).toBe('genres');
    expect(json.maps[0].points).toHaveLength(120);
    expect(json.metrics['NDCG@10']).toBeGreaterThan(0); // the evaluation's numbers travel with it
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('Attribute structure: genres');
    // the demo data plants genres: a trained MF separates them, so intra − inter > 0 with a small p
    const metrics = JSON.parse(readFileSync(join(trial, 'metrics.json'), 'utf8')).values;
    expect(metrics['Analysis intra-inter (genres)']).toBeCloseTo(json.genre.overall.diff, 12);
    expect(metrics['Analysis intra-inter (genres)']).toBeGreaterThan(0);
    expect(metrics['Analysis p (genres)']).toBeLessThan(0.05);
    expect(metrics['Analysis Gini recommendations']).toBeCloseTo(json.popularity.gini.recommendations, 12);
    const stages = JSON.parse(readFileSync(join(trial, 'stages.json'), 'utf8'));
    expect(Object.keys(stages)).toEqual(expect.arrayContaining(['fit', 'export', 'analyze']));

    // MLflow: the trial's run holds artifacts/analysis/* (same sizes as on disk) and the metrics
    const exp = await api<{ experiment: { experiment_id: string } }>(
      'experiments/get-by-name?experiment_name=stage-analysis',
    );
    const runs = await api<{
      runs: {
        info: { run_id: string; run_name: string };
        data: { metrics?: { key: string; value: number }[] };
      }[];
    }>('runs/search', { experiment_ids: [exp.experiment.experiment_id] });
    const run = runs.runs.find((x) => x.info.run_name === 'run');
    expect(run, 'the trial run on the server').toBeDefined();
    const listed = await api<{ files?: { path: string; file_size?: number }[] }>(
      `artifacts/list?run_id=${run!.info.run_id}&path=artifacts/analysis`,
    );
    const sizes = new Map((listed.files ?? []).map((f) => [f.path, f.file_size]));
    for (const f of files) expect(sizes.get(`artifacts/analysis/${f}`), f).toBe(statSync(join(dir, f)).size);
    const logged = new Map((run!.data.metrics ?? []).map((m) => [m.key, m.value]));
    expect([...logged.keys()].some((k) => k.includes('Analysis intra-inter'))).toBe(true);
  }, 300_000);

  it('embrec analyze <run> still re-analyses a trial (into the same folder)', async () => {
    const trial = join(root, 'runs', 'stage-analysis', 'run');
    const r = await runCli(['analyze', trial, '--no-maps', '--permutations', '49', '--attribute', 'brand']);
    expect(r.stderr).not.toContain('✖');
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(trial, 'artifacts', 'analysis', 'analysis.json'), 'utf8'));
    expect(json.genre.attribute).toBe('brand');
    expect(json.maps).toEqual([]);
  }, 120_000);
});

describe('bad analysis input is a clear error before anything trains', () => {
  it('a model without item embeddings: rejected by validate, at analysis', async () => {
    const file = experiment('stage-ease', {
      model: '{ type: ease, lambda: 50 }',
      loss: '',
      sampler: '',
    });
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'the analysis needs item embeddings, but model "ease" scores users directly and has none',
    );
    expect(r.stderr).toMatch(/→ at analysis\b/);
    // the same model without the section is fine
    const ok = experiment('stage-ease-ok', {
      model: '{ type: ease, lambda: 50 }',
      loss: '',
      sampler: '',
      analysis: '',
    });
    expect((await runCli(['validate', ok])).code).toBe(0);
  }, 60_000);

  it('a map smaller than the perplexity allows: rejected by validate, at the field', async () => {
    const file = experiment('stage-perplexity', { analysis: '{ type: embeddings, mapItems: 50 }' });
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'A t-SNE map with perplexity 30 needs at least 91 items: raise mapItems or lower perplexity to 16 or less, found number 50',
    );
    expect(r.stderr).toMatch(/→ at analysis\.mapItems\b/);
  }, 60_000);

  it('an attribute the data set lacks, or fewer items than the perplexity needs: the trial fails before fit', async () => {
    const cases = [
      {
        name: 'stage-attribute',
        lines: { analysis: '{ type: embeddings, attribute: genre }' },
        message:
          'there is no categorical item attribute "genre" (did you mean "genres"?); the data set has: brand, genres',
      },
      {
        name: 'stage-few-items',
        lines: {
          dataset: '{ type: demo, users: 150, items: 20, genres: 3 }',
          analysis: '{ type: embeddings, mapItems: 500 }',
        },
        message:
          't-SNE with perplexity 30 needs at least 91 items; there are 20. Lower the perplexity (analysis.perplexity: 6 fits)',
      },
    ];
    for (const c of cases) {
      const r = await runCli(['run', experiment(c.name, c.lines)], { env: { MLFLOW_TRACKING_URI: '' } });
      expect(r.code, c.name).toBe(1);
      expect(r.stderr).toContain(c.message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const trial = join(root, 'runs', c.name, 'run');
      const status = JSON.parse(readFileSync(join(trial, 'status.json'), 'utf8'));
      expect(status.status).toBe('FAILED');
      expect(status.error).toContain(c.message);
      const log = readFileSync(join(trial, 'logs.txt'), 'utf8');
      expect(log).toContain('stage split:');
      expect(log).not.toContain('stage fit:'); // nothing was trained
      expect(existsSync(join(trial, 'artifacts', 'analysis'))).toBe(false);
    }
  }, 180_000);
});
