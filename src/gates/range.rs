//! The range gate: every non-null value of a column within [min, max], or one of `allowed`.
//!
//! 1. With `min`/`max` only, the Parquet footers of the candidate's files are read first: when
//!    every row group has exact statistics and their extremes lie within the bounds, there is no
//!    violation and nothing is scanned (`source = "footer"`).
//! 2. Otherwise (bounds crossed in some row group, statistics missing, `allowed` set, or a slice)
//!    one scan counts the violations exactly and takes the minimum and maximum (`source = "scan"`),
//!    and names up to 10 offending values of an `allowed` list.
//! 3. Nulls are not violations (null_rate judges them); neither is NaN (null_rate counts it apart:
//!    Parquet statistics leave NaN out, so a footer could not vouch for it either).
//! 4. Fail when the violations exceed `max_violations` (default 0). The baseline is not needed.

use serde::{Deserialize, Serialize};

use crate::gates::probe::{is_float, quote};
use crate::gates::run::error_result;
use crate::gates::sql::Scalar;
use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe, Side};

/// Values within bounds or from a list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub column: Option<String>,
    pub columns: Option<Vec<String>>,
    /// Smallest allowed value (numeric columns).
    pub min: Option<f64>,
    /// Largest allowed value (numeric columns).
    pub max: Option<f64>,
    /// The only values allowed: strings, or numbers.
    pub allowed: Option<Vec<toml::Value>>,
    /// How many violating rows are tolerated.
    #[serde(default)]
    pub max_violations: u64,
}

/// The range gate's report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RangeFacts {
    pub observed: Option<RangeObserved>,
    pub threshold: Option<RangeThreshold>,
    /// `footer` (statistics proved there is no violation) or `scan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Values (non-null, non-NaN) checked by the scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<u64>,
    /// Up to 10 distinct values outside `allowed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unexpected: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RangeObserved {
    /// Rows whose value is outside the bounds or the list.
    pub violations: u64,
    /// The column's smallest and largest values (numeric columns).
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RangeThreshold {
    pub min: Option<f64>,
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<Scalar>>,
    pub max_violations: u64,
}

impl Gate for Range {
    const KIND: &'static str = "range";
    type Facts = RangeFacts;

    fn check_config(&self) -> Result<(), String> {
        if self.column.is_none() && self.columns.as_ref().is_none_or(|c| c.is_empty()) {
            return Err("set column or columns".into());
        }
        if self.min.is_none() && self.max.is_none() && self.allowed.is_none() {
            return Err("set min and/or max, or allowed".into());
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max)
            && lo > hi
        {
            return Err(format!("min {lo} is above max {hi}"));
        }
        if [self.min, self.max].iter().flatten().any(|x| x.is_nan()) {
            return Err("min and max must be numbers, not nan".into());
        }
        if let Some(a) = &self.allowed {
            let strings = a.iter().all(|v| v.is_str());
            let numbers = a.iter().all(|v| v.is_integer() || v.is_float());
            if a.is_empty() || !(strings || numbers) {
                return Err("allowed must be a non-empty list of strings, or of numbers".into());
            }
        }
        Ok(())
    }

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        let columns: Vec<String> = self
            .column
            .iter()
            .chain(self.columns.iter().flatten())
            .cloned()
            .collect();
        let mut out = Vec::new();
        for c in &columns {
            out.push(match self.one(spec, probe, c).await {
                Ok(r) => r,
                Err(e) => error_result(spec, Some(c), e),
            });
        }
        out
    }

    fn badness(f: &RangeFacts) -> Option<f64> {
        f.observed.as_ref().map(|o| o.violations as f64)
    }
}

fn scalar(v: &toml::Value) -> Scalar {
    match v {
        toml::Value::String(s) => Scalar::Text(s.clone()),
        toml::Value::Integer(i) => Scalar::Number(*i as f64),
        toml::Value::Float(f) => Scalar::Number(*f),
        toml::Value::Boolean(b) => Scalar::Bool(*b),
        other => Scalar::Text(other.to_string()),
    }
}

/// A float as a DataFusion literal.
fn literal(x: f64) -> String {
    format!("CAST('{x}' AS DOUBLE)")
}

impl Range {
    fn bounds(&self) -> String {
        let show = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
        let mut s = Vec::new();
        if self.min.is_some() || self.max.is_some() {
            s.push(format!("[{}, {}]", show(self.min), show(self.max)));
        }
        if let Some(a) = &self.allowed {
            s.push(format!(
                "one of {}",
                a.iter()
                    .map(|v| scalar(v).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s.join(" and ")
    }

    async fn one(&self, spec: &GateSpec, probe: &Probe<'_>, c: &str) -> crate::Result<GateResult> {
        let schema = probe.schema(Side::Candidate);
        let Ok(field) = schema.field_with_name(c) else {
            return Ok(error_result(
                spec,
                Some(c),
                format!("no column {c:?} in the candidate"),
            ));
        };
        let t = field.data_type().clone();
        let numeric = t.is_numeric();
        if (self.min.is_some() || self.max.is_some()) && !numeric {
            return Ok(error_result(
                spec,
                Some(c),
                format!("{c} is {t}, not numeric: min and max need numbers (use allowed)"),
            ));
        }
        let mut facts = RangeFacts {
            threshold: Some(RangeThreshold {
                min: self.min,
                max: self.max,
                allowed: self
                    .allowed
                    .as_ref()
                    .map(|a| a.iter().map(scalar).collect()),
                max_violations: self.max_violations,
            }),
            ..Default::default()
        };
        // 1. The footers, when bounds alone are asked for.
        if self.allowed.is_none()
            && let Some(b) = probe.footer_bounds(Side::Candidate, c).await?
        {
            let extreme = |a: &arrow::array::ArrayRef, smallest: bool| -> Option<f64> {
                let f = arrow::compute::cast(a, &arrow::datatypes::DataType::Float64).ok()?;
                let f = f.as_any().downcast_ref::<arrow::array::Float64Array>()?;
                if f.null_count() > 0 || f.values().iter().any(|x| x.is_nan()) {
                    return None;
                }
                f.values()
                    .iter()
                    .copied()
                    .reduce(|x, y| if smallest { x.min(y) } else { x.max(y) })
            };
            let empty = b.mins.is_empty();
            let (lo, hi) = (extreme(&b.mins, true), extreme(&b.maxes, false));
            let within = empty
                || (lo.is_some()
                    && hi.is_some()
                    && self.min.is_none_or(|m| lo.is_some_and(|lo| lo >= m))
                    && self.max.is_none_or(|m| hi.is_some_and(|hi| hi <= m)));
            if within {
                facts.observed = Some(RangeObserved {
                    violations: 0,
                    min: lo,
                    max: hi,
                });
                facts.source = Some("footer".into());
                let msg = match (lo, hi) {
                    (Some(lo), Some(hi)) => format!(
                        "no violation: values in [{lo}, {hi}] within {} (footer statistics of {} files)",
                        self.bounds(),
                        b.files
                    ),
                    _ => "no values to check".to_string(),
                };
                return Ok(GateResult::new(&spec.name, Some(c), spec.severity, facts)
                    .outcome(Outcome::Pass, msg));
            }
        }
        // 2. One scan.
        let col = quote(c);
        let mut bad = Vec::new();
        if let Some(m) = self.min {
            bad.push(format!("{col} < {}", literal(m)));
        }
        if let Some(m) = self.max {
            bad.push(format!("{col} > {}", literal(m)));
        }
        if let Some(a) = &self.allowed {
            let list: Vec<String> = a
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => format!("'{}'", s.replace('\'', "''")),
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => literal(*f),
                    other => format!("'{}'", other.to_string().replace('\'', "''")),
                })
                .collect();
            let strings = a.iter().all(|v| v.is_str());
            let lhs = if strings {
                format!("CAST({col} AS VARCHAR)")
            } else {
                col.clone()
            };
            bad.push(format!("{lhs} NOT IN ({})", list.join(", ")));
        }
        let violation = bad.join(" OR ");
        let mut valid = format!("{col} IS NOT NULL");
        if is_float(&t) {
            valid.push_str(&format!(" AND NOT isnan({col})"));
        }
        let extremes = if numeric {
            format!("CAST(min({col}) AS DOUBLE), CAST(max({col}) AS DOUBLE)")
        } else {
            "CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE)".into()
        };
        let q = format!(
            "SELECT CAST(sum(CASE WHEN {violation} THEN 1 ELSE 0 END) AS BIGINT), {extremes}, count(*) \
             FROM {t} WHERE {valid}",
            t = Side::Candidate.table()
        );
        let batches = probe.sql(&q).await?;
        let row = batches.iter().find(|b| b.num_rows() > 0);
        let get = |i: usize| -> Option<f64> {
            let b = row?;
            let a = arrow::compute::cast(b.column(i), &arrow::datatypes::DataType::Float64).ok()?;
            let a = a.as_any().downcast_ref::<arrow::array::Float64Array>()?;
            (!a.is_null(0)).then(|| a.value(0))
        };
        use arrow::array::Array;
        let violations = get(0).unwrap_or(0.0) as u64;
        let checked = get(3).unwrap_or(0.0) as u64;
        let (lo, hi) = (get(1), get(2));
        if self.allowed.is_some() && violations > 0 {
            let q = format!(
                "SELECT DISTINCT CAST({col} AS VARCHAR) FROM {t} WHERE {valid} AND ({violation}) ORDER BY 1 LIMIT 10",
                t = Side::Candidate.table()
            );
            let mut names = Vec::new();
            for b in probe.sql(&q).await? {
                let a = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)
                    .map_err(|e| crate::Error::input(e.to_string()))?;
                if let Some(a) = a.as_any().downcast_ref::<arrow::array::StringArray>() {
                    names.extend(a.iter().flatten().map(str::to_string));
                }
            }
            facts.unexpected = Some(names);
        }
        facts.observed = Some(RangeObserved {
            violations,
            min: lo,
            max: hi,
        });
        facts.source = Some("scan".into());
        facts.checked = Some(checked);
        let seen = match (lo, hi) {
            (Some(lo), Some(hi)) => format!(" (values in [{lo}, {hi}])"),
            _ => String::new(),
        };
        let unexpected = facts
            .unexpected
            .as_ref()
            .filter(|u| !u.is_empty())
            .map(|u| format!("; e.g. {}", u.join(", ")))
            .unwrap_or_default();
        let r = GateResult::new(&spec.name, Some(c), spec.severity, facts);
        Ok(if violations > self.max_violations {
            r.outcome(
                Outcome::Fail,
                format!(
                    "{violations} of {checked} values outside {}{seen}{unexpected}",
                    self.bounds()
                ),
            )
        } else {
            r.outcome(
                Outcome::Pass,
                format!(
                    "{violations} of {checked} values outside {}{seen} (scan)",
                    self.bounds()
                ),
            )
        })
    }
}
