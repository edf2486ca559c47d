import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeAvailable } from '../src/addon.ts';
import { faissVersion } from '../src/faiss.ts';

// The opt-in build against a FAISS source tree (EMBREC_FAISS_SRC, docs/indexes.md): the install script
// checks the tree and its library before it starts node-gyp, so a wrong path is a clear error in
// well under a second, not a compiler failure minutes later. (Building FAISS itself takes tens of
// minutes; docs/benchmarks.md has the measured comparison.)
const install = join(dirname(dirname(fileURLToPath(import.meta.url))), 'scripts', 'install.mjs');
const dir = mkdtempSync(join(tmpdir(), 'embrec-faiss-src-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runInstall(env: Record<string, string>) {
  return spawnSync(process.execPath, [install, '--force'], {
    env: { ...process.env, EMBREC_SKIP_NATIVE: '', EMBREC_FAISS_LIB: '', ...env },
    encoding: 'utf8',
    timeout: 50_000,
  });
}

describe('EMBREC_FAISS_SRC: building against a FAISS source tree', () => {
  it('a folder that is not a FAISS tree is refused, naming the header it looked for', () => {
    const r = runInstall({ EMBREC_FAISS_SRC: join(dir, 'nowhere') });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`EMBREC_FAISS_SRC=${join(dir, 'nowhere')} is not a FAISS source tree`);
    expect(r.stderr).toContain(join(dir, 'nowhere', 'faiss', 'Index.h'));
  }, 60_000);

  it('a tree without a built static library is refused, listing the files it looked for', () => {
    const tree = join(dir, 'faiss-tree');
    mkdirSync(join(tree, 'faiss'), { recursive: true });
    writeFileSync(join(tree, 'faiss', 'Index.h'), '// header\n');
    const r = runInstall({ EMBREC_FAISS_SRC: tree });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('has no static FAISS library');
    expect(r.stderr).toContain(join(tree, 'build', 'faiss', 'libfaiss_avx2.a'));
    expect(r.stderr).toContain(join(tree, 'build', 'faiss', 'libfaiss.a'));
  }, 60_000);
});

describe.skipIf(!nativeAvailable() && process.env.CI !== 'true')('faissVersion', () => {
  it('names the FAISS the addon was compiled against (Debian 1.7.3 or a newer source tree)', () => {
    const v = faissVersion();
    expect(v).toMatch(/^\d+\.\d+\.\d+$/);
    const [major, minor] = v.split('.').map(Number) as [number, number];
    expect(major * 1000 + minor).toBeGreaterThanOrEqual(1007);
  });
});
