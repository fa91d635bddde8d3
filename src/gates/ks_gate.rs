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
/// that the baseline has too, except identifiers (`id`, `*_id`, `*_key`: their distribution says
/// which rows were scored, not how) and times and dates (they move every night by design). Named
/// columns may be any of these.
pub(crate) fn columns(g: &Ks, probe: &Probe<'_>) -> Vec<String> {
    let cand_schema = probe.schema(Side::Candidate);
    match (&g.column, &g.columns) {
        (None, None) => cand_schema
            .fields()
            .iter()
            .filter(|f| f.data_type().is_numeric() && !is_identifier(f.name()))
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

/// `id`, `customer_id`, `order_key`: named like a row identifier.
fn is_identifier(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id" || n.ends_with("_id") || n.ends_with("_key")
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
    // In memory when the column fits the limit (read once for every KS gate), else exact over key
    // ranges within it ([`super::bounded`]).
    let (k, ecdf_a, ecdf_b, passes) = if probe.fits(1) {
        let (a, b) = tokio::join!(
            probe.sorted_values(Side::Candidate, c),
            probe.sorted_values(Side::Baseline, c)
        );
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return error_result(spec, Some(c), e),
        };
        if !probe.keep_sorted {
            probe.evict(c);
        }
        for (side, v) in [("candidate", &a), ("baseline", &b)] {
            if v.is_empty() {
                return error_result(
                    spec,
                    Some(c),
                    format!("no non-null, non-NaN values of {c} in the {side}"),
                );
            }
        }
        // The walk over 2 x 10M values takes tens of milliseconds; the exact p-value up to a
        // second (n <= 10000 with a large D): off the async threads.
        let k = tokio::task::spawn_blocking(move || {
            ks_2samp_sorted(&a, &b).map(|k| (k, ecdf_points(&a), ecdf_points(&b)))
        })
        .await
        .ok()
        .flatten();
        let Some((k, ea, eb)) = k else {
            return error_result(spec, Some(c), "no values to compare");
        };
        (k, ea, eb, 1)
    } else {
        match super::bounded::ks(probe, c, probe.budget).await {
            Ok(Some(b)) => {
                probe.record_nans(c, b.nans_a, b.nans_b);
                (b.ks, b.ecdf_a, b.ecdf_b, b.passes)
            }
            Ok(None) => {
                return error_result(
                    spec,
                    Some(c),
                    format!("no non-null, non-NaN values of {c} on one side"),
                );
            }
            Err(e) => return error_result(spec, Some(c), e),
        }
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
        .detail("ecdf", json!({"candidate": ecdf_a, "baseline": ecdf_b}))
        .detail("scans", passes)
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
        k.statistic,
        significant(k.location),
        k.p_value,
        k.n1,
        k.n2
    );
    if fails {
        r.outcome(Outcome::Fail, msg)
    } else {
        r.outcome(Outcome::Pass, msg)
    }
}

/// A value for people: six significant digits, no trailing zeros (`0.269895`, `851`, `1.2e-7`).
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let a = x.abs();
    if !(1e-4..1e9).contains(&a) {
        return format!("{x:.5e}");
    }
    let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// How many points of each ECDF a report keeps for pictures (`lastgood report --html`).
pub(crate) const ECDF_POINTS: usize = 256;

/// About [`ECDF_POINTS`] `[x, F(x)]` pairs of a sorted sample's right-continuous ECDF, at evenly
/// spaced ranks (always the minimum and the maximum), ties collapsed.
pub(crate) fn ecdf_points(sorted: &[f64]) -> Vec<[f64; 2]> {
    let n = sorted.len();
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(ECDF_POINTS + 1);
    if n == 0 {
        return out;
    }
    for i in 0..=ECDF_POINTS {
        let x = sorted[i * (n - 1) / ECDF_POINTS];
        if out.last().is_some_and(|p| p[0] == x) {
            continue;
        }
        let at_or_below = sorted.partition_point(|v| *v <= x);
        out.push([x, at_or_below as f64 / n as f64]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{ecdf_points, significant};

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.2698946704409379), "0.269895");
        assert_eq!(significant(851.0), "851");
        assert_eq!(significant(44.853617571088044), "44.8536");
        assert_eq!(significant(-3.0e-7), "-3.00000e-7");
    }

    #[test]
    fn ecdf_points_are_the_right_continuous_ecdf() {
        let v: Vec<f64> = (0..1000).map(|i| (i / 10) as f64).collect();
        let p = ecdf_points(&v);
        assert_eq!(p.first(), Some(&[0.0, 0.01]));
        assert_eq!(p.last(), Some(&[99.0, 1.0]));
        assert!(p.len() <= 100, "ties collapse");
        assert!(p.windows(2).all(|w| w[0][0] < w[1][0] && w[0][1] < w[1][1]));
        assert!(ecdf_points(&[]).is_empty());
    }
}
