import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeEmbeddingTable, writePerUser, writePerUserIndex } from '../../src/runner/artifacts.ts';
import { readPerUser, readTrialEmbeddings } from '../../src/runner/artifacts-read.ts';
import { idCsv, parseIdCsv } from '../../src/runner/id-csv.ts';
import { npyBytes, parseNpy } from '../../src/runner/npy.ts';
import { IdMap } from '../../src/types/ids.ts';

const root = mkdtempSync(join(tmpdir(), 'embrec-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A Python with numpy: the MLflow venv's, else python3. In CI a missing numpy is a failure. */
function numpyPython(): string | undefined {
  for (const py of [join(homedir(), '.cache', 'embrec', 'mlflow-venv', 'bin', 'python'), 'python3']) {
    const r = spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  if (process.env.CI === 'true') throw new Error('numpy is needed for the .npy round-trip test (CI=true)');
  return undefined;
}
const py = numpyPython();

function python(code: string): string {
  const r = spawnSync(py!, ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

const ids = ['u1', 'a,b', 'say "hi"', 'two\nlines', '', 'é'];
const table = {
  ids: IdMap.fromJSON(ids),
  dim: 3,
  vectors: Float32Array.from({ length: 18 }, (_, i) => i / 7 - 1),
};

describe('export format: .npy embeddings with CSV ID maps', () => {
  it.skipIf(!py)('numpy reads what embrec writes (2-D embeddings, 1-D per-user vectors, ID maps)', () => {
    const dir = join(root, 'numpy');
    mkdirSync(dir);
    writeEmbeddingTable(dir, 'users', table);
    writeFileSync(join(dir, 'v.npy'), npyBytes(Float32Array.from([0.5, 0, 1]), [3]));
    const out = JSON.parse(
      python(`
import json, csv, numpy as np
a = np.load(${JSON.stringify(join(dir, 'users.npy'))})
v = np.load(${JSON.stringify(join(dir, 'v.npy'))})
with open(${JSON.stringify(join(dir, 'users.ids.csv'))}, newline='', encoding='utf-8') as f:
    rows = list(csv.reader(f))
print(json.dumps({"dtype": str(a.dtype), "shape": a.shape, "values": a.ravel().tolist(), "v": v.tolist(), "vshape": v.shape, "rows": rows}))
`),
    ) as {
      dtype: string;
      shape: number[];
      values: number[];
      v: number[];
      vshape: number[];
      rows: string[][];
    };
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([6, 3]);
    expect(Float32Array.from(out.values)).toEqual(table.vectors);
    expect(out.vshape).toEqual([3]);
    expect(out.v).toEqual([0.5, 0, 1]);
    expect(out.rows).toEqual([['user_id'], ...ids.map((i) => [i])]);
  });

  it.skipIf(!py)(
    'embrec reads what numpy writes (float32, float64), and refuses Fortran order by name',
    () => {
      const dir = join(root, 'from-numpy');
      mkdirSync(dir);
      python(`
import numpy as np
np.save(${JSON.stringify(join(dir, 'a.npy'))}, np.arange(12, dtype=np.float32).reshape(4, 3) / 3)
np.save(${JSON.stringify(join(dir, 'b.npy'))}, np.array([0.25, 1.5]))
np.save(${JSON.stringify(join(dir, 'f.npy'))}, np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
`);
      const a = parseNpy(readFileSync(join(dir, 'a.npy')), 'a.npy');
      expect(a.shape).toEqual([4, 3]);
      expect(Array.from(a.data)).toEqual(Array.from(Float32Array.from({ length: 12 }, (_, i) => i / 3)));
      const b = parseNpy(readFileSync(join(dir, 'b.npy')), 'b.npy');
      expect(b.data).toBeInstanceOf(Float64Array);
      expect(Array.from(b.data)).toEqual([0.25, 1.5]);
      expect(() => parseNpy(readFileSync(join(dir, 'f.npy')), 'f.npy')).toThrow(
        /f\.npy: header "fortran_order" must be False/,
      );
    },
  );

  it('round-trips a trial folder: IDs with commas, quotes, line breaks and empty strings', () => {
    const trial = join(root, 'trial');
    const emb = join(trial, 'artifacts', 'embeddings');
    mkdirSync(emb, { recursive: true });
    writeEmbeddingTable(emb, 'users', table);
    writeEmbeddingTable(emb, 'items', { ...table, ids: IdMap.fromJSON(ids.map((i) => `i${i}`)) });
    const back = readTrialEmbeddings(trial);
    expect(back.users!.ids.toJSON()).toEqual(ids);
    expect(back.items.ids.toJSON()).toEqual(ids.map((i) => `i${i}`));
    expect(back.items.vectors).toEqual(table.vectors);
    expect(parseIdCsv(idCsv('item_id', []), 'x.csv', 'item_id')).toEqual([]);
    expect(() => parseIdCsv('user_id\nx,y\n', 'u.csv', 'user_id')).toThrow(
      /u\.csv, line 2: expected one ID per line/,
    );
    expect(() => parseIdCsv('id\nx\n', 'u.csv', 'user_id')).toThrow(
      /u\.csv, line 1: expected the header "user_id"/,
    );
  });

  it('per-user vectors as .npy with their users, read back by display name', () => {
    const trial = join(root, 'per-user-new');
    const dir = join(trial, 'per-user');
    mkdirSync(dir, { recursive: true });
    const userIds = IdMap.fromJSON(['a', 'b', 'c']);
    const set = {
      protocol: 'full',
      values: {},
      users: Int32Array.from([2, 0]),
      perUser: { 'Recall@10': Float32Array.from([1, 0.5]) },
    };
    const index = {
      ...writePerUser(dir, set, userIds),
      ...Object.fromEntries(
        Object.entries(
          writePerUser(
            dir,
            { ...set, users: Int32Array.from([1]), perUser: { 'Recall@10': Float32Array.from([0.25]) } },
            userIds,
            'pipeline.',
          ),
        ).map(([k, v]) => [`${k} (pipeline)`, v]),
      ),
    };
    writePerUserIndex(dir, index);
    expect(existsSync(join(dir, 'recall_at_10.npy'))).toBe(true);
    const back = readPerUser(trial);
    expect(back['Recall@10']).toEqual({ users: ['c', 'a'], values: Float32Array.from([1, 0.5]) });
    expect(back['Recall@10 (pipeline)']).toEqual({ users: ['b'], values: Float32Array.from([0.25]) });
  });
});

describe('runs written before 0.2 (.f32 + JSON) still load', () => {
  it('embeddings: items.f32 + items.ids.json + items.meta.json', () => {
    const trial = join(root, 'old');
    const emb = join(trial, 'artifacts', 'embeddings');
    mkdirSync(emb, { recursive: true });
    writeFileSync(join(emb, 'items.f32'), new Uint8Array(table.vectors.buffer));
    writeFileSync(join(emb, 'items.ids.json'), JSON.stringify(ids));
    writeFileSync(join(emb, 'items.meta.json'), JSON.stringify({ dim: 3, count: 6 }));
    const back = readTrialEmbeddings(trial);
    expect(back.items.ids.toJSON()).toEqual(ids);
    expect(back.items.vectors).toEqual(table.vectors);
    expect(back.users).toBeUndefined();
    writeFileSync(join(emb, 'items.meta.json'), JSON.stringify({ dim: 4, count: 6 }));
    expect(() => readTrialEmbeddings(trial)).toThrow(/items\.f32: 72 bytes is not 6 rows of 4 float32/);
  });

  it('per-user: index.json of file names, <prefix>users.json', () => {
    const trial = join(root, 'old-per-user');
    const dir = join(trial, 'per-user');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'users.json'), JSON.stringify(['a', 'b']));
    writeFileSync(join(dir, 'pipeline.users.json'), JSON.stringify(['b']));
    writeFileSync(join(dir, 'recall_at_10.f32'), new Uint8Array(Float32Array.from([1, 0]).buffer));
    writeFileSync(join(dir, 'pipeline.recall_at_10.f32'), new Uint8Array(Float32Array.from([0.5]).buffer));
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({
        'Recall@10': 'recall_at_10.f32',
        'Recall@10 (pipeline)': 'pipeline.recall_at_10.f32',
      }),
    );
    const back = readPerUser(trial);
    expect(back['Recall@10']).toEqual({ users: ['a', 'b'], values: Float32Array.from([1, 0]) });
    expect(back['Recall@10 (pipeline)']).toEqual({ users: ['b'], values: Float32Array.from([0.5]) });
  });

  it('a folder with neither layout gets a clear message', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(() => readTrialEmbeddings(empty)).toThrow(
      /no exported embeddings \(expected .*items\.npy, or items\.f32 from runs before 0\.2\)/,
    );
    expect(() => readPerUser(empty)).toThrow(/has no per-user metrics/);
  });
});
