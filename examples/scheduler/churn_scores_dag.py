"""Airflow DAG: score churn nightly, publish with lastgood, then read through the pointer.

For Airflow 2.7+ (also imports on 3.x). Tasks:

    score  ->  publish  ->  read_current

* ``score`` writes tonight's Parquet files to ``$CHURN_OUT/{{ ds }}/`` (replace the command with your
  scoring job).
* ``publish`` runs ``lastgood publish churn_scores $CHURN_OUT/{{ ds }}/ --json`` with a BashOperator
  subclass that maps lastgood's exit codes to Airflow's outcomes (see examples/scheduler/README.md):

      0  success
      5  conflict, the pointer moved underneath: an ordinary failure, so Airflow retries it
         (``retries``, exponential backoff); publish is idempotent, the retry re-judges the same
         sealed version against the new pointer
      3  gates failed: AirflowFailException (no retry; the pointer stays on the last good version,
         consumers keep reading it; the task goes red so someone looks at the report)
      4  refused by policy (a frozen dataset, a reverted version, an id with other content),
      2  bad input, 1 unexpected: AirflowFailException, no retry

  ``retries`` therefore only ever applies to exit 5. To retry exit 1 (a flaky store) too, add it
  to ``RETRYABLE``.
* ``read_current`` reads ``pointer.json`` and exactly the files it lists (the DuckDB recipe in
  examples/recipes/read_duckdb.py, inlined), and logs which version it read. It follows the
  pointer, not the id just published: if someone reverted meanwhile, it reads what the pointer says.

Configuration comes from the environment of the workers (or set it in ``ENV`` below):
``LASTGOOD_ROOT`` (``s3://ml-out/lake`` …), ``LASTGOOD`` (the binary, default ``lastgood`` on the
PATH) and ``CHURN_OUT`` (where scoring writes, default ``/data/churn/out``).
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException

try:  # Airflow 2.x
    from airflow.decorators import task
    from airflow.operators.bash import BashOperator
except ImportError:  # Airflow 3.x
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import task

DATASET = "churn_scores"

# lastgood exit codes (lastgood --help); only these make Airflow retry.
RETRYABLE = frozenset({5})
MEANING = {
    1: "unexpected failure (store, I/O)",
    2: "bad input (a bad name or file, something not found, a store object that does not verify)",
    3: "gates failed; the pointer did not move, consumers keep the last good version",
    4: "refused by policy (frozen dataset, reverted version, sealed id with other content)",
    5: "conflict: the pointer moved underneath; safe to retry",
}


class LastgoodBashOperator(BashOperator):
    """A BashOperator whose failures are retried only for lastgood's retryable exit codes.

    Any other non-zero exit raises AirflowFailException, which Airflow never retries. The command's
    last stdout line (lastgood's ``--json`` document) is pushed to XCom as usual.
    """

    def __init__(self, *, retryable_exit_codes=RETRYABLE, **kwargs) -> None:
        # 99 is BashOperator's default skip code; lastgood never exits 99, but be explicit.
        kwargs.setdefault("skip_on_exit_code", None)
        super().__init__(**kwargs)
        self.retryable_exit_codes = frozenset(retryable_exit_codes)

    def _exit_code(self, err: Exception) -> int | None:
        proc = getattr(self.subprocess_hook, "sub_process", None)
        if proc is not None and proc.returncode is not None:
            return proc.returncode
        found = re.search(r"exit code (\d+)", str(err))  # "…returned a non-zero exit code 5."
        return int(found.group(1)) if found else None

    def execute(self, context):
        try:
            return super().execute(context)
        except AirflowSkipException:
            raise
        except AirflowException as err:
            code = self._exit_code(err)
            if code in self.retryable_exit_codes:
                self.log.warning("lastgood exited %s (%s): Airflow will retry", code, MEANING.get(code))
                raise
            raise AirflowFailException(
                f"lastgood exited {code}: {MEANING.get(code, 'see the log')}; not retried"
            ) from err


ENV = {
    # "LASTGOOD_ROOT": "s3://ml-out/lake",
    "LASTGOOD_ACTOR": "airflow@{{ dag.dag_id }}",
}

with DAG(
    dag_id="churn_scores_nightly",
    schedule="30 2 * * *",  # 02:30 UTC, after the feature tables land
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one publish at a time; lastgood copes with more, but it makes no sense
    default_args={"owner": "ml-platform", "retries": 0},
    tags=["lastgood", "churn"],
    doc_md=__doc__,
) as dag:
    score = BashOperator(
        task_id="score",
        # Replace with the real scoring job; it must write Parquet files into the folder.
        bash_command='set -euo pipefail; out="${CHURN_OUT:-/data/churn/out}/{{ ds }}"; '
        'rm -rf "$out" && mkdir -p "$out" && python -m churn.score --date {{ ds }} --out "$out"',
        env=ENV,
        append_env=True,
    )

    publish = LastgoodBashOperator(
        task_id="publish",
        bash_command='set -euo pipefail; exec "${LASTGOOD:-lastgood}" publish '
        + DATASET
        + ' "${CHURN_OUT:-/data/churn/out}/{{ ds }}/" --json'
        " --meta model=churn-v1 --meta airflow_run_id={{ run_id }}"
        ' --message "nightly {{ ds }}"',
        env=ENV,
        append_env=True,
        retries=3,  # only exit 5 reaches Airflow's retry logic, see LastgoodBashOperator
        retry_delay=timedelta(minutes=1),
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(minutes=10),
    )

    @task(task_id="read_current")
    def read_current(published: str | None = None) -> dict:
        """Read the dataset through its pointer, as every consumer should."""
        import duckdb  # on the worker

        root = os.environ["LASTGOOD_ROOT"].rstrip("/")
        prefix = f"{root}/{DATASET}"
        con = duckdb.connect()
        if root.startswith("s3://"):
            con.execute("INSTALL httpfs; LOAD httpfs;")
            con.execute("CREATE SECRET (TYPE s3, PROVIDER credential_chain)")
        rows = con.execute("SELECT content FROM read_text(?)", [f"{prefix}/pointer.json"]).fetchall()
        if not rows:
            raise AirflowFailException(f"{prefix}/pointer.json not found")
        pointer = json.loads(rows[0][0])
        files = [f"{prefix}/{f['path']}" for f in pointer["files"]]  # exactly these, never a glob
        n, mean = con.execute(
            "SELECT count(*), avg(score) FROM read_parquet(?)", [files]
        ).fetchall()[0]
        if n != pointer["rows"]:
            raise AirflowFailException(f"read {n} rows, pointer.json says {pointer['rows']}")
        try:  # publish's XCom is its last output line: lastgood's --json document
            published_version = json.loads(published or "null")["version"]
        except (ValueError, TypeError, KeyError):
            published_version = None
        if published_version and published_version != pointer["version"]:
            print(f"note: published {published_version}, but the pointer is at {pointer['version']}")
        print(f"{DATASET} {pointer['version']}: {n} rows, mean score {mean:.4f}")
        return {"version": pointer["version"], "rows": n}

    score >> publish
    read_current(publish.output)
