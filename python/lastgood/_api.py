"""Thin, typed wrappers over the CLI's ``--json``: one function per command.

Each returns the command's ``--json`` document as the CLI prints it (the shapes are in the
README, "``--json`` shapes"), typed with a ``TypedDict``; each raises the exception of the exit
code (``lastgood.errors``). Every function takes the global options as keywords: ``root``
(``--root``), ``config`` (``--config``), ``actor`` (``--actor``), ``env`` (extra environment
variables), ``cwd``, ``binary`` (the ``lastgood`` binary to run) and ``timeout`` (seconds).
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - older interpreters
    from typing_extensions import NotRequired, TypedDict  # type: ignore

from . import _cli


class Notification(TypedDict):
    """One notification sent after a move or publish (``notifications`` in a result)."""

    target: str  # "airflow" | "openlineage"
    event: str  # "asset_event" | "START" | "COMPLETE" | "FAIL" | "ABORT"
    to: str
    ok: bool
    seq: NotRequired[int]
    run_id: NotRequired[str]
    error: NotRequired[str]


class Gate(TypedDict):
    name: str
    kind: str
    column: Optional[str]
    severity: str  # "fail" | "warn"
    outcome: str  # "pass" | "fail" | "skipped" | "error"
    passed: bool
    observed: Any
    threshold: Any
    message: str


class PublishResult(TypedDict):
    dataset: str
    version: str
    created: bool
    promoted: bool
    moved: bool
    seq: Optional[int]
    parent: Optional[str]
    files: int
    rows: int
    bytes: int
    content_hash: str
    manifest: str
    baseline: Optional[str]
    passed: bool
    gates: List[Gate]
    report: Optional[str]
    report_url: Optional[str]
    carried_files: int
    partitions: NotRequired[List[str]]
    frozen: NotRequired[str]
    notifications: NotRequired[List[Notification]]


class Report(TypedDict):
    format: str
    dataset: str
    version: str
    baseline: Optional[str]
    passed: bool
    purpose: str
    at: str
    actor: str
    gates: List[Gate]
    report_url: NotRequired[str]
    report_path: NotRequired[str]


class MoveResult(TypedDict):
    dataset: str
    action: str  # "set" | "revert"
    to: str
    moved: bool
    seq: int
    forced: bool
    partitions: NotRequired[List[Dict[str, Any]]]
    created: NotRequired[bool]
    notifications: NotRequired[List[Notification]]


MoveResult.__annotations__["from"] = Optional[str]


class PointerStatus(TypedDict):
    dataset: str
    version: Optional[str]
    seq: int
    action: Optional[str]
    actor: Optional[str]
    at: Optional[str]
    reason: Optional[str]
    last_known_good: Optional[str]
    reverted: List[str]
    pinned: List[str]
    frozen: Optional[Dict[str, Any]]
    rows: Optional[int]
    files: Optional[int]


class HistoryEntry(TypedDict):
    seq: int
    action: str
    to: Optional[str]
    actor: str
    at: str
    reason: Optional[str]
    forced: bool
    verdict: NotRequired[Dict[str, Any]]
    detail: NotRequired[Any]
    state: Dict[str, Any]


HistoryEntry.__annotations__["from"] = Optional[str]


class VersionInfo(TypedDict):
    version: str
    sealed: bool
    created_at: Optional[str]
    rows: Optional[int]
    files: Optional[int]
    bytes: Optional[int]
    parent: Optional[str]
    status: List[str]
    message: Optional[str]
    meta: Dict[str, str]
    failed_gates: NotRequired[List[str]]
    partitions: NotRequired[List[Dict[str, Any]]]


class ResolvedFile(TypedDict):
    path: str
    url: str
    size: int
    rows: int
    partition: NotRequired[Dict[str, str]]


class Resolved(TypedDict):
    dataset: str
    version: str
    seq: Optional[int]
    rows: int
    files: List[ResolvedFile]


class MarkResult(TypedDict):
    dataset: str
    action: str
    changed: bool
    seq: int
    current: Optional[str]
    version: Optional[str]
    state: Dict[str, Any]


class Resent(TypedDict):
    dataset: str
    seq: Optional[int]
    version: Optional[str]
    notifications: List[Notification]


PathLike = Union[str, "os.PathLike[str]"]  # noqa: F821


def _pairs(flag: str, values: Union[None, Mapping[str, Any], Sequence[str]]) -> list:
    """``{"model": "v1"}`` or ``["model=v1"]`` as repeated ``--flag k=v``."""
    out: list = []
    if not values:
        return out
    items = [f"{k}={v}" for k, v in values.items()] if isinstance(values, Mapping) else list(values)
    for item in items:
        out += [flag, item]
    return out


def _selectors(values: Union[None, Mapping[str, Any], Sequence[str]]) -> list:
    """Partition selectors: a mapping is one partition (``{"date": "2026-11-21", "shard": 3}`` is
    ``date=2026-11-21/shard=3``); a sequence lists several (``["date=2026-11-21", …]``)."""
    if not values:
        return []
    if isinstance(values, Mapping):
        values = ["/".join(f"{k}={v}" for k, v in values.items())]
    out: list = []
    for v in values:
        out += ["--partition", str(v)]
    return out


def _opt(flag: str, value: Any) -> list:
    return [] if value is None else [flag, str(value)]


def _flag(flag: str, on: bool) -> list:
    return [flag] if on else []


def run(*args: Any, **common: Any) -> Any:
    """Any command: ``run("pointer", "show", "churn_scores", root="lake")`` returns its ``--json``."""
    return _cli.run([str(a) for a in args], **common)


def publish(
    dataset: str,
    *sources: PathLike,
    meta: Union[None, Mapping[str, Any], Sequence[str]] = None,
    message: Optional[str] = None,
    version: Optional[str] = None,
    partition: Union[None, Mapping[str, Any], Sequence[str]] = None,
    full: bool = False,
    no_promote: bool = False,
    force: bool = False,
    reason: Optional[str] = None,
    validations: Optional[PathLike] = None,
    contract: Optional[PathLike] = None,
    charts: bool = False,
    **common: Any,
) -> PublishResult:
    """``lastgood publish``: seal the files as a new version, gate it, promote it if it passes.

    Raises ``GatesFailedError`` (its ``report`` is this outcome) when a gate failed,
    ``RefusedError`` when policy refused the promotion (frozen, reverted content).
    """
    if not sources:
        raise TypeError("publish() needs at least one source file or folder")
    args = ["publish", dataset, *[str(s) for s in sources]]
    args += _pairs("--meta", meta) + _pairs("--partition", partition)
    args += _opt("--message", message) + _opt("--version", version) + _opt("--reason", reason)
    args += _opt("--validations", validations) + _opt("--contract", contract)
    args += _flag("--full", full) + _flag("--no-promote", no_promote) + _flag("--force", force)
    args += _flag("--charts", charts)
    return _cli.run(args, **common)


def validate(
    dataset: str,
    version: str,
    against: Optional[str] = None,
    partition: Union[None, Mapping[str, Any], Sequence[str]] = None,
    validations: Optional[PathLike] = None,
    contract: Optional[PathLike] = None,
    charts: bool = False,
    **common: Any,
) -> Report:
    """``lastgood validate``: run the gates on a sealed version (a ref: id, prefix, ``latest``…);
    moves nothing. Raises ``GatesFailedError`` (with the report) when a gate failed."""
    args = ["validate", dataset, version] + _opt("--against", against) + _selectors(partition)
    args += _opt("--validations", validations) + _opt("--contract", contract) + _flag("--charts", charts)
    return _cli.run(args, **common)


def report(dataset: str, version: str, name: Optional[str] = None, **common: Any) -> Report:
    """``lastgood report``: a version's stored gate report (the newest, or ``name``)."""
    return _cli.run(["report", dataset, version] + _opt("--name", name), **common)


def pointer_show(dataset: str, **common: Any) -> PointerStatus:
    """``lastgood pointer show``: where the pointer is, since when, by whom, why."""
    return _cli.run(["pointer", "show", dataset], **common)


def history(dataset: str, limit: Optional[int] = None, **common: Any) -> List[HistoryEntry]:
    """``lastgood pointer history``: the log entries, newest first."""
    return _cli.run(["pointer", "history", dataset] + _opt("--limit", limit), **common)


def pointer_set(
    dataset: str, version: str, reason: str, force: bool = False, **common: Any
) -> MoveResult:
    """``lastgood pointer set``: move the pointer to a sealed version (also ``lastgood.set``)."""
    args = ["pointer", "set", dataset, version, "--reason", reason] + _flag("--force", force)
    return _cli.run(args, **common)


def revert(
    dataset: str,
    reason: str,
    to: Optional[str] = None,
    partition: Union[None, Mapping[str, Any], Sequence[str]] = None,
    force: bool = False,
    **common: Any,
) -> MoveResult:
    """``lastgood pointer revert``: back to the last-known-good version (or ``to``); with
    ``partition``, only those partitions. Raises ``RefusedError`` when there is nothing to revert to."""
    args = ["pointer", "revert", dataset, "--reason", reason] + _opt("--to", to)
    args += _selectors(partition) + _flag("--force", force)
    return _cli.run(args, **common)


def versions(
    dataset: str,
    status: Union[None, str, Sequence[str]] = None,
    meta: Union[None, Mapping[str, Any], Sequence[str]] = None,
    limit: Optional[int] = None,
    **common: Any,
) -> List[VersionInfo]:
    """``lastgood versions``: every version with its status (or only those with ``status``/``meta``)."""
    statuses = [status] if isinstance(status, str) else list(status or [])
    args = ["versions", dataset]
    for s in statuses:
        args += ["--status", s]
    args += _pairs("--meta", meta) + _opt("--limit", limit)
    return _cli.run(args, **common)


def show(dataset: str, version: str = "current", **common: Any) -> Dict[str, Any]:
    """``lastgood show``: one version's story, manifest and partitions."""
    return _cli.run(["show", dataset, version], **common)


def resolve(
    dataset: str,
    version: Optional[str] = None,
    seq: Optional[int] = None,
    partition: Union[None, Mapping[str, Any], Sequence[str]] = None,
    **common: Any,
) -> Resolved:
    """``lastgood resolve``: the files of the current version (or ``version``, or history ``seq``)."""
    args = ["resolve", dataset] + _opt("--version", version) + _opt("--seq", seq)
    return _cli.run(args + _selectors(partition), **common)


def datasets(**common: Any) -> List[Dict[str, Any]]:
    """``lastgood datasets``: every dataset under the root."""
    return _cli.run(["datasets"], **common)


def query(
    dataset: str, sql: str, version: Optional[str] = None, limit: Optional[int] = None, **common: Any
) -> List[Dict[str, Any]]:
    """``lastgood query``: DataFusion SQL over the current version, rows as dicts."""
    args = ["query", dataset, sql] + _opt("--version", version) + _opt("--limit", limit)
    return _cli.run(args, **common)


def freeze(dataset: str, reason: str, **common: Any) -> MarkResult:
    """``lastgood freeze``: stop promotions (publishes exit 4) until ``unfreeze``."""
    return _cli.run(["freeze", dataset, "--reason", reason], **common)


def unfreeze(dataset: str, reason: Optional[str] = None, **common: Any) -> MarkResult:
    return _cli.run(["unfreeze", dataset] + _opt("--reason", reason), **common)


def pin(dataset: str, version: str, reason: Optional[str] = None, **common: Any) -> MarkResult:
    """``lastgood pin``: protect a version from gc."""
    return _cli.run(["pin", dataset, version] + _opt("--reason", reason), **common)


def unpin(dataset: str, version: str, reason: Optional[str] = None, **common: Any) -> MarkResult:
    return _cli.run(["unpin", dataset, version] + _opt("--reason", reason), **common)


def gc(
    dataset: str,
    keep: Optional[int] = None,
    older_than: Optional[str] = None,
    grace: Optional[str] = None,
    include_reverted: bool = False,
    dry_run: bool = False,
    **common: Any,
) -> Dict[str, Any]:
    """``lastgood gc``: delete old versions under its safety rules (``dry_run`` first)."""
    args = ["gc", dataset] + _opt("--keep", keep) + _opt("--older-than", older_than)
    args += _opt("--grace", grace) + _flag("--include-reverted", include_reverted) + _flag("--dry-run", dry_run)
    return _cli.run(args, **common)


def doctor(dataset: str, repair: bool = False, **common: Any) -> Dict[str, Any]:
    """``lastgood doctor``: verify everything; a finding raises ``BadInputError`` (exit 2) whose
    ``document`` is the full report."""
    return _cli.run(["doctor", dataset] + _flag("--repair", repair), **common)


def rules_show(dataset: str, **common: Any) -> Dict[str, Any]:
    """``lastgood rules show``: the rules every writer applies (gates, partitioning, notify…)."""
    return _cli.run(["rules", "show", dataset], **common)


def notify(
    dataset: str, seq: Optional[int] = None, version: Optional[str] = None, **common: Any
) -> Resent:
    """``lastgood notify``: send again what history entry ``seq`` announced (or the OpenLineage
    run of ``version``). A notification that fails raises ``UnexpectedError`` (exit 1) whose
    ``document`` lists every one."""
    if (seq is None) == (version is None):
        raise TypeError("notify() takes exactly one of seq or version")
    args = ["notify", dataset] + ([str(seq)] if seq is not None else ["--version", str(version)])
    return _cli.run(args, **common)
