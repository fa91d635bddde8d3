//! The ks gate: two-sample Kolmogorov–Smirnov between candidate and baseline per numeric column.
//!
//! 1. Read each side's non-null, non-NaN values as f64 (both sides at once).
//! 2. Sort each side once (a radix sort, [`crate::stats::sort`]), all columns and sides in
//!    parallel; done for every KS column up front, in one scan per side ([`Gate::needs`],
//!    [`Probe::prefetch`]).
//! 3. Walk both sorted runs once for D (right-continuous ECDFs over the pooled sample, ties as
//!    scipy.stats.ks_2samp treats them) and compute the p-value as scipy does
//!    ([`crate::stats::ks`]); beyond the memory limit, exactly over key ranges
//!    ([`crate::stats::bounded`]).
//! 4. Fail when every threshold the gate sets is crossed: D >= max_statistic, p < min_p_value.

use serde::{Deserialize, Serialize};

use crate::gates::probe::is_numeric;
use crate::gates::report::error_result;
use crate::gates::{Gate, GateResult, GateSpec, Needs, Outcome, Probe, Side};
use crate::stats::ecdf::ecdf_points;
use crate::stats::ks::{KsMethod, ks_2samp_sorted};

/// Two-sample Kolmogorov–Smirnov on numeric columns, over non-null, non-NaN values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ks {
    pub column: Option<String>,
    /// Several columns; all numeric columns when neither `column` nor `columns` is given.
    pub columns: Option<Vec<String>>,
    /// Fail when D >= this.
    pub max_statistic: Option<f64>,
    /// Fail when p < this. With both thresholds, the gate fails only when both are crossed.
    pub min_p_value: Option<f64>,
}

/// The ks gate's report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KsFacts {
    pub observed: Option<KsObserved>,
    pub threshold: Option<KsThreshold>,
    #[serde(flatten)]
    pub test: Option<KsTest>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KsObserved {
    pub statistic: f64,
    pub p_value: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KsThreshold {
    pub max_statistic: Option<f64>,
    pub min_p_value: Option<f64>,
}

/// The test as run: D, p, sample sizes, where D is attained, how p was computed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KsTest {
    pub statistic: f64,
    pub p_value: f64,
    pub n_candidate: u64,
    pub n_baseline: u64,
    pub location: f64,
    /// `exact` or `asymptotic`.
    pub method: String,
    /// Scans of each side (1 in memory; more for the bounded walk). Absent from reports written
    /// before the bounded walk (2026-11-22), which still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scans: Option<u32>,
    /// About 256 `[x, F(x)]` points of each side's ECDF (charts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecdf: Option<Ecdfs>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Ecdfs {
    pub candidate: Vec<[f64; 2]>,
    pub baseline: Vec<[f64; 2]>,
}

impl Gate for Ks {
    const KIND: &'static str = "ks";
    type Facts = KsFacts;

    fn check_config(&self) -> std::result::Result<(), String> {
        if self.max_statistic.is_none() && self.min_p_value.is_none() {
            return Err("set max_statistic and/or min_p_value".into());
        }
        Ok(())
    }

    fn needs(&self, probe: &Probe<'_>) -> Needs {
        Needs {
            sorted: columns(self, probe),
        }
    }

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        let mut out = Vec::new();
        for c in &columns(self, probe) {
            out.push(one(spec, self, probe, c).await);
        }
        out
    }

    fn strip_charts(f: &mut KsFacts) {
        if let Some(t) = &mut f.test {
            t.ecdf = None;
        }
    }

    fn badness(f: &KsFacts) -> Option<f64> {
        f.observed.as_ref().map(|o| o.statistic)
    }
}

/// The columns a ks gate compares: the ones it names, or every numeric column of the candidate
/// that the baseline has too, except identifiers (`id`, `*_id`, `*_key`: their distribution says
/// which rows were scored, not how) and times and dates (they move every night by design). Named
/// columns may be any of these.
fn columns(g: &Ks, probe: &Probe<'_>) -> Vec<String> {
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

async fn one(spec: &GateSpec, g: &Ks, probe: &Probe<'_>, c: &str) -> GateResult {
    let mut facts = KsFacts {
        threshold: Some(KsThreshold {
            max_statistic: g.max_statistic,
            min_p_value: g.min_p_value,
        }),
        ..Default::default()
    };
    let r = GateResult::new(&spec.name, Some(c), spec.severity, facts.clone());
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
        let (a, b) = (probe.scan(Side::Candidate), probe.scan(Side::Baseline));
        match crate::stats::bounded::ks(&a, &b, c, probe.budget, probe.histogram(c)).await {
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
    facts.observed = Some(KsObserved {
        statistic: k.statistic,
        p_value: k.p_value,
    });
    facts.test = Some(KsTest {
        statistic: k.statistic,
        p_value: k.p_value,
        n_candidate: k.n1,
        n_baseline: k.n2,
        location: k.location,
        method: if k.method == KsMethod::Exact {
            "exact"
        } else {
            "asymptotic"
        }
        .into(),
        scans: Some(passes),
        ecdf: Some(Ecdfs {
            candidate: ecdf_a,
            baseline: ecdf_b,
        }),
    });
    let r = GateResult::new(&spec.name, Some(c), spec.severity, facts);
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

#[cfg(test)]
mod tests {
    use super::significant;

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.2698946704409379), "0.269895");
        assert_eq!(significant(851.0), "851");
        assert_eq!(significant(44.853617571088044), "44.8536");
        assert_eq!(significant(-3.0e-7), "-3.00000e-7");
    }
}
