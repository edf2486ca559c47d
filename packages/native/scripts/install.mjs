// Builds the native addon on `npm install`. Checks the system libraries first and names the apt
// packages when they are missing, instead of failing deep inside the compiler. Builds are
// serialised with a lock file so that parallel installs/rebuilds never clobber build/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

if (!force && existsSync(built) && process.env.npm_lifecycle_event === 'install') {
  // A prior build exists: rebuild anyway so sources and binary agree (fast when nothing changed).
}

const gyp = join(dirname(fileURLToPath(import.meta.resolve('node-gyp/package.json'))), 'bin', 'node-gyp.js');
const args = [gyp, 'rebuild', '-j', '2', `--nodedir=${nodedir}`];
const lock = spawnSync('flock', ['--version']).status === 0;
const r = lock
  ? spawnSync('flock', ['/tmp/embrec-native-build.lock', process.execPath, ...args], {
      cwd: here,
      stdio: 'inherit',
    })
  : spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('\n@embrec/native: the addon failed to build (see the compiler output above).');
  process.exit(r.status ?? 1);
}
