#!/usr/bin/env bash
# Sets up embrec and runs the quickstart experiment on the built-in demo data (no download).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npx embrec run experiments/quickstart.yaml "$@"
