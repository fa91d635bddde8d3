#!/usr/bin/env bash
# Delta open time against history length: deltalake opening a lastgood dataset's Delta projection
# (DeltaTable(uri) and its file list) after 10, 1,000 and 10,000 moves, with the checkpoints lastgood
# writes every 100 commits, and again with them moved aside (every JSON commit replayed).
# Not a test: prints a Markdown table for the README.
#
# Usage: bash examples/bench_delta.sh [DIR]    (default /tmp/lastgood-bench-delta; datasets are reused)
# Needs the consumers' venv (tests/consumers/run.sh makes it; CONSUMERS_VENV overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/lastgood-bench-delta}
venv=${CONSUMERS_VENV:-$HOME/.cache/lastgood/consumers-venv}
mkdir -p "$dir"
# The datasets: lastgood's speed is not what is measured here, so a debug build will do.
cargo run --quiet --example bench_delta -- "$dir/lake" 10 1000 10000
"$venv/bin/python" - "$dir/lake" <<'PY'
import os, shutil, statistics, sys, time
import deltalake
lake = sys.argv[1]

def open_ms(uri, runs=7):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        dt = deltalake.DeltaTable(uri)
        dt.file_uris()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), dt.version()

print(f"deltalake {deltalake.__version__}, median of 7 opens (DeltaTable(uri) + file_uris())\n")
print("| moves | with checkpoints | JSON commits only |")
print("|---|---|---|")
for n in (10, 1000, 10000):
    uri = f"{lake}/moves{n}"
    with_cp, v = open_ms(uri)
    log = f"{uri}/_delta_log"
    aside = f"{uri}/_aside"
    os.makedirs(aside, exist_ok=True)
    for f in os.listdir(log):
        if "checkpoint" in f:
            shutil.move(f"{log}/{f}", f"{aside}/{f}")
    try:
        without, v2 = open_ms(uri, runs=3)
    finally:
        for f in os.listdir(aside):
            shutil.move(f"{aside}/{f}", f"{log}/{f}")
        os.rmdir(aside)
    assert v == v2 == n, (v, v2, n)
    print(f"| {n:,} | {with_cp:.1f} ms | {without:.1f} ms |")
PY
