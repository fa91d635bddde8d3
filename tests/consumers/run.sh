#!/usr/bin/env bash
# The consumer recipes (examples/recipes/) against the real CLI, with pinned duckdb, pyarrow, polars
# and pandas, on a local root and (with LASTGOOD_TEST_AZURE, Azurite's env) on Azure; then the Delta
# Lake projection read by pinned deltalake and polars (test_delta.py; on S3 too when
# LASTGOOD_TEST_S3 is set, as tests/run.sh does).
#
#   bash tests/consumers/run.sh            # uses target/debug/lastgood (build it first)
#   LASTGOOD_BIN=target/release/lastgood bash tests/consumers/run.sh
#
# Creates or reuses a venv at ~/.cache/lastgood/consumers-venv (override: CONSUMERS_VENV), installs
# tests/consumers/requirements.txt into it (a no-op when already there), then runs
# tests/consumers/test_recipes.py and test_delta.py with that venv's python. Needs python3 (3.11 is what the pins are
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
"$venv/bin/python" -c 'import duckdb, pyarrow, deltalake, polars, pandas' \
  || die "duckdb/pyarrow/deltalake/polars/pandas do not import from $venv"

export PYTHONDONTWRITEBYTECODE=1  # the recipes are imported from examples/: leave no __pycache__ there
export LASTGOOD_BIN=${LASTGOOD_BIN:-$repo/target/debug/lastgood}
cd "$repo"
"$venv/bin/python" "$here/test_recipes.py"
# The recipes on Azure too, against the Azurite tests/run.sh starts (tests/azure/azurite.sh): never
# skipped in CI.
if [[ -n ${LASTGOOD_TEST_AZURE:-} ]]; then
  "$venv/bin/python" "$here/test_recipes_azure.py"
elif [[ -n ${CI:-} ]]; then
  die "LASTGOOD_TEST_AZURE is not set: the Azure recipes need the Azurite that tests/run.sh starts"
else
  echo "NOT RUN: the recipes on Azure (start Azurite: bash tests/azure/azurite.sh start DIR; source DIR/env)"
fi
exec "$venv/bin/python" "$here/test_delta.py"
