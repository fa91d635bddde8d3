"""Airflow 3 DAGs around one lastgood dataset, with the Python API (``pip install lastgood``).

``churn_scores_nightly`` (02:30 UTC): ``score >> publish``.

* ``score`` writes tonight's Parquet files into ``$CHURN_OUT/<ds>/`` (replace it with your job;
  here it runs ``score_command`` when ``CHURN_SCORE_CMD`` is set, else expects the folder).
* ``publish`` calls ``lastgood.publish`` and declares ``outlets=[CHURN_SCORES]``: when the new
  version is promoted the task succeeds and Airflow records an asset event whose ``extra`` says
  which version, history position and report. lastgood's exceptions map to Airflow's outcomes:

  =====================  ==================================================================
  ``GatesFailedError``   exit 3: ``AirflowFailException`` (no retry: the same data fails the
                         same way); the pointer stays on the last good version
  ``RefusedError``       exit 4 (frozen, reverted content): ``AirflowFailException``
  ``BadInputError``      exit 2: ``AirflowFailException``
  ``ConflictError``      exit 5: raised as is, so Airflow retries (publish is idempotent)
  ``UnexpectedError``    exit 1: raised as is (retried)
  =====================  ==================================================================

``churn_report`` is scheduled on the asset: it runs after every promote, and, with lastgood's
Airflow notifier configured (``[datasets.churn_scores.notify.airflow]`` in lastgood.toml, see
the README), after every revert, ``pointer set`` or partition revert made anywhere (an analyst's
laptop at 2 a.m.), because lastgood posts the asset event itself. It reads exactly the version
the pointer names with ``lastgood.read``.

When the notifier is on, a promote by this DAG is announced twice (the task's outlet and
lastgood's REST call; Airflow queues both for ``churn_report``, which runs once for them unless
it started in between). To have exactly one, set ``LASTGOOD_NOTIFY_SKIP=airflow`` in this DAG's
environment (``ENV`` below): lastgood then leaves the announcement of its moves to the outlet.

Settings (the workers' environment): ``LASTGOOD_ROOT`` (``s3://ml-out/lake``), ``CHURN_OUT``
(where scoring writes), ``CHURN_ASSET_URI`` (the asset's URI, default the dataset's location).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, task

try:
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # Airflow 3.0
    from airflow.exceptions import AirflowFailException

import lastgood

DATASET = "churn_scores"
ROOT = os.environ.get("LASTGOOD_ROOT", "s3://ml-out/lake")
CHURN_SCORES = Asset(
    name=DATASET,
    uri=os.environ.get("CHURN_ASSET_URI", f"{ROOT.rstrip('/')}/{DATASET}"),
)
ENV = {"LASTGOOD_ACTOR": "airflow@churn_scores_nightly", "LASTGOOD_NOTIFY_SKIP": "airflow"}


def publish_night(folder: str, run_id: str) -> lastgood.PublishResult:
    """``lastgood.publish`` with lastgood's outcomes mapped to Airflow's."""
    try:
        return lastgood.publish(
            DATASET,
            folder,
            root=ROOT,
            meta={"airflow_run_id": run_id},
            message=f"nightly {os.path.basename(folder.rstrip('/'))}",
            env=ENV,
        )
    except lastgood.GatesFailedError as e:
        failed = ", ".join(f"{g['name']}({g.get('column') or '-'})" for g in e.failed_gates)
        raise AirflowFailException(
            f"gates failed ({failed}): {e.version} not promoted; consumers keep the last good "
            f"version; report: {e.report.get('report_url')}"
        ) from e
    except (lastgood.RefusedError, lastgood.BadInputError) as e:
        raise AirflowFailException(f"lastgood refused (exit {e.exit_code}): {e}") from e
    # ConflictError (exit 5) and UnexpectedError (exit 1) propagate: Airflow retries them.


with DAG(
    dag_id="churn_scores_nightly",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one publish of a dataset at a time
    default_args={"owner": "ml-platform", "retries": 3, "retry_delay": timedelta(minutes=1)},
    tags=["lastgood", "churn"],
) as nightly:

    @task
    def score(ds: str | None = None) -> str:
        out = os.path.join(os.environ.get("CHURN_OUT", "/data/churn/out"), ds or "latest")
        cmd = os.environ.get("CHURN_SCORE_CMD")
        if cmd:
            import subprocess

            subprocess.run([*cmd.split(), out], check=True)
        if not os.path.isdir(out):
            raise AirflowFailException(f"scoring wrote nothing at {out}")
        return out

    @task(outlets=[CHURN_SCORES])
    def publish(folder: str, run_id: str | None = None, outlet_events=None) -> dict:
        out = publish_night(folder, run_id or "manual")
        # The asset event this task's success records says which version went live.
        outlet_events[CHURN_SCORES].extra = {
            "version": out["version"],
            "seq": out["seq"],
            "action": "promote",
            "report": out["report_url"],
        }
        return {"version": out["version"], "seq": out["seq"], "rows": out["rows"]}

    publish(score())


with DAG(
    dag_id="churn_report",
    schedule=[CHURN_SCORES],  # after every promote, revert, set: whoever made it
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    tags=["lastgood", "churn"],
) as report:

    @task
    def summarize(triggering_asset_events=None) -> dict:
        """Read exactly the pointer's version; say which move triggered this run."""
        for event in (triggering_asset_events or {}).get(CHURN_SCORES, []):
            extra = event.extra or {}
            print(f"triggered by {extra.get('action')} to {extra.get('version')} (#{extra.get('seq')})")
        frame = lastgood.read(DATASET, root=ROOT, engine="pandas")
        by_segment = frame.groupby("segment")["score"].mean().round(4).to_dict()
        print(f"{DATASET} {frame.attrs['lastgood.version']}: {len(frame)} rows, {by_segment}")
        return {"version": frame.attrs["lastgood.version"], "rows": len(frame)}

    summarize()
