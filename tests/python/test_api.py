"""The Python API of the installed wheel: every wrapper and every exception, local and S3.

Run by tests/python/run.sh in a fresh venv where the wheel is the only lastgood and no Rust
toolchain is on the PATH.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import sys
import sysconfig
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lastgood
from lastgood import (
    BadInputError,
    ConflictError,
    GatesFailedError,
    LastgoodError,
    RefusedError,
    UnexpectedError,
)

DS = "churn_scores"


def expected(folder: Path) -> pa.Table:
    """What a night's folder holds, sorted: the rows a read must return."""
    return pq.read_table(str(folder)).sort_by("customer_id")


def same_rows(got: pa.Table, want: pa.Table) -> None:
    got = got.select(want.column_names).sort_by("customer_id")
    assert got.num_rows == want.num_rows
    for name in want.column_names:
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name


def arrow_of(rel) -> pa.Table:
    """A DuckDB relation's rows as a pyarrow Table (DuckDB 2 returns a reader from .arrow())."""
    got = rel.arrow()
    return got.read_all() if hasattr(got, "read_all") else got


# --- the install -----------------------------------------------------------------------------


def test_the_wheel_put_the_binary_beside_the_interpreter_and_no_rust_is_needed():
    exe = lastgood.find_binary()
    assert Path(exe).parent == Path(sysconfig.get_path("scripts")), exe
    assert shutil.which("lastgood") == exe, "the wheel's binary is the lastgood on PATH"
    assert shutil.which("cargo") is None and shutil.which("rustc") is None, "a Rust toolchain is on PATH"
    assert Path(lastgood.__file__).is_relative_to(Path(sysconfig.get_path("purelib"))), lastgood.__file__
    assert lastgood.__version__ != "0+unknown"


def test_lastgood_bin_overrides_the_binary(tmp_path, monkeypatch):
    fake = tmp_path / "fake-lastgood"
    fake.write_text("#!/bin/sh\necho '[{\"dataset\": \"from-the-fake\"}]'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("LASTGOOD_BIN", str(fake))
    assert lastgood.find_binary() == str(fake)
    assert lastgood.datasets(root=str(tmp_path)) == [{"dataset": "from-the-fake"}]
    monkeypatch.setenv("LASTGOOD_BIN", str(tmp_path / "missing"))
    with pytest.raises(lastgood.BinaryNotFoundError):
        lastgood.find_binary()


# --- publish, read, gates ----------------------------------------------------------------------


def test_publish_then_read_exactly_the_pointer_version_in_every_engine(root, demo, workdir):
    out = lastgood.publish(DS, str(demo / "mon"), root=root, meta={"night": "mon"}, message="first")
    assert out["promoted"] and out["moved"] and out["seq"] == 1 and out["passed"]
    assert out["rows"] == 2000 and out["dataset"] == DS
    tue = lastgood.publish(DS, str(demo / "tue"), root=root, meta=["night=tue"])
    assert tue["baseline"] == out["version"] and tue["promoted"]

    want = expected(demo / "tue")
    table = lastgood.read(DS, root=root)
    assert isinstance(table, pa.Table)
    assert table.schema.metadata[b"lastgood.version"].decode() == tue["version"]
    same_rows(table, want)

    frame = lastgood.read(DS, root=root, engine="polars")
    assert isinstance(frame, pl.DataFrame)
    same_rows(frame.to_arrow(), want)

    pdf = lastgood.read(DS, root=root, engine="pandas")
    assert isinstance(pdf, pd.DataFrame) and pdf.attrs["lastgood.version"] == tue["version"]
    same_rows(pa.Table.from_pandas(pdf, preserve_index=False), want)

    con = duckdb.connect()
    rel = lastgood.read(DS, root=root, engine="duckdb", connection=con)
    same_rows(arrow_of(rel), want)
    assert rel.aggregate("count(*)").fetchall() == [(2000,)]

    # An older version by ref and by history position; a column subset.
    same_rows(lastgood.read(DS, root=root, version=out["version"]), expected(demo / "mon"))
    same_rows(lastgood.read(DS, root=root, version=1), expected(demo / "mon"))
    same_rows(lastgood.read(DS, root=root, version="previous"), expected(demo / "mon"))
    assert lastgood.read(DS, root=root, columns=["customer_id", "score"]).column_names == ["customer_id", "score"]
    with pytest.raises(ValueError, match="engine"):
        lastgood.read(DS, root=root, engine="spark")


def test_failed_gates_raise_with_the_report_and_the_pointer_stays(root, demo, workdir):
    first = lastgood.publish(DS, str(demo / "tue"), root=root)
    with pytest.raises(GatesFailedError) as e:
        lastgood.publish(DS, str(demo / "wed-drift"), root=root, meta={"night": "wed"})
    err = e.value
    assert err.exit_code == 3 and not err.retryable
    assert err.report["promoted"] is False and err.report["baseline"] == first["version"]
    assert [g["kind"] for g in err.failed_gates] == ["ks"] and err.failed_gates[0]["column"] == "score"
    assert err.report["report_url"].endswith("-publish.json")
    assert "gates failed" in str(err)
    assert lastgood.pointer_show(DS, root=root)["version"] == first["version"]
    same_rows(lastgood.read(DS, root=root), expected(demo / "tue"))

    rejected = lastgood.versions(DS, root=root, status="rejected", meta={"night": "wed"})
    assert [v["version"] for v in rejected] == [err.version]
    assert rejected[0]["failed_gates"] == ["ks(score)"]
    with pytest.raises(GatesFailedError) as v:
        lastgood.validate(DS, err.version, root=root)
    assert v.value.report["passed"] is False and v.value.report["version"] == err.version
    ok = lastgood.validate(DS, first["version"], root=root)
    assert ok["passed"] is True and ok["report_url"].startswith(("file://", "s3://"))
    stored = lastgood.report(DS, "latest", root=root)
    assert stored["version"] == err.version and stored["passed"] is False


def test_revert_set_history_show_and_forced_moves(root, demo, workdir):
    mon = lastgood.publish(DS, str(demo / "mon"), root=root)
    tue = lastgood.publish(DS, str(demo / "tue"), root=root)
    thu = lastgood.publish(DS, str(demo / "thu-nulls"), root=root, force=True, reason="upstream: nulls expected")
    assert thu["promoted"] and not thu["passed"]

    back = lastgood.revert(DS, reason="spend_30d blank", root=root, actor="ana@laptop")
    assert back["action"] == "revert" and back["moved"] and back["to"] == tue["version"]
    assert back["from"] == thu["version"] and back["seq"] == 4
    same_rows(lastgood.read(DS, root=root), expected(demo / "tue"))

    moved = lastgood.set(DS, mon["version"], reason="back to monday", root=root)
    assert moved["action"] == "set" and moved["to"] == mon["version"] and moved["seq"] == 5
    again = lastgood.pointer_set(DS, mon["version"], reason="again", root=root)
    assert again["moved"] is False

    entries = lastgood.history(DS, root=root)
    assert [e["seq"] for e in entries] == [5, 4, 3, 2, 1]
    assert [e["action"] for e in entries] == ["set", "revert", "promote", "promote", "promote"]
    assert entries[1]["actor"] == "ana@laptop" and entries[2]["forced"] is True
    assert [e["seq"] for e in lastgood.history(DS, root=root, limit=2)] == [5, 4]

    status = lastgood.pointer_show(DS, root=root)
    assert status["version"] == mon["version"] and thu["version"] in status["reverted"]
    shown = lastgood.show(DS, thu["version"], root=root)
    assert "reverted" in shown["status"]
    res = lastgood.resolve(DS, root=root)
    assert res["version"] == mon["version"] and sum(f["rows"] for f in res["files"]) == 2000
    assert lastgood.resolve(DS, seq=3, root=root)["version"] == thu["version"]
    rows = lastgood.query(DS, "SELECT count(*) AS n FROM churn_scores", root=root)
    assert rows == [{"n": 2000}]
    assert [d["dataset"] for d in lastgood.datasets(root=root)] == [DS]


def test_refusals_raise_refused_error(root, demo, workdir):
    with pytest.raises(BadInputError) as nothing:
        lastgood.revert(DS, reason="no dataset yet", root=root)
    assert nothing.value.exit_code == 2
    lastgood.publish(DS, str(demo / "mon"), root=root)
    with pytest.raises(RefusedError) as e:
        lastgood.revert(DS, reason="nothing before monday", root=root)
    assert e.value.exit_code == 4 and e.value.kind == "refused" and not e.value.retryable

    mark = lastgood.freeze(DS, reason="INC-2041", root=root)
    assert mark["action"] == "freeze" and mark["changed"]
    with pytest.raises(RefusedError) as frozen:
        lastgood.publish(DS, str(demo / "tue"), root=root)
    assert "frozen" in str(frozen.value) and frozen.value.document["frozen"]
    assert lastgood.unfreeze(DS, reason="resolved", root=root)["changed"]
    tue = lastgood.publish(DS, str(demo / "tue"), root=root)
    assert tue["promoted"] and not tue["created"]

    pinned = lastgood.pin(DS, tue["version"], reason="audit", root=root)
    assert pinned["version"] == tue["version"] and pinned["changed"]
    assert lastgood.unpin(DS, tue["version"], root=root)["changed"]
    plan = lastgood.gc(DS, dry_run=True, root=root)
    assert plan["dry_run"] is True and plan["deleted"] == []
    health = lastgood.doctor(DS, root=root)
    assert health["ok"] is True
    rules = lastgood.rules_show(DS, root=root)
    assert rules["dataset"] == DS and rules["checksum"].startswith("blake3:")


def test_bad_input_and_unexpected_failures(root, demo, workdir):
    with pytest.raises(BadInputError) as e:
        lastgood.pointer_show("no_such_dataset", root=root)
    assert e.value.exit_code == 2 and isinstance(e.value, ValueError)
    with pytest.raises(BadInputError) as bad:
        lastgood.publish("Bad Name!", str(demo / "mon"), root=root)
    assert "Bad Name!" in str(bad.value) or "name" in str(bad.value)
    with pytest.raises(BadInputError) as usage:
        lastgood.run("pointer", "revert", DS, root=root)  # --reason missing: clap's usage error
    assert usage.value.kind == "usage"
    # The store fails (a root under a regular file: every read is an I/O error): exit 1.
    blocker = workdir / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(UnexpectedError) as failed:
        lastgood.publish(DS, str(demo / "mon"), root=str(blocker / "lake"))
    assert failed.value.exit_code == 1 and "Not a directory" in str(failed.value)
    with pytest.raises(BadInputError):
        lastgood.pointer_show(DS, root=root)


def test_a_conflict_is_retryable(tmp_path, monkeypatch):
    """Exit 5 needs a race (tested on the real binary by the Rust suites); here a stand-in binary
    answers as lastgood does, to pin the mapping."""
    fake = tmp_path / "lastgood"
    doc = {"error": {"kind": "conflict", "message": "conflict: the pointer moved", "exit_code": 5}}
    fake.write_text(f"#!/bin/sh\necho '{json.dumps(doc)}'\necho 'lastgood: conflict: the pointer moved' >&2\nexit 5\n")
    fake.chmod(0o755)
    with pytest.raises(ConflictError) as e:
        lastgood.revert(DS, reason="x", binary=str(fake))
    assert e.value.retryable and e.value.exit_code == 5 and e.value.kind == "conflict"
    assert isinstance(e.value, LastgoodError) and "pointer moved" in str(e.value)


# --- partitions --------------------------------------------------------------------------------


def test_partition_columns_are_typed_as_declared(root, demo, workdir):
    (workdir / "lastgood.toml").write_text(
        f'root = "{root}"\n\n[datasets.daily]\npartition_by = ["date", "shard"]\n'
        'partition_types = { date = "date", shard = "int" }\n'
    )
    a = lastgood.publish("daily", str(demo / "mon"), partition={"date": "2026-11-16", "shard": 3})
    b = lastgood.publish("daily", str(demo / "tue"), partition=["date=2026-11-17", "shard=4"])
    assert a["partitions"] == ["date=2026-11-16/shard=3"] and b["carried_files"] == 2

    table = lastgood.read("daily")
    assert table.num_rows == 4000
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("shard").type == pa.int64()
    dates = sorted(set(table.column("date").to_pylist()))
    assert dates == [dt.date(2026, 11, 16), dt.date(2026, 11, 17)]
    frame = lastgood.read("daily", engine="polars")
    assert frame.schema["date"] == pl.Date and frame.schema["shard"] == pl.Int64
    pdf = lastgood.read("daily", engine="pandas", columns=["customer_id", "shard"])
    assert list(pdf.columns) == ["customer_id", "shard"] and set(pdf["shard"]) == {3, 4}
    rel = lastgood.read("daily", engine="duckdb", connection=duckdb.connect())
    assert [str(t) for t in rel.types][rel.columns.index("date")] == "DATE"

    back = lastgood.revert("daily", reason="the 17th was bad", partition={"date": "2026-11-17", "shard": 4})
    assert back["moved"] and [p["partition"] for p in back["partitions"]] == ["date=2026-11-17/shard=4"]
    after = lastgood.read("daily")
    assert after.num_rows == 2000 and set(after.column("date").to_pylist()) == {dt.date(2026, 11, 16)}
