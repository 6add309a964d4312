#!/usr/bin/env bash
# Set up the environment, then lint and run the whole test suite.
# pytest exits 5 when it collects no tests; that fails this script too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
