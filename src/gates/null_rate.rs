//! The null_rate gate: nulls / rows per column, from Arrow validity; NaN counted apart.

use serde_json::json;

use crate::gates::GateSpec;
use crate::gates::config::NullRate;
use crate::gates::report::{GateResult, Outcome};
use crate::gates::run::{Probe, Side, error_result, is_float};

pub(crate) async fn check(spec: &GateSpec, g: &NullRate, probe: &Probe<'_>) -> Vec<GateResult> {
    let cand_schema = probe.schema(Side::Candidate);
    let columns: Vec<String> = match &g.columns {
        Some(c) => c.clone(),
        None => cand_schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
    };
    let mut out = Vec::new();
    let known: Vec<String> = columns
        .iter()
        .filter(|c| cand_schema.field_with_name(c).is_ok())
        .cloned()
        .collect();
    for c in columns.iter().filter(|c| !known.contains(c)) {
        out.push(error_result(
            spec,
            Some(c),
            format!("no column {c:?} in the candidate"),
        ));
    }
    let cand = match probe.counts(Side::Candidate, &known, true).await {
        Ok(c) => c,
        Err(e) => return vec![error_result(spec, None, e)],
    };
    let base = match probe.counts(Side::Baseline, &known, true).await {
        Ok(c) => c,
        Err(e) => return vec![error_result(spec, None, e)],
    };
    let threshold = json!({
        "max_rate": g.max_rate, "max_increase_pp": g.max_increase_pp,
        "max_nan_rate": g.max_nan_rate, "max_nan_increase_pp": g.max_nan_increase_pp,
    });
    for c in &known {
        let cn = cand[c];
        let bn = base.get(c);
        let rate = |nulls: u64, rows: u64| {
            if rows == 0 {
                0.0
            } else {
                nulls as f64 / rows as f64
            }
        };
        let cr = rate(cn.nulls, cn.rows);
        let br = bn.map(|b| rate(b.nulls, b.rows));
        let mut problems = Vec::new();
        if let Some(max) = g.max_rate
            && cr > max
        {
            problems.push(format!("null rate {} above {}", pct(cr), pct(max)));
        }
        if let (Some(max_pp), Some(br)) = (g.max_increase_pp, br)
            && (cr - br) * 100.0 > max_pp
        {
            problems.push(format!(
                "null rate {} -> {} (+{:.2} points, max {max_pp})",
                pct(br),
                pct(cr),
                (cr - br) * 100.0
            ));
        }
        let float = cand_schema
            .field_with_name(c)
            .is_ok_and(|f| is_float(f.data_type()));
        let (cnan, bnan) = (cn.nans.filter(|_| float), bn.and_then(|b| b.nans));
        if let Some(nans) = cnan {
            let nr = rate(nans, cn.rows);
            let bnr = bnan.map(|n| rate(n, bn.map(|b| b.rows).unwrap_or(0)));
            if g.max_nan_rate.is_none() && g.max_nan_increase_pp.is_none() {
                if nans > 0 && bnan == Some(0) {
                    problems.push(format!("{nans} NaN where the baseline had none"));
                }
            } else {
                if let Some(max) = g.max_nan_rate
                    && nr > max
                {
                    problems.push(format!("NaN rate {} above {}", pct(nr), pct(max)));
                }
                if let (Some(max_pp), Some(bnr)) = (g.max_nan_increase_pp, bnr)
                    && (nr - bnr) * 100.0 > max_pp
                {
                    problems.push(format!(
                        "NaN rate {} -> {} (max +{max_pp} points)",
                        pct(bnr),
                        pct(nr)
                    ));
                }
            }
        }
        let mut r = GateResult::new(&spec.name, "null_rate", Some(c), spec.severity)
            .observed(cr)
            .threshold(threshold.clone())
            .detail("null_count", cn.nulls)
            .detail("rows", cn.rows)
            .detail("null_rate", cr)
            .detail("null_count_source", cn.null_source)
            .detail("baseline_null_count", bn.map(|b| b.nulls))
            .detail("baseline_null_rate", br)
            .detail("baseline_null_count_source", bn.map(|b| b.null_source));
        if float {
            r = r
                .detail("nan_count", cnan)
                .detail("baseline_nan_count", bnan)
                .detail("nan_count_source", "scan");
        }
        let summary = match br {
            Some(br) => format!("{} (baseline {})", pct(cr), pct(br)),
            None => pct(cr),
        };
        out.push(if problems.is_empty() {
            r.outcome(Outcome::Pass, format!("null rate {summary}"))
        } else {
            r.outcome(Outcome::Fail, problems.join("; "))
        });
    }
    out
}

fn pct(r: f64) -> String {
    format!("{:.2}%", r * 100.0)
}
