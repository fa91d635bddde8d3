"""Consumers read exactly what the pointer says, through publishes, failed gates and reverts.

Runs the real CLI (env LASTGOOD_BIN, default target/debug/lastgood in this repository) on a temporary
lake, with real Parquet files made by pyarrow, and reads the dataset back through the two recipes in
examples/recipes/ (DuckDB, pyarrow, polars and pandas), as functions and as scripts, and through
`lastgood resolve`. Plain Python, no pytest: `python tests/consumers/test_recipes.py` exits non-zero
and says what failed. Usually run by tests/consumers/run.sh, which installs the pinned duckdb,
pyarrow, polars and pandas first.

The story (dataset churn_scores, 20,000 customers in 2 files a night):
  night 1 publishes (0); night 2 passes the gates and is promoted (0); night 3's scores are shifted
  (score ** 0.2), the default KS gate fails (3) and readers stay on night 2; night 4 is a canary that
  passes the gates but is bad: promoted (0), then `pointer revert` (back to night 2); night 4 again is
  refused as reverted (4); night 3 promoted with --force (0), reverted (to night 2); `revert --to`
  night 1; a missing source is bad input (2, with a JSON error); frozen, a passing night 5 is
  refused (4), then published after unfreeze (0). After every step both recipes must
  return exactly the rows (customer_id, score) of the version the pointer names. Then a dataset
  partitioned by date, published a day at a time (earlier days carried forward, so the pointer lists
  files under other versions' folders): added, replaced, reverted.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "examples" / "recipes"
sys.path.insert(0, str(RECIPES))

import read_duckdb  # noqa: E402
import read_pandas  # noqa: E402
import read_polars  # noqa: E402
import read_pyarrow  # noqa: E402

BIN = os.environ.get("LASTGOOD_BIN") or str(REPO / "target" / "debug" / "lastgood")
if not os.path.isabs(BIN):
    BIN = str(REPO / BIN)
DATASET = "churn_scores"
CUSTOMERS = 20_000
FILES = 2

passed = 0
failures: list[str] = []


def check(cond: bool, what: str, detail: str = "") -> bool:
    global passed
    detail = detail if len(detail) <= 600 else detail[:600] + " …"
    if cond:
        passed += 1
    else:
        failures.append(what + (f"\n      {detail}" if detail else ""))
        print(f"FAIL {what}" + (f"\n      {detail}" if detail else ""), flush=True)
    return cond


# ---------------------------------------------------------------------------------------------
# Data


def make_night(folder: Path, seed: int, transform=None) -> list[tuple[int, float]]:
    """Two Parquet files of churn predictions; returns the sorted (customer_id, score) pairs."""
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    per_file = CUSTOMERS // FILES
    expected = []
    for i in range(FILES):
        ids = list(range(i * per_file + 1, (i + 1) * per_file + 1))
        scores = [rng.betavariate(2, 5) for _ in ids]
        if transform:
            scores = [transform(s) for s in scores]
        segments = rng.choices(["consumer", "smb", "enterprise"], weights=[6, 3, 1], k=len(ids))
        table = pa.table(
            {
                "customer_id": pa.array(ids, pa.int64()),
                "score": pa.array(scores, pa.float64()),
                "segment": pa.array(segments, pa.string()),
            }
        )
        pq.write_table(table, folder / f"part-{i:05d}.parquet")
        expected.extend(zip(ids, scores))
    # Read back what was written (not what was meant), so the comparison is with the source files.
    from_files = pq.read_table(folder, columns=["customer_id", "score"])
    pairs = sorted(zip(from_files["customer_id"].to_pylist(), from_files["score"].to_pylist()))
    assert pairs == sorted(expected), "pyarrow did not round-trip the generated night"
    return pairs


# ---------------------------------------------------------------------------------------------
# The CLI


def lastgood(cwd: Path, *args: str) -> tuple[int, object, str]:
    """Run the CLI with --json; returns (exit code, parsed stdout or None, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTGOOD_")}
    env["LASTGOOD_ACTOR"] = "consumers-test"
    cmd = [BIN, "--root", str(cwd / "lake"), "--json", *args]
    for attempt in range(60):  # the binary may be relinked by a concurrent build: wait for it
        try:
            proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
            break
        except OSError as e:  # missing or half-written binary
            if attempt == 59:
                raise RuntimeError(f"cannot run {BIN}: {e}") from e
            time.sleep(2)
    try:
        doc = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        doc = None
        check(False, f"`lastgood {' '.join(args)}` --json printed JSON", proc.stdout[:300])
    return proc.returncode, doc, proc.stderr.strip()


def describe(args, rc, doc, err) -> str:
    return f"`lastgood {' '.join(args)}` -> exit {rc}; stderr: {err[:400]!r}; stdout: {str(doc)[:300]}"


def expect_exit(cwd: Path, want: int, *args: str):
    rc, doc, err = lastgood(cwd, *args)
    check(rc == want, f"`lastgood {' '.join(args[:2])} …` exits {want}", describe(args, rc, doc, err))
    return rc, doc, err


# ---------------------------------------------------------------------------------------------
# What consumers see


def pairs_duckdb(rel) -> list[tuple[int, float]]:
    return sorted(rel.project("customer_id, score").fetchall())


def pairs_arrow(table: pa.Table) -> list[tuple[int, float]]:
    return sorted(zip(table["customer_id"].to_pylist(), table["score"].to_pylist()))


def consumers_read(
    lake: Path, step: str, version: str, expected: list, con: duckdb.DuckDBPyConnection
) -> None:
    """Every way of reading gives exactly `version` and its rows."""
    pointer = json.loads((lake / DATASET / "pointer.json").read_text())
    check(pointer["version"] == version, f"{step}: pointer.json names {version}", pointer["version"])
    check(pointer["rows"] == len(expected), f"{step}: pointer.json rows", str(pointer["rows"]))

    # DuckDB, as a function, on a connection shared by every step (no stale pointer.json cache).
    loaded = read_duckdb.load_pointer(str(lake), DATASET, con)
    check(loaded["version"] == version, f"{step}: DuckDB load_pointer version", loaded["version"])
    rel = read_duckdb.read_current(str(lake), DATASET, con=con, verify=True)
    got = pairs_duckdb(rel)
    check(got == expected, f"{step}: DuckDB reads exactly {version}'s rows",
          f"{len(got)} rows; first {got[:2]} vs {expected[:2]}")
    # … and with a file:// root.
    got = pairs_duckdb(read_duckdb.read_current(lake.as_uri(), DATASET))
    check(got == expected, f"{step}: DuckDB (file:// root) reads exactly {version}'s rows")

    # pyarrow, as a function.
    table = read_pyarrow.read_current(str(lake), DATASET)
    meta = table.schema.metadata[b"lastgood.version"].decode()
    check(meta == version, f"{step}: pyarrow table metadata names {version}", meta)
    got = pairs_arrow(table)
    check(got == expected, f"{step}: pyarrow reads exactly {version}'s rows",
          f"{len(got)} rows; first {got[:2]} vs {expected[:2]}")
    got = pairs_arrow(read_pyarrow.read_current(lake.as_uri(), DATASET, columns=["customer_id", "score"]))
    check(got == expected, f"{step}: pyarrow (file:// root, 2 columns) reads exactly {version}'s rows")

    # polars, as a function (the version comes back beside the frame).
    frame, ptr = read_polars.read_current(str(lake), DATASET)
    check(ptr["version"] == version, f"{step}: polars reads pointer {version}", ptr["version"])
    got = sorted(zip(frame["customer_id"].to_list(), frame["score"].to_list()))
    check(got == expected, f"{step}: polars reads exactly {version}'s rows",
          f"{len(got)} rows; first {got[:2]} vs {expected[:2]}")
    frame, _ = read_polars.read_current(lake.as_uri(), DATASET, columns=["customer_id", "score"])
    check(frame.columns == ["customer_id", "score"], f"{step}: polars (file:// root) keeps 2 columns",
          str(frame.columns))

    # pandas, as a function (the version in attrs).
    frame = read_pandas.read_current(str(lake), DATASET)
    check(frame.attrs.get("lastgood.version") == version, f"{step}: pandas attrs name {version}",
          str(frame.attrs))
    got = sorted(zip(frame["customer_id"].tolist(), frame["score"].tolist()))
    check(got == expected, f"{step}: pandas reads exactly {version}'s rows",
          f"{len(got)} rows; first {got[:2]} vs {expected[:2]}")

    # Every recipe as a script.
    for script in ("read_duckdb.py", "read_pyarrow.py", "read_polars.py", "read_pandas.py"):
        proc = subprocess.run([sys.executable, str(RECIPES / script), str(lake), DATASET],
                              capture_output=True, text=True, timeout=120)
        want = f"{DATASET} {version} {len(expected)} rows"
        check(proc.returncode == 0 and proc.stdout.strip() == want,
              f"{step}: `python {script} ROOT {DATASET}` prints {want!r}",
              f"exit {proc.returncode}; stdout {proc.stdout.strip()!r}; stderr {proc.stderr.strip()[-300:]!r}")

    # The DuckDB-only recipe in read_duckdb.py's docstring (no lastgood, no Python logic).
    sql_con = duckdb.connect()
    prefix = f"{lake}/{DATASET}"
    sql_con.execute(
        f"SET VARIABLE files = (SELECT list('{prefix}/' || f.path ORDER BY f.path) "
        f"FROM (SELECT unnest(files) AS f FROM read_json('{prefix}/pointer.json')))")
    got = sorted(sql_con.execute(
        "SELECT customer_id, score FROM read_parquet(getvariable('files'))").fetchall())
    check(got == expected, f"{step}: SET VARIABLE files = (… read_json(pointer.json)) reads {version}")

    # The CLI's resolve, as the one-liner recipes use it.
    rc, doc, err = lastgood(lake.parent, "resolve", DATASET)
    check(rc == 0 and doc and doc.get("version") == version, f"{step}: `resolve --json` names {version}",
          describe(["resolve", DATASET], rc, doc, err))
    if rc == 0 and doc:
        check([f["path"] for f in doc["files"]] == [f["path"] for f in pointer["files"]],
              f"{step}: `resolve` lists the files of pointer.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTGOOD_")}
    proc = subprocess.run([BIN, "--root", str(lake), "resolve", DATASET, "--format", "sql-list"],
                          cwd=lake.parent, env=env, capture_output=True, text=True, timeout=120)
    if check(proc.returncode == 0, f"{step}: `resolve --format sql-list` exits 0", proc.stderr):
        got = sorted(duckdb.sql(
            f"SELECT customer_id, score FROM read_parquet([{proc.stdout.strip()}])").fetchall())
        check(got == expected, f"{step}: read_parquet([$(lastgood resolve --format sql-list)]) reads {version}")


# ---------------------------------------------------------------------------------------------


def scenario(tmp: Path) -> None:
    lake = tmp / "lake"
    # lastgood reads ./lastgood.toml (the CLI runs in tmp); only daily_scores is declared there.
    (tmp / "lastgood.toml").write_text(
        '[datasets.daily_scores]\npartition_by = ["date"]\npartition_types = { date = "date" }\n')
    con = duckdb.connect()
    night1 = make_night(tmp / "out" / "night1", seed=1)
    night2 = make_night(tmp / "out" / "night2", seed=2)
    night3 = make_night(tmp / "out" / "night3", seed=3, transform=lambda s: s ** 0.2)
    night4 = make_night(tmp / "out" / "night4", seed=4, transform=lambda s: min(1.0, s + 0.01))

    # Night 1: the first publish (no baseline).
    rc, p1, _ = expect_exit(tmp, 0, "publish", DATASET, str(tmp / "out" / "night1"),
                            "--meta", "model=churn-v1", "--message", "night 1")
    if rc != 0:
        raise RuntimeError("night 1 was not published; nothing else can be checked")
    v1 = p1["version"]
    check(p1["promoted"] is True and p1["rows"] == CUSTOMERS and p1["files"] == FILES,
          "night 1: publish --json says promoted, 20000 rows, 2 files", str(p1)[:300])
    consumers_read(lake, "night 1", v1, night1, con)

    # Night 2: same distribution, passes, promoted.
    rc, p2, _ = expect_exit(tmp, 0, "publish", DATASET, str(tmp / "out" / "night2"),
                            "--meta", "model=churn-v1")
    v2 = p2["version"]
    check(p2["promoted"] is True and p2["passed"] is True and p2["baseline"] == v1,
          "night 2: promoted, passed, judged against night 1", str(p2)[:300])
    consumers_read(lake, "night 2", v2, night2, con)

    # Night 3: shifted scores; the default KS gate fails; the pointer stays on night 2.
    rc, p3, err = expect_exit(tmp, 3, "publish", DATASET, str(tmp / "out" / "night3"),
                              "--meta", "model=churn-v2-broken")
    v3 = p3["version"]
    check(p3["promoted"] is False and p3["passed"] is False, "night 3: not promoted, not passed")
    ks = [g for g in p3["gates"] if g["kind"] == "ks" and g["column"] == "score"]
    check(len(ks) == 1 and ks[0]["outcome"] == "fail", "night 3: the ks gate on score fails",
          json.dumps(ks)[:300])
    check(all(g["outcome"] != "fail" for g in p3["gates"] if g["column"] != "score"),
          "night 3: no other gate fails", json.dumps([g["name"] for g in p3["gates"] if not g["passed"]]))
    consumers_read(lake, "night 3 (gates failed)", v2, night2, con)

    # Night 4: a canary with plausible numbers passes the gates and is promoted…
    rc, p4, _ = expect_exit(tmp, 0, "publish", DATASET, str(tmp / "out" / "night4"),
                            "--meta", "model=churn-v2-canary")
    v4 = p4["version"]
    check(p4["promoted"] is True and p4["passed"] is True, "night 4: canary passes and is promoted")
    consumers_read(lake, "night 4 (canary)", v4, night4, con)

    # … and the analyst on call reverts it: back to night 2.
    rc, r1, _ = expect_exit(tmp, 0, "pointer", "revert", DATASET, "--reason", "canary scores look off")
    check(r1 == {**r1, "from": v4, "to": v2, "moved": True}, "revert: from night 4 to night 2", str(r1))
    consumers_read(lake, "after revert of night 4", v2, night2, con)

    # Publishing the reverted canary again is refused by policy; readers stay on night 2.
    rc, _, err = expect_exit(tmp, 4, "publish", DATASET, str(tmp / "out" / "night4"))
    consumers_read(lake, "night 4 re-published (refused)", v2, night2, con)

    # Night 3 promoted anyway with --force (gates failed) …
    rc, pf, _ = expect_exit(tmp, 0, "publish", DATASET, str(tmp / "out" / "night3"),
                            "--force", "--reason", "accept the new model's calibration")
    check(pf["version"] == v3 and pf["promoted"] is True and pf["passed"] is False,
          "forced publish promotes the already sealed night 3", str(pf)[:300])
    consumers_read(lake, "night 3 forced", v3, night3, con)

    # … reverted: readers follow the pointer back to night 2 …
    rc, r2, _ = expect_exit(tmp, 0, "pointer", "revert", DATASET, "--reason", "forced night 3 was wrong")
    check(r2.get("from") == v3 and r2.get("to") == v2, "revert: from night 3 to night 2", str(r2))
    consumers_read(lake, "after revert of night 3", v2, night2, con)

    # … and to night 1 with an explicit --to.
    rc, r3, _ = expect_exit(tmp, 0, "pointer", "revert", DATASET, "--to", v1, "--reason", "audit: back to night 1")
    check(r3.get("from") == v2 and r3.get("to") == v1, "revert --to: from night 2 to night 1", str(r3))
    consumers_read(lake, "after revert --to night 1", v1, night1, con)

    # Bad input: exit 2, JSON error on stdout, nothing moves.
    rc, e2, _ = expect_exit(tmp, 2, "publish", DATASET, str(tmp / "out" / "no-such-night"))
    check(isinstance(e2, dict) and e2.get("error", {}).get("exit_code") == 2,
          "bad input: --json prints {\"error\": {…, \"exit_code\": 2}}", str(e2))
    consumers_read(lake, "after bad input", v1, night1, con)

    # Frozen: a passing publish seals and gates, but is refused (4); readers stay; unfreeze, publish.
    night5 = make_night(tmp / "out" / "night5", seed=5)
    rc, _, _ = expect_exit(tmp, 0, "freeze", DATASET, "--reason", "investigating INC-1")
    if rc == 0:
        rc, e4, _ = expect_exit(tmp, 4, "publish", DATASET, str(tmp / "out" / "night5"))
        # A frozen publish prints its publish document (sealed, gated, "promoted": false, "frozen":
        # why); other refusals print {"error": …}. Accept either, as a scheduler must.
        check(isinstance(e4, dict) and (
                  (e4.get("promoted") is False and bool(e4.get("frozen")))
                  or e4.get("error", {}).get("exit_code") == 4),
              "frozen: --json says why it was not promoted", str(e4))
        consumers_read(lake, "frozen publish (refused)", v1, night1, con)
        expect_exit(tmp, 0, "unfreeze", DATASET, "--reason", "INC-1 closed")
        rc, p5, _ = expect_exit(tmp, 0, "publish", DATASET, str(tmp / "out" / "night5"))
        if rc == 0:
            consumers_read(lake, "night 5 after unfreeze", p5["version"], night5, con)

    # A partitioned dataset published one night at a time (partition_by in lastgood.toml): each
    # version lists its new partition and carries the others forward, so pointer.json names files
    # under other versions' folders. The recipes must read exactly those, with the date column.
    def triples(pairs_by_date: dict) -> list:
        return sorted((d, c, s) for d, pairs in pairs_by_date.items() for c, s in pairs)

    def read_triples(step: str, version: str, expected: list) -> None:
        pointer = json.loads((lake / "daily_scores" / "pointer.json").read_text())
        check(pointer["version"] == version, f"{step}: pointer.json names {version}", pointer["version"])
        rel = read_duckdb.read_current(str(lake), "daily_scores", con=con, verify=True)
        got = sorted(rel.project("date, customer_id, score").fetchall())
        check(got == expected, f"{step}: DuckDB reads exactly {version}'s partitions and rows",
              f"{len(got)} rows; dates {sorted({g[0] for g in got})}")
        table = read_pyarrow.read_current(str(lake), "daily_scores")
        got = sorted(zip(*(table[c].to_pylist() for c in ("date", "customer_id", "score"))))
        check(got == expected, f"{step}: pyarrow reads exactly {version}'s partitions and rows",
              f"{len(got)} rows; dates {sorted({g[0] for g in got})}")
        frame, _ = read_polars.read_current(str(lake), "daily_scores")
        got = sorted(zip(*(frame[c].to_list() for c in ("date", "customer_id", "score"))))
        check(got == expected, f"{step}: polars reads exactly {version}'s partitions and rows",
              f"{len(got)} rows; dates {sorted({g[0] for g in got})}")
        frame = read_pandas.read_current(str(lake), "daily_scores")
        got = sorted(zip(*(frame[c].tolist() for c in ("date", "customer_id", "score"))))
        check(got == expected, f"{step}: pandas reads exactly {version}'s partitions and rows",
              f"{len(got)} rows; dates {sorted({g[0] for g in got})}")

    day1, day2 = "2026-11-21", "2026-11-22"
    rc, d1, _ = expect_exit(tmp, 0, "publish", "daily_scores", str(tmp / "out" / "night1"),
                            "--partition", f"date={day1}")
    rc2, d2, _ = expect_exit(tmp, 0, "publish", "daily_scores", str(tmp / "out" / "night2"),
                             "--partition", f"date={day2}")
    if rc == 0 and rc2 == 0:
        pointer = json.loads((lake / "daily_scores" / "pointer.json").read_text())
        folders = {f["path"].split("/")[1] for f in pointer["files"]}
        check(folders == {d1["version"], d2["version"]},
              "partitioned: pointer.json lists files under both versions' folders", str(folders))
        check(sorted(f.get("partition", {}).get("date") for f in pointer["files"]) == [day1] * FILES + [day2] * FILES,
              "partitioned: pointer.json files carry their partition", json.dumps(pointer["files"])[:300])
        read_triples("partitioned, day 2 added", d2["version"], triples({day1: night1, day2: night2}))
        # Day 2 replaced by a re-scored night (night 4's numbers), then reverted.
        rc, d3, _ = expect_exit(tmp, 0, "publish", "daily_scores", str(tmp / "out" / "night4"),
                                "--partition", f"date={day2}")
        if rc == 0:
            read_triples("partitioned, day 2 replaced", d3["version"], triples({day1: night1, day2: night4}))
            expect_exit(tmp, 0, "pointer", "revert", "daily_scores", "--reason", "re-score was wrong")
            read_triples("partitioned, replacement reverted", d2["version"], triples({day1: night1, day2: night2}))

    # A reader that verifies notices a file that is not what the pointer says.
    pointer = json.loads((lake / DATASET / "pointer.json").read_text())
    victim = lake / DATASET / pointer["files"][0]["path"]
    saved = victim.read_bytes()
    try:
        victim.write_bytes(saved + b"garbage")
        for name, read in (("pyarrow", lambda: read_pyarrow.read_current(str(lake), DATASET)),
                           ("DuckDB", lambda: read_duckdb.read_current(str(lake), DATASET, verify=True))):
            try:
                read()
                check(False, f"{name} recipe refuses a file whose size differs from pointer.json")
            except ValueError as e:
                check("bytes" in str(e), f"{name} recipe refuses a file whose size differs from pointer.json", str(e))
    finally:
        victim.write_bytes(saved)

    # A mirror: the lake copied whole, then the original deleted. pointer.json's paths are relative
    # to the dataset, so every recipe reads the copy; doctor flags the original's root and urls left
    # in the copy (exit 2), and --repair rewrites them for where the file is read.
    version = json.loads((lake / DATASET / "pointer.json").read_text())["version"]
    expected = pairs_arrow(read_pyarrow.read_current(str(lake), DATASET))
    mirror = tmp / "mirror" / "lake"
    shutil.copytree(lake, mirror)
    shutil.rmtree(lake)
    expect_exit(mirror.parent, 2, "doctor", DATASET)
    consumers_read(mirror, "mirror (original deleted)", version, expected, con)
    expect_exit(mirror.parent, 0, "doctor", DATASET, "--repair")
    expect_exit(mirror.parent, 0, "doctor", DATASET)
    urls = [f["url"] for f in json.loads((mirror / DATASET / "pointer.json").read_text())["files"]]
    check(all(u.startswith(mirror.as_uri() + "/") for u in urls),
          "mirror: pointer.json's urls lead into the copy after doctor --repair", str(urls[:1]))


def main() -> int:
    print(f"lastgood: {BIN}\nduckdb {duckdb.__version__}, pyarrow {pa.__version__}, "
          f"polars {pl.__version__}, pandas {pd.__version__}, python {sys.version.split()[0]}")
    for _ in range(60):
        if os.access(BIN, os.X_OK):
            break
        time.sleep(2)
    else:
        print(f"FAIL {BIN} is not there: build it (cargo build) or set LASTGOOD_BIN")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="lastgood-consumers-"))
    started = time.monotonic()
    try:
        scenario(tmp)
    except Exception:
        failures.append("the scenario stopped on an exception:\n" + traceback.format_exc())
        print(failures[-1])
    took = time.monotonic() - started
    if failures:
        print(f"\n{len(failures)} check(s) failed; the lake is kept at {tmp}:")
        for f in failures:
            print(f"  - {f}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"took {took:.1f} s")
    print(f"consumers: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
