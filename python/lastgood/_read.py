"""``lastgood.read``: exactly one version of a dataset, in the engine you use.

How it reads:

1. ``lastgood resolve DATASET [--version V | --seq N] --json`` names the version and lists its
   files (from the log's head, with the manifest's checksum verified: never a half-written or
   rejected version), then ``lastgood show DATASET VERSION --json`` gives the manifest's
   partition key types.
2. pyarrow reads exactly those files (never a listing of ``versions/``); each file's row count,
   and the total, are checked against what lastgood recorded, so a truncated or swapped object
   fails loudly instead of returning wrong rows.
3. A partitioned dataset's keys become columns typed as declared: ``date`` → ``date32``,
   ``int`` → ``int64``, ``string`` → ``string``.
4. The table goes to the engine asked for: a pyarrow ``Table`` (the version in its schema
   metadata, ``b"lastgood.version"``), a polars ``DataFrame``, a pandas ``DataFrame`` (the version
   in ``df.attrs["lastgood.version"]``) or a DuckDB relation.

Object stores: ``s3://`` roots use the variables lastgood itself uses (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``, ``AWS_ENDPOINT``, ``AWS_ALLOW_HTTP``); ``gs://`` goes
through pyarrow's own resolution; for anything else pass ``filesystem=`` (a
``pyarrow.fs.FileSystem``), e.g. ``pyarrow.fs.AzureFileSystem``.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import unquote, urlparse

from . import _cli

ENGINES = ("pyarrow", "polars", "pandas", "duckdb")


def _s3_filesystem(env: Dict[str, str]):
    import pyarrow.fs as pafs

    endpoint = env.get("AWS_ENDPOINT") or env.get("AWS_ENDPOINT_URL")
    kwargs: Dict[str, Any] = {}
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        kwargs.update(access_key=env["AWS_ACCESS_KEY_ID"], secret_key=env["AWS_SECRET_ACCESS_KEY"])
        if env.get("AWS_SESSION_TOKEN"):
            kwargs["session_token"] = env["AWS_SESSION_TOKEN"]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        kwargs["region"] = region
    if endpoint:
        parsed = urlparse(endpoint)
        kwargs["endpoint_override"] = parsed.netloc or endpoint
        kwargs["scheme"] = parsed.scheme or "https"
        if parsed.scheme == "http" and env.get("AWS_ALLOW_HTTP", "").lower() not in ("true", "1"):
            raise ValueError(f"AWS_ENDPOINT={endpoint} is http://: set AWS_ALLOW_HTTP=true, as lastgood needs")
    return pafs.S3FileSystem(**kwargs)


def _locate(url: str, filesystem: Any, env: Dict[str, str]) -> Tuple[Any, str]:
    """The filesystem and the path on it for one file URL."""
    import pyarrow.fs as pafs

    parsed = urlparse(url)
    if parsed.scheme == "file":
        return (filesystem or pafs.LocalFileSystem()), unquote(parsed.path)
    path = f"{parsed.netloc}{unquote(parsed.path)}"
    if filesystem is not None:
        return filesystem, path
    if parsed.scheme in ("s3", "s3a"):
        return _s3_filesystem(env), path
    fs, p = pafs.FileSystem.from_uri(url)
    return fs, p


def _partition_array(value: str, key_type: str, n: int):
    import pyarrow as pa

    if key_type == "date":
        return pa.array([_dt.date.fromisoformat(value)] * n, type=pa.date32())
    if key_type == "int":
        return pa.array([int(value)] * n, type=pa.int64())
    return pa.array([value] * n, type=pa.string())


def read_table(
    dataset: str,
    root: Optional[str] = None,
    version: Optional[str] = None,
    seq: Optional[int] = None,
    columns: Optional[Sequence[str]] = None,
    filesystem: Any = None,
    **common: Any,
):
    """The version as one pyarrow Table (see the module doc)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    args = ["resolve", dataset]
    if version is not None:
        args += ["--version", str(version)]
    if seq is not None:
        args += ["--seq", str(seq)]
    resolved = _cli.run(args, root=root, **common)
    files: List[Dict[str, Any]] = resolved["files"]
    key_types: Dict[str, str] = {}
    if any(f.get("partition") for f in files):
        shown = _cli.run(["show", dataset, resolved["version"]], root=root, **common)
        manifest = shown.get("manifest") or {}
        key_types = dict(manifest.get("partition_types") or {})
    env = dict(os.environ)
    env.update(common.get("env") or {})
    tables = []
    for f in files:
        fs, path = _locate(f["url"], filesystem, env)
        part: Dict[str, str] = f.get("partition") or {}
        file_columns = None if columns is None else [c for c in columns if c not in part]
        t = pq.read_table(path, filesystem=fs, columns=file_columns)
        if t.num_rows != f["rows"]:
            raise ValueError(f"{f['url']}: {t.num_rows} rows, lastgood recorded {f['rows']}")
        for key, value in part.items():
            if key not in t.column_names and (columns is None or key in columns):
                t = t.append_column(key, _partition_array(value, key_types.get(key, "string"), t.num_rows))
        tables.append(t)
    if tables:
        # "permissive": files of versions whose schemas grew additively still stack.
        table = pa.concat_tables(tables, promote_options="permissive")
    else:
        table = pa.table({})
    if table.num_rows != resolved["rows"]:
        raise ValueError(f"read {table.num_rows} rows, lastgood recorded {resolved['rows']}")
    metadata = dict(table.schema.metadata or {})
    metadata.update(
        {
            b"lastgood.dataset": resolved["dataset"].encode(),
            b"lastgood.version": resolved["version"].encode(),
        }
    )
    if resolved.get("seq") is not None:
        metadata[b"lastgood.seq"] = str(resolved["seq"]).encode()
    return table.replace_schema_metadata(metadata)


def read(
    dataset: str,
    root: Optional[str] = None,
    version: Union[None, str, int] = None,
    engine: str = "pyarrow",
    columns: Optional[Sequence[str]] = None,
    filesystem: Any = None,
    connection: Any = None,
    **common: Any,
):
    """Exactly the pointer's version of ``dataset`` (or ``version``), as ``engine`` holds data.

    ``root``: the lastgood root (a folder, ``s3://bucket/prefix``…; default: ``LASTGOOD_ROOT`` or
    lastgood.toml). ``version``: any ref the CLI takes (an id, a unique prefix, ``lkg``,
    ``previous``, ``latest``, ``@N``) or an ``int`` history position (where the pointer was after
    entry N). ``engine``: ``"pyarrow"`` (a ``pyarrow.Table``), ``"polars"``, ``"pandas"`` (a
    ``DataFrame``) or ``"duckdb"`` (a relation on ``connection``, default DuckDB's default
    connection). ``columns``: read only these.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r}: one of {', '.join(ENGINES)}")
    seq = version if isinstance(version, int) and not isinstance(version, bool) else None
    ref = None if seq is not None or version is None else str(version)
    table = read_table(dataset, root=root, version=ref, seq=seq, columns=columns, filesystem=filesystem, **common)
    if engine == "pyarrow":
        return table
    if engine == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if engine == "pandas":
        frame = table.to_pandas()
        frame.attrs["lastgood.dataset"] = dataset
        frame.attrs["lastgood.version"] = table.schema.metadata[b"lastgood.version"].decode()
        return frame
    import duckdb

    con = connection if connection is not None else duckdb.default_connection()
    return con.from_arrow(table)
