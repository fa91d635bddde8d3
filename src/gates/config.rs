//! Gates as data: `validations/<dataset>.toml`, or the documented defaults.
//!
//! ```toml
//! contract = "../schemas/churn_scores.contract.json"   # optional, relative to this file
//!
//! [[gate]]
//! name = "score_drift"
//! kind = "ks"
//! column = "score"
//! max_statistic = 0.1          # fail when D >= 0.1 ...
//! min_p_value = 0.001          # ... and p < 0.001 (a gate fails when every threshold it sets is crossed)
//! severity = "fail"            # or "warn": reported, never blocks
//! ```
//!
//! Each `[[gate]]` has `name`, `kind` and `severity`; the other keys belong to its kind and are
//! checked strictly, so a misspelt threshold is an error, not a gate that never fires.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A failure blocks promotion (exit 3).
    #[default]
    Fail,
    /// A failure is reported only.
    Warn,
}

/// One gate: a name, a severity and its kind's settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateSpec {
    pub name: String,
    pub severity: Severity,
    /// Serialized flat: `{"name", "severity", "kind": "ks", "max_statistic": …}`, as in the TOML.
    #[serde(flatten)]
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    NullRate(NullRate),
    Ks(Ks),
    Distribution(Distribution),
    Schema(SchemaGate),
    RowCount(RowCount),
    Sql(Sql),
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::NullRate(_) => "null_rate",
            Kind::Ks(_) => "ks",
            Kind::Distribution(_) => "distribution",
            Kind::Schema(_) => "schema",
            Kind::RowCount(_) => "row_count",
            Kind::Sql(_) => "sql",
        }
    }
}

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

/// Category shares of a column against the baseline's.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    pub column: String,
    /// Fail when the largest absolute change of a category's share (L-infinity) is above this.
    pub max_change: Option<f64>,
    /// Fail when the population stability index is above this (0.1 watch, 0.25 act, by custom).
    pub max_psi: Option<f64>,
}

/// Every consumer of the baseline can read the candidate (additive changes only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaGate {
    /// Also allow int32->int64, float32->float64 and a larger decimal precision.
    #[serde(default)]
    pub widening: bool,
}

/// Row count against the baseline's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCount {
    #[serde(default = "half")]
    pub min_ratio: f64,
    #[serde(default = "two")]
    pub max_ratio: f64,
    /// Zero rows pass.
    #[serde(default)]
    pub allow_empty: bool,
}

fn half() -> f64 {
    0.5
}
fn two() -> f64 {
    2.0
}

impl Default for RowCount {
    fn default() -> Self {
        RowCount {
            min_ratio: 0.5,
            max_ratio: 2.0,
            allow_empty: false,
        }
    }
}

/// Any DataFusion SQL over `candidate` and `baseline` returning one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sql {
    pub query: String,
    /// The value must equal this (a boolean, number or string).
    pub expect: Option<toml::Value>,
    /// Or lie within [min, max].
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// The gates of one dataset, and where they came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validations {
    pub gates: Vec<GateSpec>,
    /// The file they were read from; `None` for the defaults.
    pub source: Option<PathBuf>,
    /// `blake3:<hex>` of the file's bytes, recorded in every report.
    pub checksum: Option<String>,
    /// The contract schema, if the file names one.
    pub contract: Option<PathBuf>,
}

impl Validations {
    /// The defaults: the schema gate; null_rate on every column (fail when a rate rises by more
    /// than 5 points); ks on every numeric column (fail when D >= 0.1 and p < 0.001); row_count
    /// within [0.5, 2].
    pub fn defaults() -> Self {
        let gate = |name: &str, kind| GateSpec {
            name: name.into(),
            severity: Severity::Fail,
            kind,
        };
        Validations {
            gates: vec![
                gate("schema", Kind::Schema(SchemaGate::default())),
                gate(
                    "null_rate",
                    Kind::NullRate(NullRate {
                        max_increase_pp: Some(5.0),
                        ..Default::default()
                    }),
                ),
                gate(
                    "ks",
                    Kind::Ks(Ks {
                        max_statistic: Some(0.1),
                        min_p_value: Some(0.001),
                        ..Default::default()
                    }),
                ),
                gate("row_count", Kind::RowCount(RowCount::default())),
            ],
            source: None,
            checksum: None,
            contract: None,
        }
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::input(format!("validations {}: {e}", path.display())))?;
        let mut v = Self::parse(&text, path)?;
        v.checksum = Some(crate::manifest::checksum(text.as_bytes()));
        v.source = Some(path.to_path_buf());
        if let Some(c) = &v.contract {
            v.contract = Some(path.parent().unwrap_or(Path::new(".")).join(c));
        }
        Ok(v)
    }

    /// Parses a validations file; errors name the file, the gate and, for TOML syntax, the line
    /// and column.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let shown = path.display();
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            Error::input(format!(
                "validations {shown}{}: {}",
                crate::config::toml_position(text, e.span()),
                e.message()
            ))
        })?;
        let mut gates = Vec::new();
        let mut contract = None;
        for (key, value) in doc {
            match key.as_str() {
                "gate" => {
                    let list = value.as_array().ok_or_else(|| {
                        Error::input(format!(
                            "validations {shown}: `gate` must be [[gate]] tables"
                        ))
                    })?;
                    for (i, g) in list.iter().enumerate() {
                        gates.push(parse_gate(g, i, &shown.to_string())?);
                    }
                }
                "contract" => {
                    contract = Some(PathBuf::from(value.as_str().ok_or_else(|| {
                        Error::input(format!("validations {shown}: contract must be a path"))
                    })?))
                }
                other => {
                    return Err(Error::input(format!(
                        "validations {shown}: unknown key `{other}` (expected [[gate]] or contract)"
                    )));
                }
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for g in &gates {
            if !names.insert(g.name.clone()) {
                return Err(Error::input(format!(
                    "validations {shown}: two gates named {:?}",
                    g.name
                )));
            }
        }
        Ok(Validations {
            gates,
            source: Some(path.to_path_buf()),
            checksum: None,
            contract,
        })
    }
}

/// A gate as its JSON serialization (the dataset's rules on the store) reads back through the
/// same strict parser as the TOML: one format, one set of checks.
impl<'de> Deserialize<'de> for GateSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut v = serde_json::Value::deserialize(d)?;
        if let Some(o) = v.as_object_mut() {
            o.retain(|_, x| !x.is_null());
        }
        let t: toml::Value = serde_json::from_value(v).map_err(serde::de::Error::custom)?;
        parse_gate(&t, 0, "in the dataset's rules").map_err(serde::de::Error::custom)
    }
}

fn parse_gate(value: &toml::Value, index: usize, file: &str) -> Result<GateSpec> {
    let mut table = value.as_table().cloned().ok_or_else(|| {
        Error::input(format!(
            "validations {file}: gate #{} is not a table",
            index + 1
        ))
    })?;
    let take_str = |t: &mut toml::Table, k: &str| -> Result<Option<String>> {
        match t.remove(k) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::input(format!(
                "validations {file}: gate #{}: `{k}` must be a string",
                index + 1
            ))),
        }
    };
    let kind = take_str(&mut table, "kind")?.ok_or_else(|| {
        Error::input(format!(
            "validations {file}: gate #{} has no kind",
            index + 1
        ))
    })?;
    let name = take_str(&mut table, "name")?.unwrap_or_else(|| kind.clone());
    let severity = match take_str(&mut table, "severity")?.as_deref() {
        None | Some("fail") => Severity::Fail,
        Some("warn") => Severity::Warn,
        Some(other) => {
            return Err(Error::input(format!(
                "validations {file}: gate {name:?}: severity {other:?} is not fail or warn"
            )));
        }
    };
    let bad = |e: toml::de::Error| {
        Error::input(format!(
            "validations {file}: gate {name:?} ({kind}): {}",
            e.message()
        ))
    };
    let v = toml::Value::Table(table);
    let kind = match kind.as_str() {
        "null_rate" => Kind::NullRate(v.try_into().map_err(bad)?),
        "ks" => Kind::Ks(v.try_into().map_err(bad)?),
        "distribution" => Kind::Distribution(v.try_into().map_err(bad)?),
        "schema" => Kind::Schema(v.try_into().map_err(bad)?),
        "row_count" => Kind::RowCount(v.try_into().map_err(bad)?),
        "sql" => Kind::Sql(v.try_into().map_err(bad)?),
        other => {
            return Err(Error::input(format!(
                "validations {file}: gate {name:?}: unknown kind {other:?} (null_rate, ks, distribution, schema, row_count, sql)"
            )));
        }
    };
    if let Kind::Distribution(d) = &kind
        && d.max_change.is_none()
        && d.max_psi.is_none()
    {
        return Err(Error::input(format!(
            "validations {file}: gate {name:?}: set max_change or max_psi"
        )));
    }
    if let Kind::Sql(s) = &kind
        && s.expect.is_none()
        && s.min.is_none()
        && s.max.is_none()
    {
        return Err(Error::input(format!(
            "validations {file}: gate {name:?}: set expect, or min and/or max"
        )));
    }
    if let Kind::Ks(k) = &kind
        && k.max_statistic.is_none()
        && k.min_p_value.is_none()
    {
        return Err(Error::input(format!(
            "validations {file}: gate {name:?}: set max_statistic and/or min_p_value"
        )));
    }
    Ok(GateSpec {
        name,
        severity,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Validations> {
        Validations::parse(s, Path::new("v.toml"))
    }

    #[test]
    fn parses_every_kind() {
        let v = parse(
            r#"
[[gate]]
name = "nulls"
kind = "null_rate"
columns = ["score"]
max_rate = 0.01
[[gate]]
kind = "ks"
column = "score"
max_statistic = 0.1
severity = "warn"
[[gate]]
kind = "distribution"
column = "segment"
max_psi = 0.2
[[gate]]
kind = "schema"
widening = true
[[gate]]
kind = "row_count"
min_ratio = 0.9
[[gate]]
name = "scores_in_range"
kind = "sql"
query = "select min(score) >= 0 and max(score) <= 1 from candidate"
expect = true
"#,
        )
        .unwrap();
        assert_eq!(v.gates.len(), 6);
        assert_eq!(v.gates[1].name, "ks");
        assert_eq!(v.gates[1].severity, Severity::Warn);
        assert!(
            matches!(&v.gates[4].kind, Kind::RowCount(r) if r.min_ratio == 0.9 && r.max_ratio == 2.0)
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse("[[gate]]\nkind = \"ks\"\ncolumn = \"score\"\nmax_stat = 0.1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `max_stat`"), "{e}");
        let e = parse("[[gate]]\nkind = \"entropy\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown kind \"entropy\""), "{e}");
        let e = parse("[[gate]]\nkind = \"ks\"\nmax_statistic = = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3, column"), "{e}");
        let e = parse("[[gate]]\nname = \"a\"\nkind = \"schema\"\n[[gate]]\nname = \"a\"\nkind = \"schema\"\n").unwrap_err();
        assert!(e.to_string().contains("two gates named"), "{e}");
        let e = parse("[[gate]]\nkind = \"ks\"\ncolumn = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_statistic"), "{e}");
    }
}
