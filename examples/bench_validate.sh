# Sourced by bench.sh and bench_keyed.sh: lastgood's gate work timed as a user runs it.
#
# validate_timed LG ROOT BASE CAND OUT [VALIDATE_OPTIONS...]
#   Publishes BASE (promoted, version `base`) and CAND (not promoted, version `cand`) as dataset
#   `bench` into a fresh ROOT without gates (not timed), then runs
#   `LG --root ROOT --json validate bench cand VALIDATE_OPTIONS` under /usr/bin/time, from process
#   start to exit: the report in OUT.json, "SECONDS PEAK_RSS_BYTES" in OUT.time. ROOT is removed.
validate_timed() {
  local lg=$1 root=$2 base=$3 cand=$4 out=$5
  shift 5
  local none=$out.no-gates.toml t0 t1
  : >"$none"
  rm -rf "$root"
  "$lg" --root "$root" -q publish bench "$base" --version base --validations "$none"
  "$lg" --root "$root" -q publish bench "$cand" --version cand --no-promote --validations "$none"
  sync
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$out.rss" "$lg" --root "$root" --json validate bench cand "$@" >"$out.json" || true
  t1=$(date +%s.%N)
  echo "$(python3 -c "print(round($t1 - $t0, 3))") $(( $(tail -1 "$out.rss") * 1024 ))" >"$out.time"
  rm -rf "$root" "$none"
}
