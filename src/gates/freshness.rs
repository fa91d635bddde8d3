//! The freshness gate: a timestamp (or date) column's maximum must move forward against the
//! baseline's, by at least `min_advance` (default: strictly forward) and at most `max_advance`.
//!
//! 1. Each side's maximum comes from the Parquet footers when every row group has an exact
//!    statistic (`source = "footer"`), else from one scan.
//! 2. advance = candidate max - baseline max. Fail when it is below `min_advance` (or zero or
//!    negative without one), or above `max_advance`.
//! 3. No baseline: skipped (nothing to move forward from). A side with no non-null value fails:
//!    there is no time to judge.

use std::time::Duration;

use arrow::array::{Array, ArrayRef, Int64Array};
use arrow::datatypes::{DataType, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gates::probe::quote;
use crate::gates::run::error_result;
use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe, Side};

/// The newest timestamp must advance.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    pub column: String,
    /// At least this much newer than the baseline's newest (`1h`, `30m`, `1d`); default: any
    /// amount, strictly forward.
    pub min_advance: Option<String>,
    /// At most this much newer (`8d`): a clock or a unit gone wrong.
    pub max_advance: Option<String>,
}

/// The freshness gate's report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FreshnessFacts {
    pub observed: Option<FreshnessObserved>,
    pub threshold: Option<FreshnessThreshold>,
    /// Newest values, RFC 3339 (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_max: Option<String>,
    /// `footer` or `scan`, per side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FreshnessObserved {
    /// Candidate max - baseline max, in seconds (negative: backwards).
    pub advance_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FreshnessThreshold {
    pub min_advance_seconds: Option<f64>,
    pub max_advance_seconds: Option<f64>,
}

fn parse(s: &Option<String>, what: &str) -> std::result::Result<Option<Duration>, String> {
    s.as_deref()
        .map(|s| {
            humantime::parse_duration(s)
                .map_err(|e| format!("{what} {s:?}: {e} (use e.g. 30m, 1h, 8d)"))
        })
        .transpose()
}

impl Gate for Freshness {
    const KIND: &'static str = "freshness";
    type Facts = FreshnessFacts;

    fn check_config(&self) -> std::result::Result<(), String> {
        let lo = parse(&self.min_advance, "min_advance")?;
        let hi = parse(&self.max_advance, "max_advance")?;
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo > hi
        {
            return Err("min_advance is above max_advance".into());
        }
        Ok(())
    }

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        vec![match self.check(spec, probe).await {
            Ok(r) => r,
            Err(e) => error_result(spec, Some(&self.column), e),
        }]
    }

    fn badness(f: &FreshnessFacts) -> Option<f64> {
        f.observed.as_ref().map(|o| -o.advance_seconds)
    }
}

/// Microseconds since the epoch of every value of a timestamp or date array.
fn micros(a: &ArrayRef) -> Result<Int64Array> {
    let bad = |e| Error::input(format!("reading times: {e}"));
    let t = arrow::compute::cast(a, &DataType::Timestamp(TimeUnit::Microsecond, None)).map_err(bad)?;
    let i = arrow::compute::cast(&t, &DataType::Int64).map_err(bad)?;
    i.as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| Error::input("reading times: not integers"))
}

fn rfc3339(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| us.to_string())
}

fn human(seconds: f64) -> String {
    let d = Duration::from_secs_f64(seconds.abs().min(1e15));
    let d = Duration::from_secs(d.as_secs());
    let s = humantime::format_duration(d).to_string();
    if seconds < 0.0 { format!("-{s}") } else { s }
}

impl Freshness {
    /// The newest value of the column on one side, in microseconds, and where it came from.
    async fn newest(&self, probe: &Probe<'_>, side: Side) -> Result<(Option<i64>, &'static str)> {
        if let Some(b) = probe.footer_bounds(side, &self.column).await? {
            if b.maxes.is_empty() {
                return Ok((None, "footer"));
            }
            let m = micros(&b.maxes)?;
            return Ok((arrow::compute::max(&m), "footer"));
        }
        let q = format!(
            "SELECT max({}) FROM {}",
            quote(&self.column),
            side.table()
        );
        let batches = probe.sql(&q).await?;
        let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
            return Ok((None, "scan"));
        };
        let m = micros(b.column(0))?;
        Ok(((!m.is_null(0)).then(|| m.value(0)), "scan"))
    }

    async fn check(&self, spec: &GateSpec, probe: &Probe<'_>) -> Result<GateResult> {
        let c = self.column.as_str();
        for side in [Side::Candidate, Side::Baseline] {
            let Some(schema) = probe.schema_opt(side) else {
                continue;
            };
            match schema.field_with_name(c) {
                Err(_) => {
                    return Ok(error_result(
                        spec,
                        Some(c),
                        format!("no column {c:?} in the {}", side.table()),
                    ));
                }
                Ok(f)
                    if !matches!(
                        f.data_type(),
                        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64
                    ) =>
                {
                    return Ok(error_result(
                        spec,
                        Some(c),
                        format!(
                            "{c} is {} in the {}: freshness needs a timestamp or date",
                            f.data_type(),
                            side.table()
                        ),
                    ));
                }
                Ok(_) => {}
            }
        }
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        let (lo, hi) = (
            parse(&self.min_advance, "min_advance").map_err(Error::input)?,
            parse(&self.max_advance, "max_advance").map_err(Error::input)?,
        );
        let mut facts = FreshnessFacts {
            threshold: Some(FreshnessThreshold {
                min_advance_seconds: secs(lo),
                max_advance_seconds: secs(hi),
            }),
            ..Default::default()
        };
        let (cand, source) = self.newest(probe, Side::Candidate).await?;
        facts.max = cand.map(rfc3339);
        facts.source = Some(source.into());
        let result = |facts: FreshnessFacts| GateResult::new(&spec.name, Some(c), spec.severity, facts);
        if !probe.has_baseline() {
            return Ok(result(facts).outcome(
                Outcome::Skipped,
                "no baseline: first publish",
            ));
        }
        let (base, base_source) = self.newest(probe, Side::Baseline).await?;
        facts.baseline_max = base.map(rfc3339);
        facts.baseline_source = Some(base_source.into());
        let Some(cand) = cand else {
            return Ok(result(facts).outcome(
                Outcome::Fail,
                format!("no {c} in the candidate (every value null, or no rows)"),
            ));
        };
        let Some(base) = base else {
            return Ok(result(facts).outcome(
                Outcome::Skipped,
                format!("no {c} in the baseline to move forward from"),
            ));
        };
        let advance = (cand - base) as f64 / 1e6;
        facts.observed = Some(FreshnessObserved {
            advance_seconds: advance,
        });
        let msg = format!(
            "newest {c} {} -> {} ({})",
            rfc3339(base),
            rfc3339(cand),
            if advance >= 0.0 {
                format!("+{}", human(advance))
            } else {
                human(advance)
            }
        );
        let too_little = match lo {
            Some(lo) => advance < lo.as_secs_f64(),
            None => advance <= 0.0,
        };
        let too_much = hi.is_some_and(|hi| advance > hi.as_secs_f64());
        Ok(if too_little {
            let want = match &self.min_advance {
                Some(s) => format!("at least {s}"),
                None => "strictly forward".into(),
            };
            result(facts).outcome(Outcome::Fail, format!("{msg}: not fresh, want {want}"))
        } else if too_much {
            result(facts).outcome(
                Outcome::Fail,
                format!(
                    "{msg}: beyond max_advance {}",
                    self.max_advance.as_deref().unwrap_or("")
                ),
            )
        } else {
            result(facts).outcome(Outcome::Pass, msg)
        })
    }
}
