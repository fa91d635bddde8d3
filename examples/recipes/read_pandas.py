"""Read the current version of a lastgood dataset with pandas.

Copy ``read_current`` into your job, or run this file:

    python read_pandas.py ROOT DATASET        # prints: DATASET VERSION ROWS rows

``ROOT`` is what lastgood calls the root (``--root`` / ``LASTGOOD_ROOT``): a local folder, a
``file://`` URL or ``s3://bucket/prefix``. pandas reads Parquet through pyarrow, so this recipe
reuses the pyarrow one (``read_pyarrow.py``, beside this file) for the pointer and the checks, and
converts once at the end: the frame holds exactly the files ``pointer.json`` lists, sizes and row
counts checked, partition values added as columns.

The version read is in ``frame.attrs["lastgood.version"]``.
"""

from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import read_pyarrow  # noqa: E402


def read_current(
    root: str,
    dataset: str,
    columns: Optional[Sequence[str]] = None,
    verify: bool = True,
) -> pd.DataFrame:
    """The current version of ``dataset`` under ``root`` as one pandas DataFrame."""
    pointer, fs, prefix = read_pyarrow.load_pointer(root, dataset)
    table = read_pyarrow.read_pointer_files(pointer, fs, prefix, columns=columns, verify=verify)
    frame = table.to_pandas()
    frame.attrs["lastgood.dataset"] = pointer["dataset"]
    frame.attrs["lastgood.version"] = pointer["version"]
    frame.attrs["lastgood.seq"] = pointer["seq"]
    return frame


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} ROOT DATASET", file=sys.stderr)
        return 2
    try:
        frame = read_current(argv[1], argv[2])
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{argv[2]} {frame.attrs['lastgood.version']} {len(frame)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
