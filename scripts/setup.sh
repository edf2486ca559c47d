#!/usr/bin/env bash
# Installs what embrec needs on a fresh Debian/Ubuntu machine, then the npm workspace.
#   system: g++ make python3 (node-gyp), libopenblas-dev libfaiss-dev (the native addon)
#   npm:    npm ci (builds @embrec/native against the local Node headers)
# Run as root to let it apt-get install missing packages; otherwise it says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# --- Node.js ------------------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1; then
  say "Node.js is not installed. Install Node.js 20.19 or newer (e.g. apt-get install nodejs npm, or https://nodejs.org)."
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
  say "Node.js $(node -v) is too old: embrec needs 20.19 or newer."
  exit 1
}

# --- system packages ----------------------------------------------------------------------------
need=()
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -e /usr/include/x86_64-linux-gnu/cblas.h ] || [ -e /usr/include/cblas.h ] || [ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || need+=(libopenblas-dev)
[ -e /usr/lib/x86_64-linux-gnu/libfaiss.a ] || [ -e /usr/lib/libfaiss.a ] || need+=(libfaiss-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing missing system packages with apt-get: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    say "missing system packages: ${need[*]}"
    say "install them with:  sudo apt-get install -y ${need[*]}   then run this script again."
    exit 1
  fi
fi

# --- Node headers for node-gyp (it cannot download them offline) ---------------------------------
nodedir="$(npm config get nodedir 2>/dev/null || true)"
if [ -z "$nodedir" ] || [ "$nodedir" = "undefined" ] || [ "$nodedir" = "null" ] || [ ! -e "$nodedir/include/node/node_api.h" ]; then
  prefix="$(dirname "$(dirname "$(command -v node)")")"
  if [ -e "$prefix/include/node/node_api.h" ]; then
    say "using the local Node headers in $prefix/include/node (npm_config_nodedir=$prefix)"
    export npm_config_nodedir="$prefix"
  else
    say "Node headers (include/node/node_api.h) were not found, and node-gyp would try to download them."
    say "Install them (Debian: apt-get install libnode-dev, or use a Node.js tarball that ships include/),"
    say "then point npm at them:  npm config set nodedir <folder that holds include/node>"
    exit 1
  fi
fi

# --- npm workspace ------------------------------------------------------------------------------
if [ -f package-lock.json ]; then
  say "npm ci (builds the native addon)"
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
say "done: $(node -v), native addon $(test -e packages/native/build/Release/embrec_native.node && echo built || echo MISSING)"
