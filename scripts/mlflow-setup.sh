#!/usr/bin/env bash
# Makes sure an MLflow tracking server (mlflow >= 3.7) can be started by the tests.
# Uses mlflow from PATH when it is recent enough; otherwise pip-installs it into a venv at
# ${EMBREC_MLFLOW_VENV:-~/.cache/embrec/mlflow-venv} (test/helpers/mlflow-server.ts looks there).
# Missing system packages (python3, venv) are installed with apt-get when run as root; otherwise
# the script says exactly what to install.
set -euo pipefail

MIN_VERSION="3.7"
VENV="${EMBREC_MLFLOW_VENV:-$HOME/.cache/embrec/mlflow-venv}"

version_ok() { # version_ok <mlflow executable>
  local v
  v="$("$1" --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p')" || return 1
  [ -n "$v" ] || return 1
  [ "$(printf '%s\n%s\n' "$MIN_VERSION" "$v" | sort -V | head -n1)" = "$MIN_VERSION" ]
}

if command -v mlflow >/dev/null 2>&1 && version_ok mlflow; then
  echo "mlflow-setup: $(mlflow --version) found on PATH"
  exit 0
fi
if [ -x "$VENV/bin/mlflow" ] && version_ok "$VENV/bin/mlflow"; then
  echo "mlflow-setup: $("$VENV/bin/mlflow" --version) found in $VENV"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "mlflow-setup: installing python3 and python3-venv with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
  else
    echo "mlflow-setup: python3 with venv support is missing. Install it with:" >&2
    echo "  sudo apt-get install -y python3 python3-venv python3-pip" >&2
    exit 1
  fi
fi

echo "mlflow-setup: installing mlflow>=$MIN_VERSION into $VENV (a few minutes)"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "mlflow>=$MIN_VERSION"
echo "mlflow-setup: $("$VENV/bin/mlflow" --version) installed in $VENV"
