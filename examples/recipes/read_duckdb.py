"""Read the current version of a lastgood dataset with DuckDB.

Copy ``read_current`` (and the helpers above it) into your job, or run this file:

    python read_duckdb.py ROOT DATASET         # prints: DATASET VERSION ROWS rows

``ROOT`` is what lastgood calls the root (``--root`` / ``LASTGOOD_ROOT``): a local folder, a
``file://`` URL or ``s3://bucket/prefix``. The dataset lives under ``ROOT/DATASET/``.

How it reads (SPEC.md, "Requirements for Readers"):

1. Read ``ROOT/DATASET/pointer.json`` once (with DuckDB's ``read_text``, so local and S3 take the
   same path). It names one sealed version and lists its files.
2. Read exactly the files listed there, each at ``<dataset prefix>/<path>`` (``path`` is relative to
   the dataset prefix, so a copied or mirrored dataset still reads; the file's ``url`` is the same
   object as the writer saw it). Never glob ``versions/**``: it holds old, failed and half-written
   versions, and a version's files may live under another version's folder.

The relation is lazy: DuckDB reads the files when you run it. Versions are immutable, so it always
sees one whole version, the one in ``load_pointer(...)["version"]`` at the time of the call, even if
lastgood moves the pointer meanwhile; call ``read_current`` again to follow the pointer.
``lastgood gc`` deletes old versions, but never the current one, the last-known-good, pinned ones,
the last ``--keep`` (5) versions the pointer held, nor anything younger than ``--grace`` (1 h): the
version a reader started on survives until the pointer has moved past it several times; a job that
holds on to one version for long should ``lastgood pin`` it.

Partitioned datasets: when file entries carry ``partition`` ({"date": "2026-11-21"}), Hive
partitioning is switched on and the values come back as VARCHAR columns (``hive_types_autocast``
off, as in the pyarrow recipe). Files of several versions (schemas grown additively) are read with
``union_by_name``.

S3 (not exercised by the tests, which run on a local root): ``root="s3://bucket/prefix"`` works once
the connection can reach S3::

    con = duckdb.connect()
    con.execute("INSTALL httpfs; LOAD httpfs;")
    con.execute("CREATE SECRET (TYPE s3, PROVIDER credential_chain)")   # or KEY_ID/SECRET/REGION
    rel = read_current("s3://ml-out/lake", "churn_scores", con=con)

Azure (exercised by tests/consumers/test_recipes_azure.py on Azurite): with DuckDB's ``azure``
extension, ``root="az://container/prefix"`` after ``CREATE SECRET (TYPE azure, …)``. Where extensions
cannot be downloaded, hand pyarrow's Azure filesystem to DuckDB through fsspec under a protocol of
your own (the test's ``AzuriteFS``: ``fsspec.implementations.arrow.ArrowFSWrapper`` with
``protocol = "lgaz"``), register it with ``con.register_filesystem(...)``, and use
``root="lgaz://container/prefix"``.

One-liners
----------
With the lastgood CLI (it reads the log's head itself; ``--format sql-list`` prints the quoted,
comma-separated URLs). Resolve first, so a failure stops the command instead of reading
``read_parquet([])``::

    files=$(lastgood --root lake resolve churn_scores --format sql-list) &&
      duckdb -c "SELECT count(*), avg(score) FROM read_parquet([$files])"

From DuckDB alone (any DuckDB >= 1.1; the pointer file lists the files)::

    SET VARIABLE files = (
      SELECT list('lake/churn_scores/' || f.path ORDER BY f.path)
      FROM (SELECT unnest(files) AS f FROM read_json('lake/churn_scores/pointer.json')));
    SELECT count(*) FROM read_parquet(getvariable('files'));

(``read_parquet`` does not take a subquery as its argument, hence the variable.)
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional
from urllib.parse import urlparse
from urllib.request import url2pathname

import duckdb


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _dataset_prefix(root: str, dataset: str) -> str:
    """``ROOT/DATASET`` as DuckDB reads it: an absolute local path, or the URL (s3://…)."""
    root = root.rstrip("/")
    if root.startswith("file://"):
        root = url2pathname(urlparse(root).path)
    if "://" not in root:
        root = os.path.abspath(root)  # the relation is lazy: do not depend on the cwd later
    return f"{root}/{dataset}"


def load_pointer(
    root: str, dataset: str, con: Optional[duckdb.DuckDBPyConnection] = None
) -> dict[str, Any]:
    """Read and check ``ROOT/DATASET/pointer.json``; adds ``"prefix"``: the dataset prefix read from.

    Raises FileNotFoundError when the dataset has no pointer yet (nothing was ever promoted).
    """
    con = con or duckdb.connect()
    prefix = _dataset_prefix(root, dataset)
    # read_text takes a glob: a missing file gives no row rather than an error.
    found = con.execute("SELECT content FROM read_text(?)", [f"{prefix}/pointer.json"]).fetchall()
    if not found:
        raise FileNotFoundError(f"{prefix}/pointer.json: no such file (nothing promoted yet?)")
    pointer = json.loads(found[0][0])
    if pointer.get("format") != "lastgood.pointer" or pointer.get("format_version") != 1:
        raise ValueError(f"{prefix}/pointer.json is not a lastgood pointer file (format 1)")
    if pointer.get("dataset") != dataset:
        raise ValueError(f"{prefix}/pointer.json names dataset {pointer.get('dataset')!r}")
    pointer["prefix"] = prefix
    return pointer


def pointer_files(pointer: dict[str, Any]) -> list[str]:
    """The locations of exactly the files the pointer lists, in its order."""
    out = []
    for entry in pointer["files"]:
        rel = entry["path"]
        if rel.startswith("/") or not rel.startswith("versions/") or ".." in rel.split("/"):
            raise ValueError(f"unsafe path in pointer.json: {rel!r}")
        out.append(f"{pointer['prefix']}/{rel}")
    if not out:
        raise ValueError(f"version {pointer['version']} lists no files")
    return out


def verify_files(con: duckdb.DuckDBPyConnection, pointer: dict[str, Any]) -> None:
    """Check each file's size and footer row count against the pointer (reads footers only)."""
    files = pointer_files(pointer)
    # read_blob's size needs no read of the content (a stat, or a HEAD on object stores).
    sizes = dict(con.execute("SELECT filename, size FROM read_blob(?)", [files]).fetchall())
    for name, entry in zip(files, pointer["files"]):
        if sizes.get(name) != entry["size"]:
            raise ValueError(f"{name}: {sizes.get(name)} bytes, pointer.json says {entry['size']}")
    rows = dict(
        con.execute("SELECT file_name, num_rows FROM parquet_file_metadata(?)", [files]).fetchall()
    )
    for name, entry in zip(files, pointer["files"]):
        if rows.get(name) != entry["rows"]:
            raise ValueError(f"{name}: {rows.get(name)} rows, pointer.json says {entry['rows']}")


def relation_for(con: duckdb.DuckDBPyConnection, pointer: dict[str, Any]) -> duckdb.DuckDBPyRelation:
    """A relation over exactly the files of an already loaded pointer."""
    files = pointer_files(pointer)
    partitioned = any(entry.get("partition") for entry in pointer["files"])
    versions = {entry["path"].split("/")[1] for entry in pointer["files"]}
    options = [
        f"hive_partitioning = {'true' if partitioned else 'false'}",
        "hive_types_autocast = false",
        f"union_by_name = {'true' if len(versions) > 1 else 'false'}",
    ]
    listing = ", ".join(_sql_str(f) for f in files)
    return con.sql(f"SELECT * FROM read_parquet([{listing}], {', '.join(options)})")


def read_current(
    root: str,
    dataset: str,
    con: Optional[duckdb.DuckDBPyConnection] = None,
    verify: bool = False,
) -> duckdb.DuckDBPyRelation:
    """The current version of ``dataset`` under ``root`` as a DuckDB relation.

    ``root``: local folder, ``file://…`` or ``s3://bucket/prefix`` (see the module docstring).
    ``con``: the connection to use (default: a new in-memory one). ``verify``: check each file's
    size and footer row count against pointer.json first. To know which version you read, use
    ``load_pointer`` and ``relation_for`` yourself (as ``main`` below does).
    """
    con = con or duckdb.connect()
    pointer = load_pointer(root, dataset, con)
    if verify:
        verify_files(con, pointer)
    return relation_for(con, pointer)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} ROOT DATASET", file=sys.stderr)
        return 2
    con = duckdb.connect()
    try:
        pointer = load_pointer(argv[1], argv[2], con)
        verify_files(con, pointer)
        rows = relation_for(con, pointer).aggregate("count(*)").fetchall()[0][0]
    except (duckdb.Error, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if rows != pointer["rows"]:
        print(f"error: read {rows} rows, pointer.json says {pointer['rows']}", file=sys.stderr)
        return 1
    print(f"{argv[2]} {pointer['version']} {rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
