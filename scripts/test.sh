#!/usr/bin/env bash
# Sets up embrec and everything its tests need (the MLflow server for the tracking tests, Chromium for
# the browser tests, redis-server for the scale-out tests), then
# runs the type check, the linter and every test (unit and real-data integration tests).
# Real data is read from $EMBREC_DATA (default ../shared/data); tests that need it say so.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/mlflow-setup.sh
./scripts/browser-setup.sh
./scripts/redis-setup.sh
export EMBREC_DATA="${EMBREC_DATA:-$(cd .. && pwd)/shared/data}"
echo "test: type check"; npm run -s typecheck
echo "test: lint"; npm run -s lint
echo "test: vitest (EMBREC_DATA=$EMBREC_DATA)"; npm test
