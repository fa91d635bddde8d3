"""The pointer as a Delta Lake table, read by real engines: deltalake and polars.scan_delta.

Runs the real CLI (env LASTGOOD_BIN, default target/debug/lastgood) on a local lake and, when
LASTGOOD_TEST_S3 is set (tests/run.sh starts SeaweedFS and sets it), on S3. After every step, both
readers must return exactly the rows of the version the log's head names (the files `lastgood
resolve` lists, read with pyarrow), at Delta version = the head's seq; at the end, Delta time travel
to every version N must return the rows of log entry N. A Delta append, OPTIMIZE and a forced VACUUM
are refused. Plain Python, no pytest; usually run by tests/consumers/run.sh.

The story (dataset `scores`): two good nights promoted; a drifted night rejected by the gates (the
table does not move); a canary promoted and reverted (a RESTORE); frozen (an empty commit), a publish
refused while frozen, unfrozen; a version pinned; `pointer set` back to night 1; gc of the rejected
and reverted versions. Then `daily`, partitioned by date: days added, one replaced, and that day
reverted alone (`pointer revert --partition`). Then `legacy`, a dataset made with the projection
off, turned on by `lastgood delta build`; and `events`, a timestamp without a time zone
(`timestamp_ntz`).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import deltalake
import polars as pl
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("LASTGOOD_BIN") or str(REPO / "target" / "debug" / "lastgood")
if not os.path.isabs(BIN):
    BIN = str(REPO / BIN)
ROWS = 4000

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


def night(folder: Path, seed: int, drift: bool = False, files: int = 2) -> Path:
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    per = ROWS // files
    for i in range(files):
        ids = list(range(i * per + 1, (i + 1) * per + 1))
        scores = [rng.betavariate(2, 5) for _ in ids]
        if drift:
            scores = [s**0.2 for s in scores]
        pq.write_table(
            pa.table({"id": pa.array(ids, pa.int64()), "score": pa.array(scores, pa.float64())}),
            folder / f"part-{i}.parquet",
        )
    return folder


class Lake:
    def __init__(self, cwd: Path, root: str, storage: dict[str, str]):
        self.cwd, self.root, self.storage = cwd, root, storage

    def lg(self, *args: str) -> tuple[int, object, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LASTGOOD_")}
        env["LASTGOOD_ACTOR"] = "delta-test"
        proc = subprocess.run([BIN, "--root", self.root, "--json", *args], cwd=self.cwd, env=env,
                              capture_output=True, text=True, timeout=300)
        try:
            doc = json.loads(proc.stdout) if proc.stdout.strip() else None
        except json.JSONDecodeError:
            doc = None
        return proc.returncode, doc, proc.stderr.strip()

    def expect(self, want: int, *args: str):
        rc, doc, err = self.lg(*args)
        check(rc == want, f"{self.root}: `lastgood {' '.join(args[:3])}` exits {want}",
              f"exit {rc}; stderr {err[:500]!r}")
        return doc

    def table(self, ds: str) -> str:
        return f"{self.root.rstrip('/')}/{ds}"

    def head(self, ds: str) -> dict:
        doc = self.expect(0, "pointer", "show", ds)
        return doc or {}

    def rows_of(self, ds: str, version: str, cols: list[str]) -> list[tuple]:
        """The rows of a version: the files `lastgood resolve` lists, read with pyarrow, partition
        values from the listing."""
        rc, doc, err = self.lg("resolve", ds, "--version", version)
        if not check(rc == 0 and doc, f"lastgood resolve {ds} --version {version}", err[:300]):
            return []
        rows = []
        for f in doc["files"]:
            url = f["url"]
            if url.startswith("s3://"):
                fs = pafs.S3FileSystem(
                    endpoint_override=self.storage["AWS_ENDPOINT_URL"], scheme="http",
                    access_key=self.storage["AWS_ACCESS_KEY_ID"],
                    secret_key=self.storage["AWS_SECRET_ACCESS_KEY"], region=self.storage["AWS_REGION"])
                path = url[len("s3://"):]
            else:
                fs, path = pafs.LocalFileSystem(), url[len("file://"):]
            t = pq.read_table(path, filesystem=fs)
            part = f.get("partition") or {}
            data = [part[c] if c in part else None for c in cols]
            columns = [[data[i]] * t.num_rows if c in part else t[c].to_pylist() for i, c in enumerate(cols)]
            rows.extend(zip(*columns))
        return sorted(rows)


def delta_rows(lake: Lake, ds: str, cols: list[str], version: int | None = None) -> tuple[int, list[tuple]]:
    dt = deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage, version=version)
    t = dt.to_pyarrow_table(columns=cols)
    rows = sorted(zip(*[[str(v) if c == "date" else v for v in t[c].to_pylist()] for c in cols]))
    return dt.version(), rows


def polars_rows(lake: Lake, ds: str, cols: list[str], version: int | None = None) -> list[tuple]:
    df = pl.scan_delta(lake.table(ds), storage_options=lake.storage, version=version).select(cols).collect()
    return sorted(zip(*[[str(v) if c == "date" else v for v in df[c].to_list()] for c in cols]))


def readers_see_head(lake: Lake, ds: str, step: str, cols: list[str]) -> None:
    """deltalake and polars read exactly the head's version, at Delta version = the head's seq."""
    head = lake.head(ds)
    seq, version = head.get("seq"), head.get("version")
    want = lake.rows_of(ds, version, cols)
    try:
        v, got = delta_rows(lake, ds, cols)
        check(v == seq, f"{step}: Delta version {v} is the log's head {seq}")
        check(got == want, f"{step}: deltalake reads exactly {version}'s rows", f"{len(got)} vs {len(want)} rows")
        got = polars_rows(lake, ds, cols)
        check(got == want, f"{step}: polars.scan_delta reads exactly {version}'s rows", f"{len(got)} vs {len(want)}")
    except Exception as e:  # noqa: BLE001
        check(False, f"{step}: Delta readers open {lake.table(ds)}", f"{type(e).__name__}: {e}")


def time_travel(lake: Lake, ds: str, cols: list[str], positions, step: str) -> None:
    """Delta version N reads the rows of the version log entry N left the pointer at."""
    for n in positions:
        rc, doc, err = lake.lg("resolve", ds, "--seq", str(n))
        if not check(rc == 0 and doc, f"{step}: resolve --seq {n}", err[:300]):
            continue
        want = lake.rows_of(ds, doc["version"], cols)
        try:
            _, got = delta_rows(lake, ds, cols, version=n)
            check(got == want, f"{step}: deltalake at version {n} reads {doc['version']}", f"{len(got)} vs {len(want)}")
            got = polars_rows(lake, ds, cols, version=n)
            check(got == want, f"{step}: polars at version {n} reads {doc['version']}", f"{len(got)} vs {len(want)}")
        except Exception as e:  # noqa: BLE001
            check(False, f"{step}: time travel to version {n}", f"{type(e).__name__}: {e}")


def scores_story(lake: Lake, data: Path) -> None:
    ds, cols = "scores", ["id", "score"]
    lake.expect(0, "publish", ds, str(night(data / "n1", 1)), "--version", "n1")
    check((lake.head(ds).get("seq")) == 1, "first publish is log entry 1")
    readers_see_head(lake, ds, "publish n1", cols)
    lake.expect(0, "publish", ds, str(night(data / "n2", 2)), "--version", "n2")
    readers_see_head(lake, ds, "publish n2", cols)
    lake.expect(3, "publish", ds, str(night(data / "n3", 3, drift=True)), "--version", "n3")
    readers_see_head(lake, ds, "rejected publish n3", cols)
    lake.expect(0, "publish", ds, str(night(data / "n4", 4)), "--version", "n4")
    readers_see_head(lake, ds, "canary n4", cols)
    lake.expect(0, "pointer", "revert", ds, "--reason", "canary is bad")
    readers_see_head(lake, ds, "revert", cols)
    dt = deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage)
    last = dt.history(1)[0]
    check(last.get("operation") == "RESTORE", "a revert is a RESTORE in the Delta history", str(last))
    check((last.get("lastgood") or {}).get("reason") == "canary is bad",
          "commitInfo.lastgood carries the reason", str(last))
    lake.expect(0, "freeze", ds, "--reason", "incident")
    readers_see_head(lake, ds, "freeze", cols)
    lake.expect(4, "publish", ds, str(night(data / "n5", 5)), "--version", "n5")
    readers_see_head(lake, ds, "publish refused while frozen", cols)
    lake.expect(0, "unfreeze", ds, "--reason", "over")
    lake.expect(0, "pin", ds, "n1", "--reason", "audit")
    readers_see_head(lake, ds, "pin", cols)
    lake.expect(0, "pointer", "set", ds, "n1", "--reason", "back to night 1")
    readers_see_head(lake, ds, "pointer set", cols)
    head = lake.head(ds)["seq"]
    time_travel(lake, ds, cols, range(1, head + 1), "scores history")

    # Engines that write Delta refuse to: the table carries a writer feature they do not know.
    before = deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage).version()
    extra = pa.table({"id": pa.array([999999], pa.int64()), "score": pa.array([0.5], pa.float64())})
    try:
        deltalake.write_deltalake(lake.table(ds), extra, mode="append", storage_options=lake.storage)
        check(False, "write_deltalake(mode='append') is refused")
    except Exception as e:  # noqa: BLE001
        check("lastgoodManaged" in str(e), "write_deltalake(mode='append') is refused by the writer feature", str(e))
    try:
        deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage).optimize.compact()
        check(False, "OPTIMIZE is refused")
    except Exception as e:  # noqa: BLE001
        check("lastgoodManaged" in str(e), "OPTIMIZE is refused by the writer feature", str(e))
    try:
        deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage).vacuum(
            retention_hours=0, enforce_retention_duration=False, dry_run=False)
        check(False, "a forced VACUUM is refused")
    except Exception as e:  # noqa: BLE001
        check("lastgoodManaged" in str(e), "a forced VACUUM is refused by the writer feature", str(e))
    dry = deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage).vacuum()
    check(dry == [], "a default VACUUM (100-year retention) would delete nothing", str(dry))
    after = deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage).version()
    check(after == before, "nothing was committed by the refused writes", f"{before} -> {after}")
    readers_see_head(lake, ds, "after refused writes", cols)

    # gc deletes the rejected and reverted versions; the head still reads, and so does every
    # position whose version is still sealed.
    lake.expect(0, "gc", ds, "--keep", "1", "--grace", "0s")
    readers_see_head(lake, ds, "gc", cols)
    head = lake.head(ds)["seq"]
    live = []
    for n in range(1, head + 1):
        rc, doc, _ = lake.lg("resolve", ds, "--seq", str(n))
        if rc == 0 and doc and doc["version"] in ("n1", "n2"):
            live.append(n)
    check(len(live) >= 3, "positions of kept versions remain", str(live))
    time_travel(lake, ds, cols, live, "after gc")
    rc, doc, err = lake.lg("doctor", ds)
    check(rc == 0 and doc and doc.get("ok"), "doctor: healthy, the projection included", f"{err} {doc}")


def daily_story(lake: Lake, data: Path) -> None:
    ds, cols = "daily", ["id", "score", "date"]
    for i, day in enumerate(["2026-11-21", "2026-11-22", "2026-11-23"]):
        lake.expect(0, "publish", ds, str(night(data / f"d{i}", 10 + i, files=1)), "--partition", f"date={day}")
        readers_see_head(lake, ds, f"partition {day} added", cols)
    lake.expect(0, "publish", ds, str(night(data / "d1b", 20, files=1)), "--partition", "date=2026-11-22")
    readers_see_head(lake, ds, "partition 2026-11-22 replaced", cols)
    lake.expect(0, "pointer", "revert", ds, "--partition", "date=2026-11-22", "--reason", "bad day")
    readers_see_head(lake, ds, "partition revert", cols)
    dt = deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage)
    check(dt.metadata().partition_columns == ["date"], "partition column date", str(dt.metadata().partition_columns))
    schema = pa.schema(dt.schema().to_arrow())
    check(str(schema.field("date").type) == "date32[day]", "date is a Delta date", str(schema))
    added = pa.table(dt.get_add_actions(flatten=True)).to_pylist()
    check(any(a["path"].startswith("versions/") and "/data/date=" in a["path"] for a in added),
          "add paths are relative to the dataset: versions/<id>/data/date=…", str(added[:1]))
    check(len(added) == 3 and all(a.get("num_records") == ROWS for a in added), "stats carry numRecords",
          str(added[:1]))
    check(all(a.get("min.id") == 1 and a.get("max.id") == ROWS for a in added), "stats carry min/max",
          str(added[:1]))
    time_travel(lake, ds, cols, range(1, lake.head(ds)["seq"] + 1), "daily history")


def legacy_story(lake: Lake, data: Path) -> None:
    """A dataset without the projection (delta = false), then `lastgood delta build`."""
    ds, cols = "legacy", ["id", "score"]
    lake.expect(0, "publish", ds, str(night(data / "l1", 30)), "--version", "l1")
    lake.expect(0, "publish", ds, str(night(data / "l2", 31)), "--version", "l2")
    lake.expect(0, "pointer", "revert", ds, "--reason", "r")
    try:
        deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage)
        check(False, "delta = false: no Delta table")
    except Exception:  # noqa: BLE001
        check(True, "delta = false: no Delta table")
    doc = lake.expect(0, "delta", "build", ds)
    check(bool(doc) and doc.get("turned_on") and doc.get("commits_written") == 3, "delta build writes 3 commits", str(doc))
    readers_see_head(lake, ds, "delta build", cols)
    time_travel(lake, ds, cols, range(1, 4), "legacy history")
    lake.expect(0, "pointer", "set", ds, "l2", "--reason", "after build", "--force")
    readers_see_head(lake, ds, "a move after delta build", cols)


def naive_story(lake: Lake, data: Path) -> None:
    """Timestamps without a time zone: Delta timestamp_ntz, read back equal by both readers."""
    ds, cols = "events", ["id", "at"]
    folder = data / "e1"
    folder.mkdir(parents=True)
    base = 1_795_000_000_000_000
    pq.write_table(pa.table({"id": pa.array(range(1, 1001), pa.int64()),
                             "at": pa.array([base + i * 1_000_003 for i in range(1000)], pa.timestamp("us"))}),
                   folder / "part-0.parquet")
    lake.expect(0, "publish", ds, str(folder))
    readers_see_head(lake, ds, "timestamp without a time zone", cols)
    dt = deltalake.DeltaTable(lake.table(ds), storage_options=lake.storage)
    check(dt.protocol().min_reader_version == 3 and "timestampNtz" in (dt.protocol().reader_features or []),
          "timestamp_ntz: the protocol states the timestampNtz reader feature", str(dt.protocol()))


def run(name: str, root: str, storage: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "lastgood.toml").write_text(
            '[datasets.daily]\npartition_by = ["date"]\npartition_types = { date = "date" }\n\n'
            "[datasets.legacy]\ndelta = false\n"
        )
        lake = Lake(cwd, root if root else str(cwd / "lake"), storage)
        for story in (scores_story, daily_story, legacy_story, naive_story):
            t0 = time.time()
            try:
                story(lake, cwd / story.__name__)
            except Exception:  # noqa: BLE001
                check(False, f"{name}: {story.__name__} ran", traceback.format_exc())
            print(f"{name}: {story.__name__} {time.time() - t0:.1f}s", flush=True)


def main() -> int:
    run("local", "", {})
    s3 = os.environ.get("LASTGOOD_TEST_S3")
    if s3:
        storage = {
            "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT"],
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
            "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
            "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
        }
        run("s3", f"{s3.rstrip('/')}/delta-{time.time_ns()}", storage)
    elif os.environ.get("CI"):
        check(False, "LASTGOOD_TEST_S3 is set (run through tests/run.sh, which starts SeaweedFS)")
    else:
        print("NOT RUN on S3: LASTGOOD_TEST_S3 is not set (tests/run.sh sets it)")
    print(f"delta consumers: {passed} checks passed, {len(failures)} failed")
    for f in failures:
        print(f"  - {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: deltalake's native threads can abort the process while it exits
    # ("terminate called without an active exception"), which would turn a pass into a failure.
    os._exit(code)
