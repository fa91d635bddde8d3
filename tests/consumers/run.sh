#!/usr/bin/env bash
# The consumer recipes (examples/recipes/) against the real CLI, with pinned duckdb, pyarrow, polars
# and pandas.
#
#   bash tests/consumers/run.sh            # uses target/debug/lastgood (build it first)
#   LASTGOOD_BIN=target/release/lastgood bash tests/consumers/run.sh
#
# Creates or reuses a venv at ~/.cache/lastgood/consumers-venv (override: CONSUMERS_VENV), installs
# tests/consumers/requirements.txt into it (a no-op when already there), then runs
# tests/consumers/test_recipes.py with that venv's python. Needs python3 (3.11 is what the pins are
# checked on) and PyPI. A failed install fails the run: it is never skipped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=${CONSUMERS_VENV:-$HOME/.cache/lastgood/consumers-venv}
python=${PYTHON:-python3}

die() { echo "tests/consumers/run.sh: $*" >&2; exit 1; }

if [[ ! -x $venv/bin/python ]]; then
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv" || die "could not create the venv at $venv with $python"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" \
  || die "pip install -r tests/consumers/requirements.txt failed (PyPI reachable? $venv intact? delete it to start over)"
"$venv/bin/python" -c 'import duckdb, pyarrow, polars, pandas' \
  || die "duckdb/pyarrow/polars/pandas do not import from $venv"

export PYTHONDONTWRITEBYTECODE=1  # the recipes are imported from examples/: leave no __pycache__ there
export LASTGOOD_BIN=${LASTGOOD_BIN:-$repo/target/debug/lastgood}
cd "$repo"
exec "$venv/bin/python" "$here/test_recipes.py"
