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
use crate::gates::{KINDS, Kind, Ks, NullRate, RowCount, SchemaGate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A failure blocks promotion (exit 3).
    #[default]
    Fail,
    /// A failure is reported only.
    Warn,
}

/// One gate: a name, a severity, optional slicing and its kind's settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateSpec {
    pub name: String,
    pub severity: Severity,
    /// Serialized flat: `{"name", "severity", "kind": "ks", "max_statistic": …}`, as in the TOML.
    #[serde(flatten)]
    pub kind: Kind,
    /// Judge per slice: the rows holding each combination of these columns' values
    /// ([`crate::gates::slice`]). Any kind takes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
    /// Slices with fewer rows (on either side) are reported, not judged. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_slice_rows: Option<u64>,
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
            by: Vec::new(),
            min_slice_rows: None,
        };
        Validations {
            gates: vec![
                gate("schema", Kind::SchemaGate(SchemaGate::default())),
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
    let by = match table.remove("by") {
        None => Vec::new(),
        Some(toml::Value::String(c)) => vec![c],
        Some(toml::Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                toml::Value::String(c) => Ok(c),
                _ => Err(Error::input(format!(
                    "validations {file}: gate {name:?}: `by` must be column names"
                ))),
            })
            .collect::<Result<Vec<_>>>()?,
        Some(_) => {
            return Err(Error::input(format!(
                "validations {file}: gate {name:?}: `by` must be a list of column names"
            )));
        }
    };
    let min_slice_rows = match table.remove("min_slice_rows") {
        None => None,
        Some(toml::Value::Integer(n)) if n >= 0 => Some(n as u64),
        Some(_) => {
            return Err(Error::input(format!(
                "validations {file}: gate {name:?}: `min_slice_rows` must be a whole number of rows"
            )));
        }
    };
    if min_slice_rows.is_some() && by.is_empty() {
        return Err(Error::input(format!(
            "validations {file}: gate {name:?}: min_slice_rows without `by` (which columns slice the rows?)"
        )));
    }
    let bad = |e: toml::de::Error| {
        Error::input(format!(
            "validations {file}: gate {name:?} ({kind}): {}",
            e.message()
        ))
    };
    let kind = match Kind::parse(&kind, toml::Value::Table(table)) {
        Some(k) => k.map_err(bad)?,
        None => {
            return Err(Error::input(format!(
                "validations {file}: gate {name:?}: unknown kind {kind:?} ({})",
                KINDS.join(", ")
            )));
        }
    };
    kind.check_config()
        .map_err(|e| Error::input(format!("validations {file}: gate {name:?}: {e}")))?;
    Ok(GateSpec {
        name,
        severity,
        kind,
        by,
        min_slice_rows,
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
