"""Read the current version of a lastgood dataset with pyarrow.

Copy ``read_current`` (and the two helpers above it) into your job, or run this file:

    python read_pyarrow.py ROOT DATASET        # prints: DATASET VERSION ROWS rows

``ROOT`` is what lastgood calls the root (``--root`` / ``LASTGOOD_ROOT``): a local folder, a
``file://`` URL or ``s3://bucket/prefix``. The dataset lives under ``ROOT/DATASET/``.

How it reads (SPEC.md, "Requirements for Readers"):

1. Read ``ROOT/DATASET/pointer.json`` once. It names one sealed version and lists its files.
2. Read exactly the files listed there, each at ``<dataset prefix>/<path>`` (``path`` is relative to
   the dataset prefix, so a copied or mirrored dataset still reads; the file's ``url`` is the same
   object as the writer saw it). Never list ``versions/``: it holds old, failed and half-written
   versions, and a version's files may live under another version's folder.
3. Check each file's size (one stat / HEAD per file) and row count against the pointer file, so a
   truncated or swapped object fails loudly instead of returning wrong rows.

Versions are immutable, so the table always holds one whole version, even while lastgood publishes
or reverts: a reader that started before a move finishes with the old version, the next read gets
the new one.
``lastgood gc`` deletes old versions, but never the current one, the last-known-good, pinned ones,
the last ``--keep`` (5) versions the pointer held, nor anything younger than ``--grace`` (1 h): the
version a reader started on survives until the pointer has moved past it several times; a job that
holds on to one version for long should ``lastgood pin`` it.

Partitioned datasets: a file entry may carry ``partition`` ({"date": "2026-11-21"}); its values are
added as string columns when the file does not already hold a column of that name.

S3 (not exercised by the tests, which run on a local root): the same code works with
``root="s3://bucket/prefix"``; ``pyarrow.fs.FileSystem.from_uri`` returns a ``pyarrow.fs.S3FileSystem``
that takes credentials and region from the usual AWS environment variables / profile. To pass your
own (an endpoint for MinIO, say), build it yourself and hand it over::

    fs = pyarrow.fs.S3FileSystem(region="eu-west-1", endpoint_override="http://minio:9000")
    table = read_current("ml-out/lake", "churn_scores", filesystem=fs)   # no scheme with an explicit fs

Azure (exercised by tests/consumers/test_recipes_azure.py on Azurite): build pyarrow's Azure
filesystem and pass ``CONTAINER/PREFIX`` as the root::

    fs = pyarrow.fs.AzureFileSystem(account_name="myaccount", account_key=...)   # or credentials
    table = read_current("lake-container/lake", "churn_scores", filesystem=fs)

One-liners, with the lastgood CLI on the PATH (``--format paths`` is for local roots; use
``--format urls`` and a filesystem for object stores)::

    python -c "import sys, pyarrow.parquet as pq; print(pq.read_table(sys.argv[1:]).num_rows)" \\
        $(lastgood --root lake resolve churn_scores --format paths)

``lastgood resolve`` reads the log's head itself; this recipe reads ``pointer.json``, which may lag the
head by a moment after a move (SPEC.md, Writers 5). Both give one whole version.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional, Sequence

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq


def _dataset_location(root: str, dataset: str, filesystem: Optional[pafs.FileSystem]):
    """The filesystem and the path of the dataset prefix (``ROOT/DATASET``) on it."""
    root = root.rstrip("/")
    if filesystem is not None:
        return filesystem, f"{root}/{dataset}"
    if "://" not in root:  # a plain local folder, relative or absolute
        return pafs.LocalFileSystem(), os.path.join(os.path.abspath(root), dataset)
    fs, base = pafs.FileSystem.from_uri(root)  # file://, s3://, gs://, hdfs://
    return fs, f"{base.rstrip('/')}/{dataset}"


def load_pointer(
    root: str, dataset: str, filesystem: Optional[pafs.FileSystem] = None
) -> tuple[dict[str, Any], pafs.FileSystem, str]:
    """Read ``ROOT/DATASET/pointer.json``. Returns (pointer, filesystem, dataset prefix path).

    Raises FileNotFoundError when the dataset has no pointer yet (nothing was ever promoted).
    """
    fs, prefix = _dataset_location(root, dataset, filesystem)
    with fs.open_input_stream(f"{prefix}/pointer.json") as f:
        pointer = json.loads(f.read())
    if pointer.get("format") != "lastgood.pointer" or pointer.get("format_version") != 1:
        raise ValueError(f"{prefix}/pointer.json is not a lastgood pointer file (format 1)")
    if pointer.get("dataset") != dataset:
        raise ValueError(f"{prefix}/pointer.json names dataset {pointer.get('dataset')!r}")
    return pointer, fs, prefix


def read_pointer_files(
    pointer: dict[str, Any],
    fs: pafs.FileSystem,
    prefix: str,
    columns: Optional[Sequence[str]] = None,
    verify: bool = True,
) -> pa.Table:
    """Read exactly the files a pointer lists into one Table (schema metadata names the version)."""
    entries = pointer["files"]
    paths = []
    for entry in entries:
        rel = entry["path"]
        if rel.startswith("/") or not rel.startswith("versions/") or ".." in rel.split("/"):
            raise ValueError(f"unsafe path in pointer.json: {rel!r}")
        paths.append(f"{prefix}/{rel}")

    if verify:  # one stat (local) or HEAD (object store) per file, in a single call
        for entry, info in zip(entries, fs.get_file_info(paths)):
            if info.type != pafs.FileType.File:
                raise FileNotFoundError(f"{info.path}: listed in pointer.json but missing")
            if info.size != entry["size"]:
                raise ValueError(
                    f"{info.path}: {info.size} bytes, pointer.json says {entry['size']}"
                )

    tables = []
    for entry, path in zip(entries, paths):
        table = pq.read_table(path, filesystem=fs, columns=columns)
        if verify and table.num_rows != entry["rows"]:
            raise ValueError(f"{path}: {table.num_rows} rows, pointer.json says {entry['rows']}")
        for key, value in sorted(entry.get("partition", {}).items()):
            if key not in table.column_names and (columns is None or key in columns):
                table = table.append_column(key, pa.repeat(value, table.num_rows))
        tables.append(table)

    if tables:
        # "permissive" unifies files of different versions whose schemas grew additively.
        table = pa.concat_tables(tables, promote_options="permissive")
    else:
        table = pa.table({})
    if verify and table.num_rows != pointer["rows"]:
        raise ValueError(f"read {table.num_rows} rows, pointer.json says {pointer['rows']}")
    metadata = dict(table.schema.metadata or {})
    metadata.update(
        {
            b"lastgood.dataset": pointer["dataset"].encode(),
            b"lastgood.version": pointer["version"].encode(),
            b"lastgood.seq": str(pointer["seq"]).encode(),
        }
    )
    return table.replace_schema_metadata(metadata)


def read_current(
    root: str,
    dataset: str,
    columns: Optional[Sequence[str]] = None,
    filesystem: Optional[pafs.FileSystem] = None,
    verify: bool = True,
) -> pa.Table:
    """The current version of ``dataset`` under ``root`` as one pyarrow Table.

    ``root``: local folder, ``file://…`` or ``s3://bucket/prefix`` (see the module docstring).
    ``columns``: read only these. ``verify``: check sizes and row counts against pointer.json.
    The version read is in the schema metadata: ``table.schema.metadata[b"lastgood.version"]``.
    """
    pointer, fs, prefix = load_pointer(root, dataset, filesystem)
    return read_pointer_files(pointer, fs, prefix, columns=columns, verify=verify)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} ROOT DATASET", file=sys.stderr)
        return 2
    try:
        table = read_current(argv[1], argv[2])
    except (OSError, ValueError) as e:  # missing pointer/file, size or row mismatch
        print(f"error: {e}", file=sys.stderr)
        return 1
    version = table.schema.metadata[b"lastgood.version"].decode()
    print(f"{argv[2]} {version} {table.num_rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
