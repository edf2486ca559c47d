#!/usr/bin/env bash
# Makes sure redis-server (and redis-cli) exist for the scale-out tests (test/scale-out): the tests start
# their own server on a free loopback port with --appendonly yes and a temporary folder, and stop it.
# Uses Debian's redis-server package. Installs it with apt-get when run as root; otherwise says how.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  echo "redis-setup: $(redis-server --version | head -n1) found"; exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-setup: installing redis-server with apt-get (for the scale-out tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # Debian's package may start a system service on 6379; the tests use their own servers and ports
  echo "redis-setup: $(redis-server --version | head -n1) installed"
else
  echo "redis-setup: redis-server is missing. Install it with:  sudo apt-get install -y redis-server" >&2
  echo "  (any Redis >= 6.2 on PATH works), then run this script again." >&2
  exit 1
fi
