#!/usr/bin/env bash
# Peak memory of `lastgood query "SELECT *" --all --format csv` over a 10M-row version (issue 15's
# target: under 500 MB RSS, streamed). Not a test: a measurement whose result goes in the README.
#
#   bash examples/query_rss.sh [ROWS] [BIN]      # defaults: 10000000, target/debug/lastgood
#
# 1. Write ROWS rows of churn-like predictions (customer_id, score, segment, spend_30d, scored_at,
#    model) as 10 Parquet files with DuckDB from the consumers venv (tests/consumers/requirements.txt).
# 2. Publish them as one version on a local root.
# 3. Run the query into /dev/null under /usr/bin/time -v: peak RSS, wall time, rows and CSV bytes
#    (counted by `wc -c` in a second run).
set -euo pipefail

rows=${1:-10000000}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${2:-$repo/target/debug/lastgood}
venv=${CONSUMERS_VENV:-$HOME/.cache/lastgood/consumers-venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$venv/bin/python" - "$work/out" "$rows" <<'PY'
import os, sys, duckdb
out, rows = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
per = rows // 10
for i in range(10):
    duckdb.sql(f"""
      COPY (SELECT ({i} * {per} + r)::BIGINT AS customer_id, random() AS score,
                   ['a','b','c','d'][1 + (r % 4)::INT] AS segment,
                   CASE WHEN r % 50 = 0 THEN NULL ELSE random() * 500 END AS spend_30d,
                   TIMESTAMP '2026-11-21 02:00:00' + INTERVAL (r % 3600) SECOND AS scored_at,
                   'churn-v1.14' AS model
            FROM range({per}) t(r))
      TO '{out}/part-{i:04d}.parquet' (FORMAT parquet)""")
PY
"$bin" --root "$work/lake" publish bench "$work/out" --message "query_rss" >/dev/null
echo "version: $("$bin" --root "$work/lake" resolve bench --format json | "$venv/bin/python" -c 'import json,sys; d=json.load(sys.stdin); print(d["version"], d["rows"], "rows")')"
/usr/bin/time -v "$bin" --root "$work/lake" query bench "SELECT * FROM bench" --all --format csv \
  >/dev/null 2>"$work/time.txt"
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$work/time.txt"
echo "csv bytes: $("$bin" --root "$work/lake" query bench "SELECT * FROM bench" --all --format csv | wc -c)"
