#!/usr/bin/env bash
# Create (or refresh) .venv with Python >= 3.12 and install the project with dev extras.
# Idempotent: re-running only installs what changed. Needs only the package index.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  # pyenv installs: honour .python-version
  if command -v pyenv >/dev/null 2>&1; then
    local version
    version=$(cat .python-version 2>/dev/null || echo 3.12)
    local candidate
    candidate="$(pyenv root)/versions/${version}/bin/python3"
    if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  fi
  return 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(find_python) || { echo "setup: Python 3.12+ not found (set PYTHON=/path/to/python3.12)" >&2; exit 2; }
  echo "setup: creating .venv with $("$py" --version)" >&2
  "$py" -m venv .venv
fi
# `setup.sh run` installs what a run needs (the package and its core dependencies); `setup.sh` (the
# default, for tests) adds the dev extras: pytest, the dashboard, Dask, EMA, validation (pyabc).
extras=$([ "${1:-dev}" = run ] && echo "" || echo "[dev]")
hash=$(cat pyproject.toml | sha256sum | cut -c1-16)
stamp=.venv/.installed-${1:-dev}-$hash
if [ "${1:-dev}" = run ] && [ -f ".venv/.installed-dev-$hash" ]; then
  stamp=.venv/.installed-dev-$hash  # the dev install holds everything a run needs
fi
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project${extras:+ with its dev extras} into .venv (log: .venv/install.log)" >&2
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install --disable-pip-version-check -e ".$extras"; } > .venv/install.log 2>&1; then
    tail -n 40 .venv/install.log >&2
    echo "setup: installation failed; full log in .venv/install.log" >&2
    exit 1
  fi
  find .venv -maxdepth 1 -name '.installed-*' ! -name "*-$hash" -delete
  touch "$stamp"
fi
