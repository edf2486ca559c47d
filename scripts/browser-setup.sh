#!/usr/bin/env bash
# Makes sure a headless Chromium exists for the browser tests (the analysis report, the serving page).
# Uses Debian's chromium package (/usr/bin/chromium); the tests drive it with playwright-core, which
# never downloads a browser of its own. Installs it with apt-get when run as root; otherwise says how.
set -euo pipefail
if [ -n "${EMBREC_CHROMIUM:-}" ] && [ -x "$EMBREC_CHROMIUM" ]; then
  echo "browser-setup: using EMBREC_CHROMIUM=$EMBREC_CHROMIUM"; exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  echo "browser-setup: $(chromium --version 2>/dev/null | head -n1) found"; exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "browser-setup: installing chromium with apt-get (for the browser tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  echo "browser-setup: $(chromium --version 2>/dev/null | head -n1) installed"
else
  echo "browser-setup: Chromium is missing. Install it with:  sudo apt-get install -y chromium" >&2
  echo "  (or point EMBREC_CHROMIUM at a Chromium/Chrome binary), then run this script again." >&2
  exit 1
fi
