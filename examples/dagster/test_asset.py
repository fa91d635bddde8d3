"""The Dagster example, materialized for real (``dg.materialize``) with the lastgood wheel.

A good night: the asset materializes and each gate of the rules is one passed check. A drifted
night: the run fails, the ks check failed and the others passed, the pointer stays.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    import lastgood

    home = tmp_path_factory.mktemp("dagster")
    os.environ["LASTGOOD_ROOT"] = str(home / "lake")
    os.environ["CHURN_OUT"] = str(home / "out")
    os.environ["DAGSTER_HOME"] = str(home)
    lastgood.run("demo-data", str(home / "demo"), "--rows", "2000")
    return home


def load():
    spec = importlib.util.spec_from_file_location("churn_scores_asset", HERE / "churn_scores_asset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def night(home: Path, name: str) -> None:
    latest = home / "out" / "latest"
    shutil.rmtree(latest, ignore_errors=True)
    shutil.copytree(home / "demo" / name, latest)


def test_one_check_result_per_gate(setup):
    import dagster as dg
    import lastgood

    night(setup, "mon")
    m = load()
    first = dg.materialize([m.churn_scores])
    assert first.success
    checks = {c.check_name: c.passed for c in first.get_asset_check_evaluations()}
    assert checks == {g: True for g in m.gate_names()}
    assert set(checks) == {"schema", "null_rate", "ks", "row_count"}

    night(setup, "wed-drift")
    m = load()  # the rules are on the store now: the check specs come from them
    before = lastgood.pointer_show("churn_scores")["version"]
    second = dg.materialize([m.churn_scores], raise_on_error=False)
    assert not second.success
    checks = {c.check_name: c.passed for c in second.get_asset_check_evaluations()}
    assert checks == {"schema": True, "null_rate": True, "ks": False, "row_count": True}
    assert lastgood.pointer_show("churn_scores")["version"] == before
