#!/usr/bin/env bash
# Set up the environment, then run the baseline scenario (extra arguments go to `sim run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run   # only what a run needs (the tests' extras are not installed)
exec .venv/bin/sim run scenarios/baseline.yaml "$@"
