"""The keyed comparison's numbers by DuckDB, from the definitions in src/stats/keyed.rs, on the same
Parquet files: the reference tests/it/keyed.rs holds `lastgood validate --json` to.

usage: python keyed_duckdb.py BASE_DIR CAND_DIR KEY VALUE CATEGORY TOLERANCE
Prints one JSON object. Keys: null keys match nothing; a key on several rows of either side is
matched but not compared; moved = |c - b| > tolerance between numbers, or a number on one side and
null/NaN on the other; unchanged = equal numbers, null on both sides, or NaN on both sides;
correlations and the mean |change| over pairs finite on both sides; Spearman with average ranks.
"""
import json
import sys

import duckdb

base, cand, key, value, cat, tol = sys.argv[1:7]
con = duckdb.connect()
con.execute(f"CREATE VIEW b AS SELECT {key} AS k, {value} AS v, {cat} AS g FROM read_parquet('{base}/*.parquet')")
con.execute(f"CREATE VIEW c AS SELECT {key} AS k, {value} AS v, {cat} AS g FROM read_parquet('{cand}/*.parquet')")
q = f"""
WITH bk AS (SELECT k, count(*) AS n FROM b WHERE k IS NOT NULL GROUP BY k),
ck AS (SELECT k, count(*) AS n FROM c WHERE k IS NOT NULL GROUP BY k),
m AS (SELECT bk.k, bk.n AS nb, ck.n AS nc FROM bk JOIN ck ON bk.k = ck.k),
u AS (SELECT k FROM m WHERE nb = 1 AND nc = 1),
p AS (SELECT b.v AS bv, c.v AS cv, b.g AS bg, c.g AS cg FROM u JOIN b ON u.k = b.k JOIN c ON u.k = c.k),
s AS (SELECT *,
  CASE WHEN bv IS NULL THEN 'null' WHEN isnan(bv) THEN 'nan' ELSE 'num' END AS sb,
  CASE WHEN cv IS NULL THEN 'null' WHEN isnan(cv) THEN 'nan' ELSE 'num' END AS sc FROM p),
f AS (SELECT bv, cv FROM s WHERE sb = 'num' AND sc = 'num' AND isfinite(bv) AND isfinite(cv)),
r AS (SELECT
  rank() OVER (ORDER BY bv) + (count(*) OVER (PARTITION BY bv) - 1) / 2.0 AS rb,
  rank() OVER (ORDER BY cv) + (count(*) OVER (PARTITION BY cv) - 1) / 2.0 AS rc FROM f)
SELECT
  (SELECT count(*) FROM b) AS rows_b, (SELECT count(*) FROM c) AS rows_c,
  (SELECT count(*) FROM b WHERE k IS NULL) AS null_b, (SELECT count(*) FROM c WHERE k IS NULL) AS null_c,
  (SELECT count(*) FROM bk) AS distinct_b, (SELECT count(*) FROM ck) AS distinct_c,
  (SELECT count(*) FROM bk WHERE n > 1) AS duplicated_b, (SELECT count(*) FROM ck WHERE n > 1) AS duplicated_c,
  (SELECT coalesce(sum(n - 1), 0) FROM bk) AS duplicate_rows_b, (SELECT coalesce(sum(n - 1), 0) FROM ck) AS duplicate_rows_c,
  (SELECT count(*) FROM m) AS matched, (SELECT count(*) FROM u) AS compared,
  (SELECT count(*) FROM bk WHERE k NOT IN (SELECT k FROM ck)) AS only_baseline,
  (SELECT count(*) FROM ck WHERE k NOT IN (SELECT k FROM bk)) AS only_candidate,
  (SELECT count(*) FROM s WHERE (sb = 'num' AND sc = 'num' AND abs(cv - bv) > {tol})
     OR (sb = 'num' AND sc <> 'num') OR (sb <> 'num' AND sc = 'num')) AS moved,
  (SELECT count(*) FROM s WHERE (sb = 'num' AND sc = 'num' AND cv = bv) OR (sb = sc AND sb <> 'num')) AS unchanged,
  (SELECT count(*) FROM s WHERE sb = 'null' AND sc = 'num') AS null_to_value,
  (SELECT count(*) FROM s WHERE sb = 'num' AND sc = 'null') AS value_to_null,
  (SELECT count(*) FROM s WHERE sb = 'nan' AND sc = 'num') AS nan_to_value,
  (SELECT count(*) FROM s WHERE sb = 'num' AND sc = 'nan') AS value_to_nan,
  (SELECT count(*) FROM s WHERE sb = 'null' AND sc = 'null') AS both_null,
  (SELECT count(*) FROM s WHERE sb = 'nan' AND sc = 'nan') AS both_nan,
  (SELECT count(*) FROM f) AS finite_pairs,
  (SELECT corr(bv, cv) FROM f) AS pearson,
  (SELECT corr(rb, rc) FROM r) AS spearman,
  (SELECT avg(abs(cv - bv)) FROM f) AS mean_abs_change,
  (SELECT count(*) FROM s WHERE bg IS DISTINCT FROM cg) AS changed
"""
cur = con.execute(q)
names = [d[0] for d in cur.description]
print(json.dumps(dict(zip(names, cur.fetchone())), default=float))
