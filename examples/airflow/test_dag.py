"""The example DAGs' tasks, run for real with ``dag.test()`` on a sqlite metadata database.

Run by tests/python/run.sh in a venv with the pinned apache-airflow 3 and the lastgood wheel:
a good night is published (the task succeeds and records an asset event whose extra names the
version), a drifted night fails its gates (the task fails, no event, the pointer stays), and the
asset-scheduled report reads exactly the pointer's version.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pendulum
import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow")
    lake = home / "lake"
    out = home / "out"
    settings = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(HERE),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "LASTGOOD_ROOT": str(lake),
        "CHURN_OUT": str(out),
        "CHURN_ASSET_URI": f"file://{lake}/churn_scores",
    }
    os.environ.update(settings)
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
        env={**os.environ},
    )
    import lastgood

    demo = home / "demo"
    lastgood.run("demo-data", str(demo), "--rows", "2000")
    (out).mkdir()
    os.rename(demo / "mon", out / "2026-11-20")
    os.rename(demo / "wed-drift", out / "2026-11-21")
    return settings


@pytest.fixture(scope="module")
def dags(env):
    spec = importlib.util.spec_from_file_location("churn_scores_assets", HERE / "churn_scores_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def states(dag_run):
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def test_a_good_night_is_published_and_its_asset_event_names_the_version(env, dags):
    import lastgood
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    run = dags.nightly.test(logical_date=pendulum.datetime(2026, 11, 20, 2, 30, tz="UTC"))
    assert states(run) == {"score": "success", "publish": "success"}, states(run)
    pointer = lastgood.pointer_show("churn_scores", root=env["LASTGOOD_ROOT"])
    assert pointer["seq"] == 1 and pointer["actor"] == "airflow@churn_scores_nightly"
    with create_session() as session:
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.uri == env["CHURN_ASSET_URI"])
            .all()
        )
        assert len(events) == 1
        assert events[0].extra["version"] == pointer["version"]
        assert events[0].extra["seq"] == 1
        assert events[0].extra["report"].endswith("-publish.json")


def test_a_drifted_night_fails_its_gates_and_moves_nothing(env, dags):
    import lastgood
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    before = lastgood.pointer_show("churn_scores", root=env["LASTGOOD_ROOT"])
    run = dags.nightly.test(logical_date=pendulum.datetime(2026, 11, 21, 2, 30, tz="UTC"))
    assert states(run)["publish"] == "failed", states(run)
    assert lastgood.pointer_show("churn_scores", root=env["LASTGOOD_ROOT"])["version"] == before["version"]
    rejected = lastgood.versions("churn_scores", root=env["LASTGOOD_ROOT"], status="rejected")
    assert len(rejected) == 1 and rejected[0]["failed_gates"] == ["ks(score)"]
    with create_session() as session:
        assert session.query(AssetEvent).count() == 1, "a failed publish records no asset event"


def test_the_asset_scheduled_report_reads_the_pointer_version(env, dags):
    import lastgood

    run = dags.report.test()
    assert states(run) == {"summarize": "success"}, states(run)
    pointer = lastgood.pointer_show("churn_scores", root=env["LASTGOOD_ROOT"])
    table = lastgood.read("churn_scores", root=env["LASTGOOD_ROOT"])
    assert table.schema.metadata[b"lastgood.version"].decode() == pointer["version"]
    assert table.num_rows == 2000
