"""One exception class per documented exit code of the ``lastgood`` binary.

============  ======================  ===========================================================
exit code     exception               meaning
============  ======================  ===========================================================
1             ``UnexpectedError``     unexpected failure (store, I/O); may pass on a retry
2             ``BadInputError``       bad usage or input: a bad name or file, something not
                                      found, a store object that does not verify
3             ``GatesFailedError``    gates failed; the pointer did not move (``.report`` holds
                                      the publish outcome or the gate report)
4             ``RefusedError``        refused by policy: a reverted version, a frozen dataset,
                                      nothing to revert to, a version gc collected
5             ``ConflictError``       the pointer moved underneath; nothing changed; safe to
                                      retry (``.retryable`` is True)
============  ======================  ===========================================================

Every one derives from ``LastgoodError``, which carries ``exit_code``, ``kind`` (the CLI's error
kind: ``usage``, ``input``, ``not_found``, ``corrupt``, ``refused``, ``conflict``, …), ``message``
(the one line the CLI printed), ``args_`` (the command line) and ``document`` (the ``--json``
document printed on stdout, when there was one).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence


class LastgoodError(Exception):
    """A ``lastgood`` command exited non-zero."""

    exit_code: int = 1
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        exit_code: Optional[int] = None,
        kind: Optional[str] = None,
        args_: Sequence[str] = (),
        document: Any = None,
        stderr: str = "",
    ) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
        self.message = message
        self.kind = kind
        self.args_ = list(args_)
        self.document = document
        self.stderr = stderr

    def __str__(self) -> str:
        return self.message


class UnexpectedError(LastgoodError):
    """Exit 1: the store or the filesystem failed (after lastgood's own retries)."""

    exit_code = 1


class BadInputError(LastgoodError, ValueError):
    """Exit 2: bad usage or bad input; nothing was changed."""

    exit_code = 2


class GatesFailedError(LastgoodError):
    """Exit 3: a blocking gate failed; the pointer did not move.

    ``report`` is the whole ``--json`` document: for ``publish`` its outcome (``version``,
    ``baseline``, ``gates``, ``report_url``…), for ``validate`` the gate report.
    """

    exit_code = 3

    @property
    def report(self) -> Dict[str, Any]:
        return self.document if isinstance(self.document, dict) else {}

    @property
    def version(self) -> Optional[str]:
        return self.report.get("version")

    @property
    def failed_gates(self) -> List[Dict[str, Any]]:
        """The gates that blocked: failed or errored with severity ``fail``."""
        return [
            g
            for g in self.report.get("gates", [])
            if not g.get("passed", True) and g.get("severity", "fail") == "fail"
        ]


class RefusedError(LastgoodError):
    """Exit 4: refused by policy (a frozen dataset, a reverted version…); never retry as is."""

    exit_code = 4


class ConflictError(LastgoodError):
    """Exit 5: the pointer moved underneath; nothing was changed; safe to retry."""

    exit_code = 5
    retryable = True


class BinaryNotFoundError(LastgoodError, FileNotFoundError):
    """The ``lastgood`` binary is not where the wheel installs it, nor on the PATH."""

    exit_code = 127


BY_EXIT_CODE = {
    1: UnexpectedError,
    2: BadInputError,
    3: GatesFailedError,
    4: RefusedError,
    5: ConflictError,
}


def from_exit(
    code: int, args_: Sequence[str], stdout: str, stderr: str, document: Any
) -> LastgoodError:
    """The exception for a finished command: the class of its exit code, its one-line message."""
    kind = None
    message = None
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        err = document["error"]
        kind = err.get("kind")
        message = err.get("message")
    if message is None:
        lines = [l for l in stderr.splitlines() if l.startswith("lastgood: ") and "warning:" not in l]
        message = lines[-1][len("lastgood: ") :] if lines else (stderr.strip() or f"exit {code}")
    cls = BY_EXIT_CODE.get(code, LastgoodError)
    return cls(message, exit_code=code, kind=kind, args_=args_, document=document, stderr=stderr)
