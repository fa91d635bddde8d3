"""Read the current version of a lastgood dataset with polars.

Copy ``read_current`` into your job, or run this file:

    python read_polars.py ROOT DATASET        # prints: DATASET VERSION ROWS rows

``ROOT`` is what lastgood calls the root (``--root`` / ``LASTGOOD_ROOT``): a local folder, a
``file://`` URL or ``s3://bucket/prefix`` (credentials from the usual AWS variables, or pass
``storage_options`` as polars takes them).

How it reads (SPEC.md, "Requirements for Readers"), as the pyarrow and DuckDB recipes do:

1. Read ``ROOT/DATASET/pointer.json`` once: it names one sealed version and lists its files.
2. Read exactly those files (never list ``versions/``: it holds failed and half-written versions),
   each at ``<dataset prefix>/<path>``; add a file's partition values (``{"date": "2026-11-21"}``)
   as string columns when the file does not hold a column of that name.
3. Check each file's row count, and the total, against the pointer file: a truncated or swapped
   object fails loudly instead of returning wrong rows.

The version read is returned beside the frame (polars frames carry no metadata).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional, Sequence
from urllib.parse import urlparse

import polars as pl


def _prefix(root: str, dataset: str) -> str:
    """``ROOT/DATASET`` as polars reads it: a local path or an object store URL."""
    root = root.rstrip("/")
    if root.startswith("file://"):
        root = urlparse(root).path
    if "://" not in root:
        return os.path.join(os.path.abspath(root), dataset)
    return f"{root}/{dataset}"


def _read_text(path: str, storage_options: Optional[dict]) -> str:
    if "://" not in path:
        with open(path, encoding="utf-8") as f:
            return f.read()
    # Object stores: polars has no plain file reader; fsspec comes with the usual cloud extras.
    import fsspec  # noqa: PLC0415

    with fsspec.open(path, "r", **(storage_options or {})) as f:
        return f.read()


def read_current(
    root: str,
    dataset: str,
    columns: Optional[Sequence[str]] = None,
    storage_options: Optional[dict] = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The current version of ``dataset`` under ``root``: (frame, pointer).

    ``pointer["version"]`` names the version read; ``columns`` reads only those.
    """
    prefix = _prefix(root, dataset)
    pointer = json.loads(_read_text(f"{prefix}/pointer.json", storage_options))
    if pointer.get("format") != "lastgood.pointer" or pointer.get("format_version") != 1:
        raise ValueError(f"{prefix}/pointer.json is not a lastgood pointer file (format 1)")
    if pointer.get("dataset") != dataset:
        raise ValueError(f"{prefix}/pointer.json names dataset {pointer.get('dataset')!r}")
    frames = []
    for entry in pointer["files"]:
        rel = entry["path"]
        if rel.startswith("/") or not rel.startswith("versions/") or ".." in rel.split("/"):
            raise ValueError(f"unsafe path in pointer.json: {rel!r}")
        path = f"{prefix}/{rel}"
        part = entry.get("partition", {})
        file_columns = None if columns is None else [c for c in columns if c not in part]
        df = pl.read_parquet(path, columns=file_columns, storage_options=storage_options)
        if df.height != entry["rows"]:
            raise ValueError(f"{path}: {df.height} rows, pointer.json says {entry['rows']}")
        for key, value in sorted(part.items()):
            if key not in df.columns and (columns is None or key in columns):
                df = df.with_columns(pl.lit(value, dtype=pl.String).alias(key))
        frames.append(df)
    # "diagonal_relaxed": files of versions whose schemas grew additively still stack.
    frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    if frame.height != pointer["rows"]:
        raise ValueError(f"read {frame.height} rows, pointer.json says {pointer['rows']}")
    return frame, pointer


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} ROOT DATASET", file=sys.stderr)
        return 2
    try:
        frame, pointer = read_current(argv[1], argv[2])
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{argv[2]} {pointer['version']} {frame.height} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
