import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.ts';

const dir = join(repoRoot, 'test', 'e2e', 'third-party');

describe('third-party plugins', () => {
  it('loads a plugin by short name from the experiment folder and runs its component', async () => {
    const out = mkdtempSync(join(tmpdir(), 'embrec-toy-'));
    const r = await runCli(['run', join(dir, 'toy.yaml'), '--json'], { env: { EMBREC_TEST_OUT: out } });
    expect(r.stderr).not.toContain('✖');
    expect(r.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'toy', 'run', 'metrics.json'), 'utf8'));
    expect(metrics.protocol).toBe('full');
    // popularity beats nothing on planted data: a real number, not a placeholder
    expect(metrics.values['Recall@10']).toBeGreaterThan(0);
    expect(metrics.values['Recall@10']).toBeLessThan(1);
    const config = JSON.parse(readFileSync(join(out, 'toy', 'run', 'config.json'), 'utf8'));
    expect(config.model).toEqual({ type: 'toy/popular', power: 1, failIn: 'none' });
  });

  it('lists third-party components with their package', async () => {
    const r = await runCli(['plugins', '--kind', 'model', '--plugin', 'toy'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| model +\| toy\/popular +\| embrec-plugin-toy +\| power: number = 1/);
  });

  it('refuses a plugin built for another core version, with a clear message and exit 2', async () => {
    const r = await runCli(['validate', join(dir, 'old.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'plugin embrec-plugin-old@3.2.0 expects @embrec/core ^9.0.0, but 0.1.0 is installed',
    );
    expect(r.stderr).toContain('→ at plugins[0]');
  });

  it('attributes a failure inside plugin code to the plugin, component and stage', async () => {
    const out = mkdtempSync(join(tmpdir(), 'embrec-toy-'));
    const r = await runCli(['run', join(dir, 'toy.yaml'), '--set', 'model.failIn=fit'], {
      env: { EMBREC_TEST_OUT: out },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '(plugin embrec-plugin-toy) model "toy/popular" failed in stage "fit" (fit): toy model was asked to fail',
    );
    expect(r.stderr).not.toMatch(/^\s+at /m); // no bare stack trace
    const status = JSON.parse(readFileSync(join(out, 'toy', 'run', 'status.json'), 'utf8'));
    expect(status.status).toBe('FAILED');
    expect(existsSync(join(out, 'toy', 'run', 'logs.txt'))).toBe(true);
  });

  it('runs a 3 × 2 sweep over a third-party parameter and reports it with a paired test vs the baseline', async () => {
    const out = mkdtempSync(join(tmpdir(), 'embrec-toy-'));
    const r = await runCli(['run', join(dir, 'sweep.yaml'), '--json'], {
      env: { EMBREC_TEST_OUT: out, MLFLOW_TRACKING_URI: '' },
    });
    expect(r.code).toBe(0);
    // the file's `plots:` are rendered when the sweep ends
    for (const ext of ['svg', 'png'])
      expect(existsSync(join(out, 'toy-sweep', 'plots', `Recall_10-vs-model.power.${ext}`))).toBe(true);
    const rep = await runCli(['report', join(out, 'toy-sweep'), '--metric', 'Recall@10', 'NDCG@10']);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toContain('| model.power=1,dataset.users=200');
    // each row is compared with model.power=1 at its own dataset.users (baseline matched by axis values)
    expect(rep.stdout).toMatch(/\| p \(Recall@10\) +\| p Holm +\|/);
    expect(rep.stdout).toContain('vs the baseline (model.power=1)');
    expect(rep.stdout.split('\n').filter((l) => l.startsWith('| model.power=')).length).toBe(6);
    const csv = await runCli(['report', join(out, 'toy-sweep'), '--format', 'csv', '--metric', 'Recall@10']);
    expect(csv.stdout.split('\n')[0]).toBe(
      'group,seeds,Recall@10 mean,Recall@10 ci_low,Recall@10 ci_high,Recall@10 delta,p (Recall@10),p Holm',
    );
  }, 200_000);

  it('Ctrl-C stops a sweep after the current step (exit 130), and a rerun skips what finished', async () => {
    const out = mkdtempSync(join(tmpdir(), 'embrec-toy-'));
    const env = { EMBREC_TEST_OUT: out, MLFLOW_TRACKING_URI: '' };
    let sent = false;
    const first = await runCli(['run', join(dir, 'sweep.yaml'), '--json'], {
      env,
      onStdoutLine: (line, kill) => {
        if (!sent && line.includes('"trial-end"')) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(first.code).toBe(130);
    const ended = first.stdout
      .split('\n')
      .filter((l) => l.includes('"trial-end"') && l.includes('"FINISHED"')).length;
    expect(ended).toBeGreaterThanOrEqual(1);
    expect(ended).toBeLessThan(6);
    const second = await runCli(['run', join(dir, 'sweep.yaml'), '--json'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout.split('\n').filter((l) => l.includes('"trial-skip"')).length).toBe(ended);
    expect(second.stdout.split('\n').filter((l) => l.includes('"trial-end"')).length).toBe(6 - ended);
  }, 200_000);
});
