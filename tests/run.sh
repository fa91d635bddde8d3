#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then runs every test.
# Usage: bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi

# The main job example checks its own outcome; run it in a scratch folder.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && cargo run --quiet --manifest-path "$repo/Cargo.toml" --example nightly_week -- "$tmp/lake" >/dev/null)
echo "main job example: ok"
cargo test --doc --quiet

# Unit tests and the integration binary (conformance suite on every store, the CLI, the schemas).
cargo nextest run --no-fail-fast --failure-output final
