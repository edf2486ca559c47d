// Builds the native addon on `npm install`. Checks the system libraries first and names the apt
// packages when they are missing, instead of failing deep inside the compiler. Builds are
// serialised with a lock file so that parallel installs/rebuilds never clobber each other, and
// they are atomic: node-gyp works in build/.staging (a copy of binding.gyp and src/cc, kept between
// builds so that make only recompiles what changed), and the finished addon is copied to a temporary
// name next to build/Release/embrec_native.node and renamed over it. A process loading the addon
// while a rebuild runs sees the old file or the new one, never a missing or half-written one.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const force = process.argv.includes('--force');
const built = join(here, 'build', 'Release', 'embrec_native.node');

if (process.env.EMBREC_SKIP_NATIVE === '1') {
  console.log('@embrec/native: EMBREC_SKIP_NATIVE=1, not building the addon');
  process.exit(0);
}

const missing = [];
const need = [
  ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/cblas.h', 'libopenblas-dev'],
  ['/usr/lib/x86_64-linux-gnu/libfaiss.a', '/usr/lib/libfaiss.a', 'libfaiss-dev'],
];
for (const [a, b, pkg] of need) if (!existsSync(a) && !existsSync(b)) missing.push(pkg);
const hasCompiler =
  spawnSync('g++', ['--version']).status === 0 && spawnSync('make', ['--version']).status === 0;
if (!hasCompiler) missing.push('g++', 'make');
if (missing.length > 0) {
  console.error(
    `\n@embrec/native: cannot build the native addon, missing system packages: ${missing.join(' ')}\n` +
      `  Install them with:  sudo apt-get install -y ${missing.join(' ')}\n` +
      '  (or run ./scripts/setup.sh, which installs them), then run npm install again.\n',
  );
  process.exit(1);
}

// Opt-in: build against a FAISS source tree instead of Debian's libfaiss (docs/indexes.md, "A newer
// FAISS"). EMBREC_FAISS_SRC names the tree (its faiss/*.h headers) where cmake built a static library
// in build/faiss/; EMBREC_FAISS_LIB may name the library file itself.
const faissSrc = process.env.EMBREC_FAISS_SRC ?? '';
if (faissSrc !== '') {
  if (!existsSync(join(faissSrc, 'faiss', 'Index.h'))) {
    console.error(
      `\n@embrec/native: EMBREC_FAISS_SRC=${faissSrc} is not a FAISS source tree (expected ${join(faissSrc, 'faiss', 'Index.h')}).\n` +
        "  Unset it to build against Debian's libfaiss, or point it at a FAISS checkout (see docs/indexes.md).\n",
    );
    process.exit(1);
  }
  const avx512 = /\bavx512f\b/.test(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '');
  const candidates = [
    process.env.EMBREC_FAISS_LIB,
    ...(avx512 ? [join(faissSrc, 'build', 'faiss', 'libfaiss_avx512.a')] : []),
    join(faissSrc, 'build', 'faiss', 'libfaiss_avx2.a'),
    join(faissSrc, 'build', 'faiss', 'libfaiss.a'),
  ].filter((f) => f !== undefined && f !== '');
  const lib = candidates.find((f) => existsSync(f));
  if (lib === undefined) {
    console.error(
      `\n@embrec/native: EMBREC_FAISS_SRC=${faissSrc} has no static FAISS library; looked for:\n  ${candidates.join('\n  ')}\n` +
        '  Build it first (docs/indexes.md lists the cmake flags), or set EMBREC_FAISS_LIB to the .a file.\n',
    );
    process.exit(1);
  }
  process.env.EMBREC_FAISS_LIB = lib;
  // said once: the flock(1) re-run below (EMBREC_NATIVE_BUILD_LOCKED) checks again but stays quiet
  if (process.env.EMBREC_NATIVE_BUILD_LOCKED !== '1')
    console.log(`@embrec/native: building against FAISS from ${faissSrc} (${lib})`);
}

// node-gyp must build against local Node headers: it cannot download them offline.
let nodedir = process.env.npm_config_nodedir || '';
if (!nodedir) {
  try {
    nodedir = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
  } catch {}
}
if (!nodedir || nodedir === 'undefined') {
  const guess = dirname(dirname(process.execPath));
  if (existsSync(join(guess, 'include', 'node', 'node_api.h'))) nodedir = guess;
}
if (!nodedir || !existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(
    '\n@embrec/native: Node headers not found (node_api.h). node-gyp would try to download them.\n' +
      '  Point npm at the local headers:  npm config set nodedir <prefix>   (the folder holding include/node)\n' +
      '  On Debian/Ubuntu the nodejs package puts them in /usr/include/node: npm config set nodedir /usr\n',
  );
  process.exit(1);
}

// Serialise builds: re-run this script under flock(1) when it is available.
const lockFile = '/tmp/embrec-native-build.lock';
if (process.env.EMBREC_NATIVE_BUILD_LOCKED !== '1' && spawnSync('flock', ['--version']).status === 0) {
  const r = spawnSync(
    'flock',
    [lockFile, process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      cwd: here,
      stdio: 'inherit',
      env: { ...process.env, EMBREC_NATIVE_BUILD_LOCKED: '1' },
    },
  );
  process.exit(r.status ?? 1);
}

// Mirror binding.gyp and src/cc into the staging folder, touching only files whose content changed
// (so make's timestamps stay meaningful) and removing sources that no longer exist.
const staging = join(here, 'build', '.staging');
mkdirSync(join(staging, 'src', 'cc'), { recursive: true });
function sync(from, to) {
  const data = readFileSync(from);
  if (existsSync(to) && readFileSync(to).equals(data)) return false;
  writeFileSync(to, data);
  return true;
}
let layoutChanged = sync(join(here, 'binding.gyp'), join(staging, 'binding.gyp'));
const sources = new Set(readdirSync(join(here, 'src', 'cc')));
for (const f of sources) sync(join(here, 'src', 'cc', f), join(staging, 'src', 'cc', f));
for (const f of readdirSync(join(staging, 'src', 'cc'))) {
  if (!sources.has(f)) {
    rmSync(join(staging, 'src', 'cc', f));
    layoutChanged = true;
  }
}
// binding.gyp lists src/cc/*.cc when gyp runs: re-configure when that list or binding.gyp changed.
const listFile = join(staging, 'sources.txt');
// the FAISS the addon links is part of the layout: switching it re-configures
const list = [...[...sources].sort(), `faiss=${process.env.EMBREC_FAISS_LIB ?? 'debian'}`].join('\n');
if (!existsSync(listFile) || readFileSync(listFile, 'utf8') !== list) layoutChanged = true;

const gyp = join(dirname(fileURLToPath(import.meta.resolve('node-gyp/package.json'))), 'bin', 'node-gyp.js');
function nodeGyp(...args) {
  const r = spawnSync(process.execPath, [gyp, ...args, `--nodedir=${nodedir}`], {
    cwd: staging,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error('\n@embrec/native: the addon failed to build (see the compiler output above).');
    process.exit(r.status ?? 1);
  }
}
if (layoutChanged || force || !existsSync(join(staging, 'build', 'Makefile'))) {
  nodeGyp('configure');
  writeFileSync(listFile, list);
}
nodeGyp('build', '-j', '2');

// Publish atomically: copy to a temporary name in the same folder, fsync, rename over the old file.
const fresh = join(staging, 'build', 'Release', 'embrec_native.node');
mkdirSync(dirname(built), { recursive: true });
const tmp = `${built}.tmp-${process.pid}`;
copyFileSync(fresh, tmp);
const fd = openSync(tmp, 'r');
fsyncSync(fd);
closeSync(fd);
renameSync(tmp, built);
console.log(`@embrec/native: built ${built}`);
