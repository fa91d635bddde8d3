#!/usr/bin/env bash
# The benchmark: lastgood's gates side by side with the peers (shared/bench/peers.py) on the same
# files, in one run; then publish against `cp -r`, pointer operations against history length, and the
# wall time of a revert. Not a test: it prints a Markdown table to paste into the README.
#
# Usage: bash examples/bench.sh [ROWS_PER_SIDE]          (default 10000000; data cached in $BENCH_DIR)
#        bash examples/bench.sh --scale [ROWS_PER_SIDE]  (default 100000000: gates within the memory
#        limit, LASTGOOD_MEMORY_LIMIT or 2 GiB, beside the peers capped at this machine's memory)
# BENCH_SKIP_BUILD=1 uses the release binaries as they are (BENCH_PROFILE=dist: the dist ones).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
scale=false
if [[ ${1:-} == --scale ]]; then scale=true; shift; fi
rows=${1:-$($scale && echo 100000000 || echo 10000000)}
work=${BENCH_DIR:-/tmp/lastgood-bench}
venv=${LASTGOOD_PEERS_VENV:-$HOME/.cache/lastgood/peers}
shared=${SHARED:-$repo/../shared}
mkdir -p "$work"

if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import duckdb, scipy, polars, pyarrow, datafusion" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet duckdb scipy pyarrow numpy polars datafusion
fi
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

base=$work/base-$rows good=$work/good-$rows
[[ -d $base ]] || "$venv/bin/python" "$shared/bench/gen_predictions.py" "$base" --rows "$rows" --files 10 --seed 1
[[ -d $good ]] || "$venv/bin/python" "$shared/bench/gen_predictions.py" "$good" --rows "$rows" --files 10 --seed 2
# BENCH_PROFILE=dist measures the distributed build (the wheel's profile) instead of release;
# CARGO_TARGET_DIR is honoured.
profile=${BENCH_PROFILE:-release}
target=${CARGO_TARGET_DIR:-$repo/target}
# Timings are of the `lastgood` binary a user runs (the gate work is `lastgood validate`, process
# start to exit, both versions published beforehand, not timed). Request counts come from the
# bench_gates example, whose store counts requests: a count does not depend on optimisation, so its
# debug build serves (an optimised example would cost one more LTO link).
[[ -n ${BENCH_SKIP_BUILD:-} ]] || cargo build --quiet --profile "$profile" --bin lastgood
lg=$target/$profile/lastgood
[[ -n ${BENCH_SKIP_BUILD:-} ]] || CARGO_TARGET_DIR=$repo/target cargo build --quiet --example bench_gates
bench=$repo/target/debug/examples/bench_gates
: >"$work/no-gates.toml"
# The peers' gate work (shared/bench/peers.py) as lastgood gates.
cat >"$work/bench-gates.toml" <<'TOML'
[[gate]]
name = "rows"
kind = "row_count"
[[gate]]
name = "nulls"
kind = "null_rate"
max_increase_pp = 5.0
[[gate]]
name = "ks"
kind = "ks"
columns = ["score", "spend_30d"]
max_statistic = 0.1
min_p_value = 0.001
TOML
# lg_gates ROOT OUT [--init]: `lastgood validate` of the second night against the first with the
# peers' gates, or with the gates `lastgood init --sample` writes from the first night's first file
# (and the contract it drafts). One JSON line into OUT.
source "$repo/examples/bench_validate.sh"
lg_gates() {
  local root=$1 out=$2 opts=(--validations "$work/bench-gates.toml")
  if [[ ${3:-} == --init ]]; then
    rm -rf "$work/init-project"
    "$lg" -q init bench --dir "$work/init-project" --root "$root" --sample "$(ls "$base"/*.parquet | head -1)"
    opts=(--validations "$work/init-project/validations/bench.toml")
    [[ -f $work/init-project/schemas/bench.contract.json ]] && opts+=(--contract "$work/init-project/schemas/bench.contract.json")
  fi
  validate_timed "$lg" "$root" "$base" "$good" "$out" "${opts[@]}"
  python3 - "$out.json" "$out.time" >"$out" <<'PY'
import json, sys
rep, time = sys.argv[1:]
r = json.load(open(rep))
seconds, rss = open(time).read().split()
ks = {g["column"]: g.get("statistic") for g in r["gates"] if g["kind"] == "ks" and not g.get("slices")}
nulls = {g["column"]: [g.get("baseline_null_count"), g.get("null_count"), g.get("null_count_source")]
         for g in r["gates"] if g["kind"] == "null_rate"}
print(json.dumps({"peer": "lastgood", "seconds": float(seconds), "ks": ks, "nulls": nulls,
                  "gates": [[g["name"] + (f"({g['column']})" if g["column"] else ""), g["kind"], g["outcome"]] for g in r["gates"]],
                  "passed": r["passed"], "gate_ms": r["duration_ms"], "peak_rss": int(rss)}))
PY
}

# Peak RSS in bytes of a command, its stdout to $2.
measure() { local out=$1; shift; /usr/bin/time -f '%M' -o "$out.rss" "$@" >"$out"; echo $(( $(cat "$out.rss") * 1024 )); }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%F)" >&2

if $scale; then
  # Each peer may use at most the machine's memory (address space capped, so one that needs more
  # fails with a memory error instead of the kernel's OOM killer); lastgood keeps to its own limit.
  cap_kib=$(awk '/MemTotal:/{print $2}' /proc/meminfo)
  results=$work/scale-$rows.jsonl
  : >"$results"
  lg_gates "$work/root-scale" "$work/lg.out"
  cat "$work/lg.out" >>"$results"
  # The whole gate set a new user gets from `init --sample` (keyed and unique on the key, range,
  # freshness, KS by segment...), lastgood alone: no peer does this work.
  lg_gates "$work/root-scale" "$work/lg-init.out" --init
  for peer in floor polars duckdb scipy; do
    set +e
    rss=$(measure "$work/peer.out" prlimit --as=$((cap_kib * 1024)) "$venv/bin/python" "$shared/bench/peers.py" "$base" "$good" --peer "$peer" 2>"$work/peer.err")
    status=$?
    set -e
    if [[ $status -eq 0 ]]; then
      python3 -c "import json,sys; r=json.loads(open(sys.argv[1]).read()); r['peak_rss']=int(sys.argv[2]); print(json.dumps(r))" "$work/peer.out" "$rss" >>"$results"
    else
      why=$(grep -o 'MemoryError\|Out of Memory[^"]*\|out of memory[^"]*\|Killed' "$work/peer.err" | head -1)
      python3 -c "import json,sys; print(json.dumps({'peer': sys.argv[1], 'seconds': None, 'error': sys.argv[2] or 'exit ' + sys.argv[3]}))" "$peer" "$why" "$status" >>"$results"
    fi
  done
  python3 - "$results" "$rows" "$cap_kib" "${LASTGOOD_MEMORY_LIMIT:-2GiB}" "$work/lg-init.out" <<'PY'
import json, sys
results, rows, cap_kib, limit, init = sys.argv[1:]
rs = [json.loads(l) for l in open(results)]
gib = lambda b: f"{b / 2**30:.2f} GiB"
ours = next(r for r in rs if r["peer"] == "lastgood")
print(f"Gate work on 2 x {int(rows):,} rows, lastgood's memory limit {limit}, peers capped at this machine's {int(cap_kib) / 2**20:.0f} GiB:\n")
print("| tool | seconds | peak RSS |")
print("|---|---|---|")
for r in sorted(rs, key=lambda r: r["seconds"] or 1e9):
    name = "**lastgood**" if r["peer"] == "lastgood" else ("floor (decode + sort only)" if r["peer"] == "floor" else r["peer"])
    print(f"| {name} | {r['seconds']:.1f} | {gib(r['peak_rss'])} |" if r["seconds"] else f"| {name} | failed: {r['error']} | |")
done = [r for r in rs if r["seconds"] and r["peer"] not in ("lastgood", "floor")]
agree = all(abs(ours["ks"][c] - r["ks"][c]) < 1e-12 for r in done for c in ours["ks"])
print(f"\nKS statistics equal to every peer that finished, to 1e-12: {agree}. Peak RSS within the limit: "
      f"{'yes' if ours['peak_rss'] <= 2 * 2**30 else 'NO'} ({gib(ours['peak_rss'])}).")
w = json.loads(open(init).read())
kinds = sorted({g[1] for g in w["gates"]})
print(f"\nThe whole gate set `init --sample` writes ({len(w['gates'])} results; kinds: {', '.join(kinds)}), lastgood alone: "
      f"{w['seconds']:.1f} s, peak RSS {gib(w['peak_rss'])}, within the limit: {'yes' if w['peak_rss'] <= 2 * 2**30 else 'NO'}.")
print("Outcomes (the second night is a fresh draw, not a re-scoring, so keyed and freshness fail, as they should): "
      + ", ".join(f"{g[0]} {g[2]}" for g in w["gates"]) + ".")
PY
  exit 0
fi
results=$work/results.jsonl
: >"$results"
for peer in floor polars duckdb scipy datafusion; do
  rss=$(measure "$work/peer.out" "$venv/bin/python" "$shared/bench/peers.py" "$base" "$good" --peer "$peer")
  python3 -c "import json,sys; r=json.loads(open(sys.argv[1]).read()); r['peak_rss']=int(sys.argv[2]); print(json.dumps(r))" "$work/peer.out" "$rss" >>"$results"
done
lg_gates "$work/root" "$work/lg.out"
cat "$work/lg.out" >>"$results"

# Publish of the ten files against cp -r of the same files (page cache warm for both): median of 3.
pub_runs=() cp_runs=()
for i in 1 2 3; do
  rm -rf "$work/cp" "$work/proot"; sync
  t0=$(date +%s.%N); cp -rL "$good" "$work/cp"; t1=$(date +%s.%N)
  cp_runs+=("$(python3 -c "print($t1 - $t0)")")
  t0=$(date +%s.%N)
  "$lg" --root "$work/proot" --json publish pub "$good" --validations "$work/no-gates.toml" >"$work/pub.json"
  t1=$(date +%s.%N)
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({'seconds': float(sys.argv[3]) - float(sys.argv[2]), 'bytes': r['bytes'], 'files': r['files']}))" "$work/pub.json" "$t0" "$t1" >"$work/pub.out"
  pub_runs+=("$(python3 -c "import json; print(json.load(open('$work/pub.out'))['seconds'])")")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
cp_start=0 cp_end=$(median "${cp_runs[@]}")
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); r['seconds']=float(sys.argv[2]); print(json.dumps(r))" "$work/pub.out" "$(median "${pub_runs[@]}")" >"$work/pub.med"
mv "$work/pub.med" "$work/pub.out"
# Pointer operations: requests at 10 and at 10,000 history entries; a revert's wall time, process start to exit.
rm -rf "$work/ptr"
"$bench" pointer "$work/ptr" 10000 >"$work/ptr.out"
revert_ms=$(python3 - "$lg" "$work/ptr" <<'PY'
import subprocess, sys, time
lg, root = sys.argv[1], sys.argv[2]
best = []
for i in range(5):
    # Alternate a revert and its undo; time only the revert.
    t = time.perf_counter()
    subprocess.run([lg, "--root", root, "pointer", "revert", "ptr", "--reason", "bench"], check=True, capture_output=True)
    best.append((time.perf_counter() - t) * 1000)
    show = subprocess.run([lg, "--root", root, "--json", "pointer", "show", "ptr"], check=True, capture_output=True, text=True).stdout
    import json
    rev = json.loads(show)["reverted"][0]
    subprocess.run([lg, "--root", root, "pointer", "set", "ptr", rev, "--force", "--reason", "undo"], check=True, capture_output=True)
print(f"{sorted(best)[len(best)//2]:.1f}")
PY
)

python3 - "$results" "$work/pub.out" "$work/ptr.out" "$cp_start" "$cp_end" "$revert_ms" "$rows" <<'PY'
import json, sys
results, pub, ptr, cp0, cp1, revert_ms, rows = sys.argv[1:]
rs = [json.loads(l) for l in open(results)]
ours = next(r for r in rs if r["peer"] == "lastgood")
peers = [r for r in rs if r["peer"] not in ("lastgood", "floor") and r.get("seconds")]
floor = next(r for r in rs if r["peer"] == "floor")
fastest = min(peers, key=lambda r: r["seconds"])
gib = lambda b: f"{b / 2**30:.2f} GiB"
print(f"Gate work on 2 x {int(rows):,} rows (row counts, null counts of every column, exact KS on score and spend_30d):\n")
print("| tool | seconds | peak RSS | vs lastgood |")
print("|---|---|---|---|")
for r in sorted(rs, key=lambda r: r["seconds"] or 1e9):
    name = "**lastgood**" if r["peer"] == "lastgood" else ("floor (decode + sort only)" if r["peer"] == "floor" else r["peer"])
    s = r["seconds"]
    print(f"| {name} | {s:.2f} | {gib(r['peak_rss'])} | {s / ours['seconds']:.1f}x |" if s else f"| {name} | failed: {r.get('error')} | | |")
ks_ok = all(abs(ours["ks"][c] - fastest["ks"][c]) < 1e-12 for c in ours["ks"])
print(f"\nTargets: gates <= half the fastest peer ({fastest['peer']} {fastest['seconds']:.2f} s): {ours['seconds']:.2f} s, "
      f"{'met' if ours['seconds'] <= fastest['seconds'] / 2 else 'NOT met'}; no slower than the floor ({floor['seconds']:.2f} s): "
      f"{'met' if ours['seconds'] <= floor['seconds'] else 'NOT met'}; peak RSS <= 1 GiB: {gib(ours['peak_rss'])}, "
      f"{'met' if ours['peak_rss'] <= 2**30 else 'NOT met'}. KS statistics equal to {fastest['peer']}'s to 1e-12: {ks_ok}.")
p = json.loads(open(pub).read())
cp = float(cp1) - float(cp0)
print(f"\nPublish of {p['files']} files, {p['bytes'] / 1e6:.0f} MB (local to local, checksums, footers, manifest; median of 3): "
      f"{p['seconds']:.2f} s; `cp -r` {cp:.2f} s; ratio {p['seconds'] / cp:.1f}x (target <= 3x: {'met' if p['seconds'] <= 3 * cp else 'NOT met'}).")
q = json.loads(open(ptr).read())["requests"]
print("\n| operation | requests at 10 entries | requests at 10,000 entries |\n|---|---|---|")
for op in ["pointer show", "resolve", "pointer revert"]:
    a = [r["requests"] for r in q if r["op"] == op]
    print(f"| {op} | {a[0]} | {a[1]} |")
print(f"\n`pointer revert` on the local store, process start to exit (median of 5, 10,000 entries): {revert_ms} ms (target <= 50 ms).")
PY
