//! The null_rate gate: nulls / rows per column, from Arrow validity; NaN counted apart.

use serde::{Deserialize, Serialize};

use crate::gates::probe::is_float;
use crate::gates::run::error_result;
use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe, Side};

/// Null rate (nulls / rows, from Arrow validity) per column; NaN counted apart.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NullRate {
    /// Columns to check; all when absent.
    pub columns: Option<Vec<String>>,
    /// Fail when the null rate is above this (0..1).
    pub max_rate: Option<f64>,
    /// Fail when the null rate rose by more than this many percentage points over the baseline.
    pub max_increase_pp: Option<f64>,
    /// Fail when the NaN rate of a float column is above this. With neither NaN threshold set,
    /// NaN where the baseline had none fails.
    pub max_nan_rate: Option<f64>,
    pub max_nan_increase_pp: Option<f64>,
}

/// The null_rate gate's report: `observed` is the candidate's null rate.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NullRateFacts {
    pub observed: Option<f64>,
    pub threshold: Option<NullRateThreshold>,
    #[serde(flatten)]
    pub counts: Option<NullCounts>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NullRateThreshold {
    pub max_rate: Option<f64>,
    pub max_increase_pp: Option<f64>,
    pub max_nan_rate: Option<f64>,
    pub max_nan_increase_pp: Option<f64>,
}

/// The counts behind a null rate, and how each was obtained (`footer` or `scan`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NullCounts {
    pub null_count: u64,
    pub rows: u64,
    pub null_rate: f64,
    pub null_count_source: String,
    pub baseline_null_count: Option<u64>,
    pub baseline_null_rate: Option<f64>,
    pub baseline_null_count_source: Option<String>,
    /// Float columns only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nan_count: Option<Option<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_nan_count: Option<Option<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nan_count_source: Option<String>,
}

impl Gate for NullRate {
    const KIND: &'static str = "null_rate";
    type Facts = NullRateFacts;

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        check(spec, self, probe).await
    }

    fn badness(f: &NullRateFacts) -> Option<f64> {
        let c = f.counts.as_ref()?;
        Some(c.null_rate - c.baseline_null_rate.unwrap_or(0.0))
    }
}

async fn check(spec: &GateSpec, g: &NullRate, probe: &Probe<'_>) -> Vec<GateResult> {
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
    let threshold = NullRateThreshold {
        max_rate: g.max_rate,
        max_increase_pp: g.max_increase_pp,
        max_nan_rate: g.max_nan_rate,
        max_nan_increase_pp: g.max_nan_increase_pp,
    };
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
        let counts = NullCounts {
            null_count: cn.nulls,
            rows: cn.rows,
            null_rate: cr,
            null_count_source: cn.null_source.into(),
            baseline_null_count: bn.map(|b| b.nulls),
            baseline_null_rate: br,
            baseline_null_count_source: bn.map(|b| b.null_source.into()),
            nan_count: float.then_some(cnan),
            baseline_nan_count: float.then_some(bnan),
            nan_count_source: float.then(|| "scan".into()),
        };
        let r = GateResult::new(
            &spec.name,
            Some(c),
            spec.severity,
            NullRateFacts {
                observed: Some(cr),
                threshold: Some(threshold.clone()),
                counts: Some(counts),
            },
        );
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
