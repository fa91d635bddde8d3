#!/usr/bin/env bash
# The Python package against the installed wheel, as a user gets it:
#
# 1. build the wheel with maturin (pinned, in its own cached venv) and the dev profile, reusing
#    target/ (only the lastgood crate links again);
# 2. install it into a FRESH venv (made anew every run; pip --no-deps --no-index: the wheel only);
# 3. run pytest (tests/python/) with that venv's python, with no Rust toolchain on the PATH: the
#    tests check that `lastgood` on PATH is the wheel's binary and that cargo/rustc are absent.
#
# The test libraries (pytest, pyarrow, polars, pandas, duckdb: pinned in tests/python/
# requirements.txt) live in a cached venv the fresh one sees through a .pth file, so a run does
# not reinstall 200 MB of wheels; lastgood itself is only in the fresh venv.
#
#   bash tests/python/run.sh              # with S3 too when LASTGOOD_TEST_S3 is set (tests/run.sh)
#   WHEEL=dist/lastgood-….whl bash tests/python/run.sh   # test a given wheel (the release one)
#
# Knobs: LASTGOOD_WHEEL_TOOLS (maturin's venv, default ~/.cache/lastgood/wheel-tools),
# LASTGOOD_PYTEST_DEPS (the libraries' venv, default ~/.cache/lastgood/pytest-deps), PYTHON.
# Needs python3 (3.11 is what the pins are checked on) and PyPI for the first run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
tools=${LASTGOOD_WHEEL_TOOLS:-$HOME/.cache/lastgood/wheel-tools}
deps=${LASTGOOD_PYTEST_DEPS:-$HOME/.cache/lastgood/pytest-deps}
MATURIN_VERSION=1.9.6

die() { echo "tests/python/run.sh: $*" >&2; exit 1; }
pip_q() { "$1/bin/python" -m pip install -q --disable-pip-version-check "${@:2}"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start=$SECONDS
if [[ -z ${WHEEL:-} ]]; then
  if ! "$tools/bin/maturin" --version 2>/dev/null | grep -q "maturin $MATURIN_VERSION"; then
    "$python" -m venv "$tools" || die "could not create $tools"
    pip_q "$tools" "maturin==$MATURIN_VERSION" || die "pip install maturin==$MATURIN_VERSION failed"
  fi
  # --profile dev: the debug build tests/run.sh made, so only the binary links again.
  (cd "$repo" && "$tools/bin/maturin" build --profile dev --quiet --out "$work/wheels" 2>&1 | grep -v '^$' | tail -3) \
    || die "maturin build failed"
  WHEEL=$(ls "$work"/wheels/lastgood-*.whl)
fi
[[ -f $WHEEL ]] || die "no wheel at $WHEEL"
echo "wheel: $(basename "$WHEEL") ($(du -h "$WHEEL" | cut -f1)), built in $((SECONDS - start)) s"

if [[ ! -x $deps/bin/python ]]; then
  "$python" -m venv "$deps" || die "could not create $deps"
fi
pip_q "$deps" -r "$here/requirements.txt" || die "pip install -r tests/python/requirements.txt failed"
"$deps/bin/python" -c 'import pytest, pyarrow, polars, pandas, duckdb' || die "the test libraries do not import from $deps"
if "$deps/bin/python" -c 'import lastgood' 2>/dev/null; then
  die "$deps has a lastgood of its own: delete it and run again"
fi

# The fresh venv: only the wheel in it; the test libraries through a .pth line.
venv=$work/venv
"$python" -m venv "$venv"
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
"$deps/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))' >"$site/_lastgood_test_libraries.pth"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-index "$WHEEL"
[[ -x $venv/bin/lastgood ]] || die "the wheel did not install bin/lastgood"

# No Rust toolchain: the PATH a user without one has.
clean_path="$venv/bin:/usr/local/bin:/usr/bin:/bin"
for tool in cargo rustc; do
  if PATH=$clean_path command -v "$tool" >/dev/null; then die "$tool is on $clean_path"; fi
done
cd "$work"
PATH=$clean_path PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider \
  --rootdir "$here" "$here" "$@"

# The Airflow 3 example DAG's tasks (examples/airflow/test_dag.py: dag.test() on sqlite), in a
# cached venv with the pinned apache-airflow and this wheel.
airflow_venv=${LASTGOOD_AIRFLOW_VENV:-$HOME/.cache/lastgood/airflow-venv}
started=$SECONDS
if [[ ! -x $airflow_venv/bin/python ]]; then
  "$python" -m venv "$airflow_venv" || die "could not create $airflow_venv"
fi
pip_q "$airflow_venv" -r "$repo/examples/airflow/requirements.txt" \
  || die "pip install -r examples/airflow/requirements.txt failed (PyPI reachable? delete $airflow_venv to start over)"
"$airflow_venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-index --force-reinstall "$WHEEL"
echo "airflow venv ready in $((SECONDS - started)) s"
PATH="$airflow_venv/bin:$clean_path" PYTHONDONTWRITEBYTECODE=1 "$airflow_venv/bin/python" -m pytest -q \
  -p no:cacheprovider --rootdir "$repo/examples/airflow" "$repo/examples/airflow/test_dag.py"

# The Dagster example (examples/dagster/test_asset.py: dg.materialize, one check result per gate),
# in a cached venv with the pinned dagster and this wheel.
dagster_venv=${LASTGOOD_DAGSTER_VENV:-$HOME/.cache/lastgood/dagster-venv}
started=$SECONDS
if [[ ! -x $dagster_venv/bin/python ]]; then
  "$python" -m venv "$dagster_venv" || die "could not create $dagster_venv"
fi
pip_q "$dagster_venv" -r "$repo/examples/dagster/requirements.txt" \
  || die "pip install -r examples/dagster/requirements.txt failed (PyPI reachable? delete $dagster_venv to start over)"
"$dagster_venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-index --force-reinstall "$WHEEL"
echo "dagster venv ready in $((SECONDS - started)) s"
PATH="$dagster_venv/bin:$clean_path" PYTHONDONTWRITEBYTECODE=1 "$dagster_venv/bin/python" -m pytest -q \
  -p no:cacheprovider --rootdir "$repo/examples/dagster" "$repo/examples/dagster/test_asset.py"
