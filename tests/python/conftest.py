"""Fixtures for the Python API's tests, run by tests/python/run.sh against the installed wheel.

Roots: every test taking ``root`` runs on a local folder and on S3 (the SeaweedFS tests/run.sh
starts, named by ``LASTGOOD_TEST_S3``). In CI a missing S3 server fails the S3 cases; they are
never skipped there.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

import lastgood

ROWS = 2000


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo nights (mon, tue good; wed-drift fails ks; thu-nulls fails null_rate), written by
    the installed binary."""
    d = tmp_path_factory.mktemp("demo")
    lastgood.run("demo-data", str(d), "--rows", str(ROWS))
    return d


@pytest.fixture(params=["local", "s3"])
def root(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "lake")
    s3 = os.environ.get("LASTGOOD_TEST_S3")
    if not s3:
        if os.environ.get("CI"):
            pytest.fail("LASTGOOD_TEST_S3 is not set: the S3 cases need the SeaweedFS tests/run.sh starts")
        pytest.skip("no S3 server (bash tests/s3/seaweedfs.sh start DIR; source DIR/env)")
    return f"{s3.rstrip('/')}/py-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty current folder (no lastgood.toml: the default gates apply)."""
    d = tmp_path / "cwd"
    d.mkdir()
    monkeypatch.chdir(d)
    return d
