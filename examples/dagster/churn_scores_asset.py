"""A Dagster asset that publishes a night with lastgood, and one asset check result per gate.

``churn_scores`` publishes tonight's folder with ``lastgood.publish``; every gate the dataset's
rules declare is a Dagster asset check (``AssetCheckSpec``), and each publish reports one
``AssetCheckResult`` per gate: passed when every column that gate judged passed, with the
observed values, thresholds and the report's location as metadata. A ``warn`` gate is a
``WARN`` check, a ``fail`` gate an ``ERROR`` one. When a blocking gate fails the pointer did not
move, so the materialization fails after its check results are recorded (Dagster shows which
gates); consumers keep reading the last good version.

The check names come from the rules recorded on the store (``lastgood rules show``), or the
default gates for a dataset never published. Settings: ``LASTGOOD_ROOT`` and ``CHURN_OUT``.
"""

import os
from collections import OrderedDict
from typing import Any, Dict, Iterator, List

import dagster as dg

import lastgood

DATASET = "churn_scores"
ROOT = os.environ.get("LASTGOOD_ROOT", "s3://ml-out/lake")
DEFAULT_GATES = ["schema", "null_rate", "ks", "row_count"]


def gate_names() -> List[str]:
    """The dataset's gates, as its rules on the store declare them (the contract is one too)."""
    try:
        shown = lastgood.rules_show(DATASET, root=ROOT)
    except lastgood.BadInputError:  # never published: the defaults apply
        return DEFAULT_GATES
    rules = shown.get("rules") or {}
    names = [g["name"] for g in rules.get("gates", [])]
    return (["contract"] if rules.get("contract") else []) + names


def check_results(out: Dict[str, Any]) -> Iterator[dg.AssetCheckResult]:
    by_gate: "OrderedDict[str, List[Dict[str, Any]]]" = OrderedDict()
    for g in out.get("gates", []):
        by_gate.setdefault(g["name"], []).append(g)
    for name in gate_names():
        results = by_gate.get(name, [])
        warn = bool(results) and all(r.get("severity") == "warn" for r in results)
        yield dg.AssetCheckResult(
            check_name=name,
            asset_key=dg.AssetKey(DATASET),
            passed=all(r["passed"] for r in results),
            severity=dg.AssetCheckSeverity.WARN if warn else dg.AssetCheckSeverity.ERROR,
            metadata={
                "version": out.get("version"),
                "report": out.get("report_url") or "",
                "results": [
                    {
                        "column": r.get("column"),
                        "outcome": r["outcome"],
                        "observed": r.get("observed"),
                        "threshold": r.get("threshold"),
                        "message": r.get("message"),
                    }
                    for r in results
                ],
            },
        )


@dg.asset(
    name=DATASET,
    check_specs=[dg.AssetCheckSpec(name=n, asset=DATASET) for n in gate_names()],
)
def churn_scores(context: dg.AssetExecutionContext) -> Iterator[Any]:
    folder = os.path.join(os.environ.get("CHURN_OUT", "/data/churn/out"), "latest")
    try:
        out = lastgood.publish(DATASET, folder, root=ROOT, meta={"dagster_run_id": context.run.run_id})
    except lastgood.GatesFailedError as e:
        yield from check_results(e.report)
        raise dg.Failure(
            description=f"gates failed for {e.version}: the pointer stays; report {e.report.get('report_url')}"
        ) from e
    yield from check_results(out)
    yield dg.MaterializeResult(
        metadata={"version": out["version"], "seq": out["seq"], "rows": out["rows"], "report": out["report_url"]}
    )


defs = dg.Definitions(assets=[churn_scores])
