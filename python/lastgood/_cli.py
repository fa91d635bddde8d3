"""Finding the ``lastgood`` binary and running it with ``--json``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from typing import Any, Mapping, Optional, Sequence

from .errors import BinaryNotFoundError, from_exit

_EXE = "lastgood.exe" if os.name == "nt" else "lastgood"


def find_binary() -> str:
    """The ``lastgood`` binary to run.

    1. ``LASTGOOD_BIN``, when set (a path);
    2. the one this package's wheel installed: the scripts folder of the interpreter's install
       scheme (a venv's ``bin/``), then the user scheme's (``pip install --user``), then the
       folder of ``sys.executable``;
    3. ``lastgood`` on the PATH.
    """
    override = os.environ.get("LASTGOOD_BIN")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise BinaryNotFoundError(f"LASTGOOD_BIN={override!r} is not an executable file")
    candidates = []
    scripts = sysconfig.get_path("scripts")
    if scripts:
        candidates.append(os.path.join(scripts, _EXE))
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.platform == "darwin" and sys._framework:  # type: ignore[attr-defined]
        user_scheme = "osx_framework_user"
    if user_scheme:
        try:
            candidates.append(os.path.join(sysconfig.get_path("scripts", scheme=user_scheme), _EXE))
        except KeyError:
            pass
    candidates.append(os.path.join(os.path.dirname(sys.executable), _EXE))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    on_path = shutil.which(_EXE)
    if on_path:
        return on_path
    raise BinaryNotFoundError(
        "the lastgood binary was not found (looked in "
        + ", ".join(candidates)
        + " and on the PATH); reinstall the wheel (pip install lastgood) or set LASTGOOD_BIN"
    )


def global_args(
    root: Optional[str] = None,
    config: Optional[str] = None,
    actor: Optional[str] = None,
) -> list:
    out = []
    if root is not None:
        out += ["--root", os.fspath(root)]
    if config is not None:
        out += ["--config", os.fspath(config)]
    if actor is not None:
        out += ["--actor", actor]
    return out


def run(
    args: Sequence[str],
    *,
    root: Optional[str] = None,
    config: Optional[str] = None,
    actor: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
    binary: Optional[str] = None,
    timeout: Optional[float] = None,
    ok_codes: Sequence[int] = (0,),
) -> Any:
    """Runs ``lastgood --json [globals] ARGS…`` and returns its parsed ``--json`` document.

    A non-zero exit raises the exception of its exit code (``lastgood.errors``); warnings on
    stderr (a notification that was not sent) are passed to ``sys.stderr``.
    """
    exe = binary or find_binary()
    argv = [exe, "--json", "--no-progress"] + global_args(root, config, actor) + [str(a) for a in args]
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update(env)
    proc = subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )
    document: Any = None
    out = proc.stdout.strip()
    if out:
        try:
            document = json.loads(out)
        except ValueError:
            document = None
    if proc.returncode not in ok_codes:
        raise from_exit(proc.returncode, argv, proc.stdout, proc.stderr, document)
    for line in proc.stderr.splitlines():
        if "warning:" in line:
            print(line, file=sys.stderr)
    if out and document is None:
        raise from_exit(1, argv, proc.stdout, f"lastgood: unparsable --json output: {out[:200]}", None)
    return document
