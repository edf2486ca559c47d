import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFolderAtomic } from '../../packages/indexes/src/common/store.ts';
import { runCli } from '../helpers/cli.ts';
import { runFile, tinyExperiment, workspace } from './runner-fixture.ts';

/** Fault injection at the file-system layer: writes to matching paths fail with ENOSPC. */
const fault = vi.hoisted(() => ({
  match: undefined as RegExp | undefined,
  skip: 0, // let this many matching opens through first
  fds: new Set<number>(),
}));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const enospc = () =>
    Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      errno: -28,
      syscall: 'write',
    });
  const hit = (p: unknown): boolean => {
    if (!fault.match || typeof p !== 'string' || !fault.match.test(p)) return false;
    if (fault.skip > 0) {
      fault.skip--;
      return false;
    }
    return true;
  };
  const openSync = ((p: string, ...rest: never[]) => {
    const fd = (fs.openSync as (...a: unknown[]) => number)(p, ...rest);
    if (hit(p)) fault.fds.add(fd);
    return fd;
  }) as typeof fs.openSync;
  const writeSync = ((fd: number, ...rest: never[]) => {
    if (fault.fds.has(fd)) throw enospc();
    return (fs.writeSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync;
  const closeSync = ((fd: number) => {
    fault.fds.delete(fd);
    fs.closeSync(fd);
  }) as typeof fs.closeSync;
  const writeFileSync = ((p: string, ...rest: never[]) => {
    if (hit(p)) throw enospc();
    return (fs.writeFileSync as (...a: unknown[]) => void)(p, ...rest);
  }) as typeof fs.writeFileSync;
  const mocked = { openSync, writeSync, closeSync, writeFileSync };
  return { ...fs, ...mocked, default: { ...fs, ...mocked } };
});

afterEach(() => {
  fault.match = undefined;
  fault.skip = 0;
});

/** Every path under `dir` (relative). */
function walk(dir: string, rel = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? [r, ...walk(join(dir, e.name), r)] : [r];
  });
}

const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const status = (trialDir: string) =>
  JSON.parse(readFileSync(join(trialDir, 'status.json'), 'utf8')) as { status: string; error?: string };

describe('write failures (issue 10, item 10)', () => {
  it('ENOSPC in one trial: FAILED naming the path, no temporary file left, the sweep goes on', async () => {
    const w = workspace(tinyExperiment('sweep: { seeds: [1, 2] }'));
    fault.match = /\.staging\/seed=1\/.*metrics\.json/;
    const r = await runFile(w.file, { output: w.out });
    expect(r.outcome.failed.map((f) => f.trial)).toEqual(['seed=1']);
    expect(r.outcome.finished).toEqual(['seed=2']);
    const st = status(join(r.outcome.dir, 'seed=1'));
    expect(st.status).toBe('FAILED');
    expect(st.error).toContain(join(r.outcome.dir, '.staging', 'seed=1', 'metrics.json'));
    expect(st.error).toContain('ENOSPC');
    expect(walk(r.outcome.dir).filter((p) => /\.tmp-|\.old-/.test(p))).toEqual([]);
    expect(walk(join(r.outcome.dir, '.staging'))).toEqual([]);
  });

  it('a trial whose status cannot be written fails without leaving its folder in .staging', async () => {
    const w = workspace(tinyExperiment('sweep: { seeds: [1, 2] }'));
    fault.match = /\.staging\/seed=1\/.*status\.json/;
    const r = await runFile(w.file, { output: w.out });
    expect(r.outcome.failed.map((f) => f.trial)).toEqual(['seed=1']);
    expect(r.outcome.failed[0]!.error.message).toContain('status.json');
    expect(r.outcome.finished).toEqual(['seed=2']);
    expect(walk(join(r.outcome.dir, '.staging'))).toEqual([]);
  });

  it('--max-failures stops the sweep and says why', async () => {
    const w = workspace(tinyExperiment('sweep: { seeds: [1, 2, 3, 4] }'));
    fault.match = /metrics\.json/;
    const warnings: string[] = [];
    const r = await runFile(w.file, {
      output: w.out,
      maxFailures: 2,
      onEvent: (e) => {
        if (e.type === 'warning') warnings.push(e.message);
      },
    });
    expect(r.outcome.failed).toHaveLength(2);
    expect(r.outcome.finished).toEqual([]);
    expect(r.outcome.stopped).toBe('stopping the sweep: 2 trials failed (--max-failures 2)');
    expect(warnings).toContain('stopping the sweep: 2 trials failed (--max-failures 2)');
  });

  it('embrec run --max-failures: the CLI stops the sweep, says why and exits 1', async () => {
    const w = workspace(
      tinyExperiment('sweep: { seeds: [1, 2, 3] }').replace(
        'dataset: { type: demo, users: 60, items: 80, genres: 4 }',
        'dataset: { type: csv, path: missing.csv }',
      ),
    );
    const r = await runCli(['run', w.file, '--output', w.out, '--max-failures', '2'], {
      env: { MLFLOW_TRACKING_URI: '' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stopping the sweep: 2 trials failed (--max-failures 2)');
    expect(r.stderr).toContain('0 finished, 2 failed');
    const bad = await runCli(['run', w.file, '--max-failures', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-failures expects a whole number of at least 1, found 0');
  }, 60_000);

  it('embrec run --only with a name that is no trial is an error naming the trials (it ran nothing before)', async () => {
    const w = workspace(tinyExperiment('sweep: { seeds: [1, 2] }'));
    const r = await runCli(['run', w.file, '--output', w.out, '--only', 'seed=1', '--only', 'seed=9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--only "seed=9": no trial of');
    expect(r.stderr).toContain('its trials are "seed=1", "seed=2"');
    expect(existsSync(w.out) ? readdirSync(w.out) : []).toEqual([]);
    const ok = await runCli(['run', w.file, '--output', w.out, '--only', 'seed=2'], {
      env: { MLFLOW_TRACKING_URI: '' },
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('1 finished');
  }, 60_000);

  it("the trainer's checkpoint is one unit: a failed state.json write leaves the previous epoch's, which resumes exactly", async () => {
    const ref = workspace(tinyExperiment());
    const whole = await runFile(ref.file, { output: ref.out });
    const history = (dir: string) =>
      readFileSync(join(dir, 'run', 'metrics-history.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { values: { loss: number } }).values.loss);

    const w = workspace(tinyExperiment());
    fault.match = /checkpoints\/.*state\.json/;
    fault.skip = 1; // epoch 1 is written, epoch 2 fails
    const broken = await runFile(w.file, { output: w.out });
    expect(broken.outcome.failed).toHaveLength(1);
    expect(broken.outcome.failed[0]!.error.message).toMatch(/state\.json.*ENOSPC|ENOSPC.*state\.json/s);
    const ck = join(broken.outcome.dir, '.checkpoints');
    expect(walk(ck).filter((p) => /\.tmp-|\.old-|\.tmp$/.test(p))).toEqual([]);
    fault.match = undefined;
    const resumed = await runFile(w.file, { output: w.out });
    expect(resumed.outcome.finished).toEqual(['run']);
    expect(readFileSync(join(resumed.outcome.dir, 'run', 'logs.txt'), 'utf8')).toContain(
      'resuming training from the checkpoint after epoch 1',
    );
    expect(history(resumed.outcome.dir)).toEqual(history(whole.outcome.dir));
  });

  it('stale temporary files of dead processes are swept at the next start; live ones are kept', async () => {
    const w = workspace(tinyExperiment());
    const sweep = join(w.out, 'tiny');
    const dead = deadPid();
    mkdirSync(join(sweep, 'run'), { recursive: true });
    writeFileSync(join(sweep, '.embrec-sweep'), '');
    writeFileSync(join(sweep, 'run', '.embrec-trial'), '');
    writeFileSync(join(sweep, 'run', `.metrics.json.tmp-${dead}-0a1b2c3d`), 'x');
    mkdirSync(join(sweep, 'artifacts', `.index.tmp-${dead}-00ff00ff`), { recursive: true });
    mkdirSync(join(sweep, 'artifacts', `.index.old-${dead}-00ff00ff`), { recursive: true });
    mkdirSync(join(sweep, '.staging', 'gone'), { recursive: true });
    writeFileSync(join(sweep, `.live.tmp-${process.pid}-beefbeef`), 'x');
    const r = await runFile(w.file, { output: w.out });
    expect(r.outcome.finished).toEqual(['run']);
    const left = walk(sweep).filter((p) => /\.tmp-|\.old-|gone/.test(p));
    expect(left).toEqual([`.live.tmp-${process.pid}-beefbeef`]);
  });
});

describe("the indexes' store uses the one atomic writer (issue 10, item 10)", () => {
  it('sweeps stale siblings of dead processes, and a failed write names the path and leaves no temporary folder', async () => {
    const w = workspace('');
    const root = join(w.dir, 'indexes');
    const dead = deadPid();
    mkdirSync(join(root, `.ivf.tmp-${dead}-12345678`), { recursive: true });
    mkdirSync(join(root, `.ivf.old-${dead}-12345678`), { recursive: true });
    mkdirSync(join(root, `.ivf.tmp-${process.pid}-87654321`), { recursive: true });
    await writeFolderAtomic(join(root, 'ivf'), async (tmp) => {
      writeFileSync(join(tmp, 'meta.json'), '{"v":1}');
    });
    expect(readdirSync(root).sort()).toEqual([`.ivf.tmp-${process.pid}-87654321`, 'ivf']);

    fault.match = /vectors\.f32/;
    const { writeF32 } = await import('../../packages/indexes/src/common/store.ts');
    await expect(
      writeFolderAtomic(join(root, 'ivf'), async (tmp) => {
        await writeF32(join(tmp, 'vectors.f32'), new Float32Array(8));
      }),
    ).rejects.toThrow(/vectors\.f32.*ENOSPC/s);
    expect(readdirSync(root).sort()).toEqual([`.ivf.tmp-${process.pid}-87654321`, 'ivf']);
    expect(readFileSync(join(root, 'ivf', 'meta.json'), 'utf8')).toBe('{"v":1}');
  });
});
