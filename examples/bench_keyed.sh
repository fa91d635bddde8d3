#!/usr/bin/env bash
# The keyed comparison benchmark: lastgood side by side with DuckDB, polars and DataFusion
# (shared/bench/keyed.py) on the same two nights, in one run, each under /usr/bin/time for its peak
# RSS. Not a test: it prints a Markdown table for the README and says whether every tool found the
# same numbers.
#
# lastgood is the shipped binary (the wheel's `dist` profile) doing what a user runs: both nights
# are published first (not timed), then `lastgood validate` with one `keyed` gate (join on the key,
# moved and unchanged shares, Pearson, Spearman, mean |change|, histogram, the report written) is
# timed from process start to exit. BENCH_ENGINE=example times the engine alone instead
# (examples/bench_keyed.rs, the same numbers without the CLI around it).
#
# Usage: bash examples/bench_keyed.sh [ROWS_PER_SIDE]     (default 10000000; data cached in $BENCH_DIR)
# The binaries come from the dist profile in $CARGO_TARGET_DIR (default target/); BENCH_SKIP_BUILD=1
# uses them as they are. LASTGOOD_MEMORY_LIMIT applies to lastgood (default 2GiB).
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
engine=${BENCH_ENGINE:-cli}
if [[ -z ${BENCH_SKIP_BUILD:-} ]]; then
  if [[ $engine == cli ]]; then
    CARGO_TARGET_DIR=$target cargo build --quiet --profile dist --bin lastgood
  else
    CARGO_TARGET_DIR=$target cargo build --quiet --profile dist --example bench_keyed
  fi
fi
bench=${BENCH_KEYED:-$target/dist/examples/bench_keyed}   # BENCH_KEYED: another build of it
lg=${BENCH_LASTGOOD:-$target/dist/lastgood}   # BENCH_LASTGOOD: another build of it

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
if [[ $engine == cli ]]; then
  source "$repo/examples/bench_validate.sh"
  printf '[[gate]]\nname = "same_customers"\nkind = "keyed"\nkey = ["customer_id"]\ncolumns = ["score"]\ntolerance = 0.2\nmax_moved_share = 0.5\n' >"$work/keyed.toml"
  validate_timed "$lg" "$work/keyed-root-$rows" "$base" "$good" "$work/keyed-lg" --validations "$work/keyed.toml"
  python3 - "$work/keyed-lg.json" "$work/keyed-lg.time" >>"$results" <<'PY'
import json, sys
rep, time = sys.argv[1:]
r = json.load(open(rep))
seconds, rss = open(time).read().split()
g = {x["column"]: x for x in r["gates"]}
keys, ch = g[None]["keys"], g["score"]["change"]
side = lambda s: s["duplicate_rows"] + s["null_keys"]
print(json.dumps({
    "peer": "lastgood", "seconds": float(seconds),
    "only_base": keys["only_baseline"], "only_cand": keys["only_candidate"], "both": keys["compared"],
    "dup_base": side(keys["baseline"]), "dup_cand": side(keys["candidate"]),
    "moved": ch["moved_share"], "same": ch["unchanged_share"], "corr": ch["pearson"],
    "spearman": ch["spearman"], "mean_abs_change": ch["mean_abs_change"], "passes": g["score"]["passes"],
    "gate_ms": r["duration_ms"], "peak_rss": int(rss)}))
PY
else
  run "$bench" "$base" "$good"
fi
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
