#!/usr/bin/env bash
# The keyed comparison benchmark: lastgood's engine (examples/bench_keyed.rs) side by side with
# DuckDB, polars and DataFusion (shared/bench/keyed.py) on the same two nights, in one run, each
# under /usr/bin/time for its peak RSS. Not a test: it prints a Markdown table for the README and
# says whether every tool found the same numbers.
#
# Usage: bash examples/bench_keyed.sh [ROWS_PER_SIDE]     (default 10000000; data cached in $BENCH_DIR)
# The binary comes from the dist profile in $CARGO_TARGET_DIR (default target/); BENCH_SKIP_BUILD=1
# uses it as it is. LASTGOOD_MEMORY_LIMIT applies to lastgood (default 2GiB).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
rows=${1:-10000000}
work=${BENCH_DIR:-/tmp/lastgood-bench}
venv=${LASTGOOD_PEERS_VENV:-$HOME/.cache/lastgood/peers}
shared=${SHARED:-$repo/../shared}
target=${CARGO_TARGET_DIR:-$repo/target}
mkdir -p "$work"

if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import duckdb, polars, pyarrow, datafusion" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet duckdb==2.0.0 pyarrow==26.0.1 polars==2.1.0 polars-runtime-32==2.1.0 \
    numpy==2.4.6 datafusion==55.0.0
fi
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

base=$work/base-$rows good=$work/good-$rows
[[ -d $base ]] || "$venv/bin/python" "$shared/bench/gen_predictions.py" "$base" --rows "$rows" --files 10 --seed 1
[[ -d $good ]] || "$venv/bin/python" "$shared/bench/gen_predictions.py" "$good" --rows "$rows" --files 10 --seed 2
[[ -n ${BENCH_SKIP_BUILD:-} ]] || CARGO_TARGET_DIR=$target cargo build --quiet --profile dist --example bench_keyed
bench=$target/dist/examples/bench_keyed

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%F)" >&2
results=$work/keyed-$rows.jsonl
: >"$results"
# One JSON line from a command, with its peak RSS added.
run() {
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/out" 2>"$work/err" || true
  python3 -c "
import json, sys
line = open(sys.argv[1]).read().strip().splitlines()
r = json.loads(line[-1]) if line else {'peer': sys.argv[3], 'seconds': None, 'error': open(sys.argv[4]).read()[-300:]}
r['peak_rss'] = int(open(sys.argv[2]).read().split()[-1]) * 1024
print(json.dumps(r))" "$work/out" "$work/rss" "$3" "$work/err" >>"$results"
}
run "$bench" "$base" "$good"
for peer in polars duckdb datafusion; do
  run "$venv/bin/python" "$shared/bench/keyed.py" "$base" "$good" --peer "$peer"
done
python3 - "$results" "$rows" <<'PY'
import json, sys
results, rows = sys.argv[1:]
rs = [json.loads(l) for l in open(results)]
gib = lambda b: f"{b / 2**30:.2f} GiB"
ours = next(r for r in rs if r["peer"] == "lastgood")
peers = [r for r in rs if r["peer"] != "lastgood" and r.get("seconds")]
print(f"Keyed comparison of 2 x {int(rows):,} rows (join on customer_id; moved, unchanged, correlation of score):\n")
print("| tool | seconds | peak RSS |")
print("|---|---|---|")
for r in sorted(rs, key=lambda r: r.get("seconds") or 1e9):
    name = "**lastgood**" if r["peer"] == "lastgood" else r["peer"]
    print(f"| {name} | {r['seconds']:.2f} | {gib(r['peak_rss'])} |" if r.get("seconds") else f"| {name} | failed: {r.get('error', '')[:80]} | |")
fastest = min(peers, key=lambda r: r["seconds"]) if peers else None
counts = ["only_base", "only_cand", "both", "dup_base", "dup_cand"]
agree = all(ours[c] == r[c] for r in peers for c in counts) and all(
    abs(ours[c] - r[c]) < 1e-9 for r in peers for c in ["moved", "same", "corr"])
if fastest:
    print(f"\nlastgood / fastest peer ({fastest['peer']}): {ours['seconds'] / fastest['seconds']:.2f}x the time "
          f"(target <= 0.5); peak RSS {gib(ours['peak_rss'])} (target <= 1 GiB). Same counts and shares as every "
          f"peer, correlation to 1e-9: {agree}. lastgood also computed Spearman ({ours['spearman']:.6f}) and the "
          f"mean |change| ({ours['mean_abs_change']:.6f}), in {ours['passes']} pass(es).")
PY
