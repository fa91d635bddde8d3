//! The row_count gate: the candidate's rows over the baseline's within [min_ratio, max_ratio].

use serde_json::json;

use crate::gates::GateSpec;
use crate::gates::config::RowCount;
use crate::gates::report::{GateResult, Outcome};
use crate::gates::run::{Probe, Side};

pub(crate) fn check(spec: &GateSpec, g: &RowCount, probe: &Probe<'_>) -> Vec<GateResult> {
    let rows = probe.rows(Side::Candidate).unwrap_or(0);
    let r = GateResult::new(&spec.name, "row_count", None, spec.severity)
        .threshold(json!({"min_ratio": g.min_ratio, "max_ratio": g.max_ratio, "allow_empty": g.allow_empty}))
        .detail("rows", rows)
        .detail("count_source", "manifest");
    if rows == 0 && !g.allow_empty {
        return vec![
            r.observed(0)
                .outcome(Outcome::Fail, "zero rows (set allow_empty = true to allow)"),
        ];
    }
    let Some(base) = probe.rows(Side::Baseline) else {
        return vec![r.outcome(
            Outcome::Skipped,
            format!("{rows} rows; no baseline to compare with"),
        )];
    };
    let r = r.detail("baseline_rows", base);
    if base == 0 {
        return vec![r.outcome(
            Outcome::Skipped,
            format!("{rows} rows; the baseline has none"),
        )];
    }
    let ratio = rows as f64 / base as f64;
    let r = r.observed(ratio);
    let msg = format!("{rows} rows, {ratio:.3}x the baseline's {base}");
    if rows == 0 && g.allow_empty {
        return vec![r.outcome(Outcome::Pass, format!("{msg} (empty allowed)"))];
    }
    vec![if ratio < g.min_ratio || ratio > g.max_ratio {
        r.outcome(
            Outcome::Fail,
            format!("{msg}: outside [{}, {}]", g.min_ratio, g.max_ratio),
        )
    } else {
        r.outcome(Outcome::Pass, msg)
    }]
}
