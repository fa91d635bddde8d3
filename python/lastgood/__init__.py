"""lastgood: the ``lastgood`` binary on PATH, and a Python API over its ``--json``.

Read exactly the version the pointer names (or any other), in the engine you use::

    import lastgood
    df = lastgood.read("churn_scores", root="s3://ml-out/lake", engine="polars")

Publish, judge and move the pointer from a job, with one exception per exit code::

    try:
        out = lastgood.publish("churn_scores", "out/2026-11-21/", meta={"model": "churn-v1.14"})
    except lastgood.GatesFailedError as e:      # exit 3: the pointer did not move
        alert(e.report["report_url"], e.failed_gates)
    except lastgood.ConflictError:              # exit 5: safe to retry
        raise

The functions run the ``lastgood`` binary this wheel installed (``lastgood.find_binary()``;
``LASTGOOD_BIN`` overrides it) with ``--json`` and return its document, typed.
"""

from __future__ import annotations

from ._api import (
    Gate,
    HistoryEntry,
    MarkResult,
    MoveResult,
    Notification,
    PointerStatus,
    PublishResult,
    Report,
    Resent,
    Resolved,
    ResolvedFile,
    VersionInfo,
    datasets,
    doctor,
    freeze,
    gc,
    history,
    notify,
    pin,
    pointer_set,
    pointer_show,
    publish,
    query,
    report,
    resolve,
    revert,
    rules_show,
    run,
    show,
    unfreeze,
    unpin,
    validate,
    versions,
)
from ._cli import find_binary
from ._read import ENGINES, read, read_table
from .errors import (
    BadInputError,
    BinaryNotFoundError,
    ConflictError,
    GatesFailedError,
    LastgoodError,
    RefusedError,
    UnexpectedError,
)

# `lastgood.set(...)`, as the CLI's `pointer set`; not exported by `import *` (it would shadow
# the builtin).
set = pointer_set  # noqa: A001

try:
    from importlib.metadata import version as _version

    __version__ = _version("lastgood")
except Exception:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ENGINES",
    "BadInputError",
    "BinaryNotFoundError",
    "ConflictError",
    "Gate",
    "GatesFailedError",
    "HistoryEntry",
    "LastgoodError",
    "MarkResult",
    "MoveResult",
    "Notification",
    "PointerStatus",
    "PublishResult",
    "RefusedError",
    "Report",
    "Resent",
    "Resolved",
    "ResolvedFile",
    "UnexpectedError",
    "VersionInfo",
    "datasets",
    "doctor",
    "find_binary",
    "freeze",
    "gc",
    "history",
    "notify",
    "pin",
    "pointer_set",
    "pointer_show",
    "publish",
    "query",
    "read",
    "read_table",
    "report",
    "resolve",
    "revert",
    "rules_show",
    "run",
    "show",
    "unfreeze",
    "unpin",
    "validate",
    "versions",
]
