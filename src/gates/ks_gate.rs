//! The ks gate: two-sample Kolmogorov–Smirnov between candidate and baseline per numeric column.
//!
//! 1. Read each side's non-null, non-NaN values as f64 (both sides at once).
//! 2. Sort each side once (a radix sort, [`super::sort`]), all columns and sides in parallel; done
//!    for every KS column up front, in one scan per side ([`super::run::Probe::prefetch`]).
//! 3. Walk both sorted runs once for D (right-continuous ECDFs over the pooled sample, ties as
//!    scipy.stats.ks_2samp treats them) and compute the p-value as scipy does ([`super::ks`]).
//! 4. Fail when every threshold the gate sets is crossed: D >= max_statistic, p < min_p_value.

use serde_json::json;

use crate::gates::GateSpec;
use crate::gates::config::Ks;
use crate::gates::ks::{KsMethod, ks_2samp_sorted};
use crate::gates::report::{GateResult, Outcome};
use crate::gates::run::{Probe, Side, error_result, is_numeric};

/// The columns a ks gate compares: the ones it names, or every numeric column of the candidate
/// that the baseline has too.
pub(crate) fn columns(g: &Ks, probe: &Probe<'_>) -> Vec<String> {
    let cand_schema = probe.schema(Side::Candidate);
    match (&g.column, &g.columns) {
        (None, None) => cand_schema
            .fields()
            .iter()
            .filter(|f| is_numeric(f.data_type()))
            .filter(|f| {
                probe
                    .schema_opt(Side::Baseline)
                    .is_none_or(|b| b.field_with_name(f.name()).is_ok())
            })
            .map(|f| f.name().clone())
            .collect(),
        (a, b) => a.iter().chain(b.iter().flatten()).cloned().collect(),
    }
}

pub(crate) async fn check(spec: &GateSpec, g: &Ks, probe: &Probe<'_>) -> Vec<GateResult> {
    let columns = columns(g, probe);
    let mut out = Vec::new();
    for c in &columns {
        out.push(one(spec, g, probe, c).await);
    }
    out
}

async fn one(spec: &GateSpec, g: &Ks, probe: &Probe<'_>, c: &str) -> GateResult {
    let threshold = json!({"max_statistic": g.max_statistic, "min_p_value": g.min_p_value});
    let r = GateResult::new(&spec.name, "ks", Some(c), spec.severity).threshold(threshold);
    let field = match probe.schema(Side::Candidate).field_with_name(c) {
        Ok(f) => f.clone(),
        Err(_) => return error_result(spec, Some(c), format!("no column {c:?} in the candidate")),
    };
    if !is_numeric(field.data_type()) {
        return error_result(
            spec,
            Some(c),
            format!(
                "{c} is {}, not numeric: ks needs numbers (use a distribution gate)",
                field.data_type()
            ),
        );
    }
    let Some(base_schema) = probe.schema_opt(Side::Baseline) else {
        return r.outcome(Outcome::Skipped, "no baseline: first publish");
    };
    match base_schema.field_with_name(c) {
        Err(_) => {
            return error_result(
                spec,
                Some(c),
                format!(
                    "no column {c:?} in the baseline {}",
                    "(see the schema gate)"
                ),
            );
        }
        Ok(f) if !is_numeric(f.data_type()) => {
            return error_result(
                spec,
                Some(c),
                format!("{c} is {} in the baseline, not numeric", f.data_type()),
            );
        }
        Ok(_) => {}
    }
    if probe.rows(Side::Candidate) == Some(0) {
        return r.outcome(
            Outcome::Skipped,
            "the candidate has zero rows (the row_count gate judges that)",
        );
    }
    let (a, b) = tokio::join!(
        probe.sorted_values(Side::Candidate, c),
        probe.sorted_values(Side::Baseline, c)
    );
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_result(spec, Some(c), e),
    };
    for (side, v) in [("candidate", &a), ("baseline", &b)] {
        if v.is_empty() {
            return error_result(
                spec,
                Some(c),
                format!("no non-null, non-NaN values of {c} in the {side}"),
            );
        }
    }
    // The walk over 2 x 10M values takes tens of milliseconds; the exact p-value up to a second
    // (n <= 10000 with a large D): off the async threads.
    let k = tokio::task::spawn_blocking(move || ks_2samp_sorted(&a, &b))
        .await
        .ok()
        .flatten();
    let Some(k) = k else {
        return error_result(spec, Some(c), "no values to compare");
    };
    let crossed_d = g.max_statistic.map(|m| k.statistic >= m);
    let crossed_p = g.min_p_value.map(|m| k.p_value < m);
    let fails = [crossed_d, crossed_p].iter().flatten().all(|x| *x)
        && (crossed_d.is_some() || crossed_p.is_some());
    let r = r
        .observed(json!({"statistic": k.statistic, "p_value": k.p_value}))
        .detail("statistic", k.statistic)
        .detail("p_value", k.p_value)
        .detail("n_candidate", k.n1)
        .detail("n_baseline", k.n2)
        .detail("location", k.location)
        .detail(
            "method",
            if k.method == KsMethod::Exact {
                "exact"
            } else {
                "asymptotic"
            },
        );
    let msg = format!(
        "D={:.4} at {} (p={:.3e}, n={} vs {})",
        k.statistic, k.location, k.p_value, k.n1, k.n2
    );
    if fails {
        r.outcome(Outcome::Fail, msg)
    } else {
        r.outcome(Outcome::Pass, msg)
    }
}
