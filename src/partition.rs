//! Partitioned datasets: declared keys and types, partition values, and which partitions a gate
//! compares.
//!
//! A dataset declared partitioned (in lastgood.toml) publishes one night at a time:
//!
//! ```toml
//! [datasets.daily_scores]
//! partition_by = ["date"]
//! partition_types = { date = "date" }   # string (default), date (YYYY-MM-DD), int
//! compare = "partition"                 # or "dataset": gate the whole version against the whole baseline
//! ```
//!
//! Each publish names the partitions it adds or replaces; the new version's manifest lists the new
//! files and, by reference, every file of the current version's other partitions (see SPEC.md).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};
pub use crate::layout::{logical_path, origin};
use crate::manifest::{FileEntry, Manifest};
pub use crate::spec::partitioning::{Compare, KeyType, Partitioning};

/// One partition's values, `{"date": "2026-11-21"}`.
pub type Values = BTreeMap<String, String>;

impl Partitioning {
    /// Checks that a config declares each typed key and every value has its type.
    pub fn check_declaration(&self) -> Result<()> {
        if self.keys.is_empty() {
            return Err(Error::input("partition_by is empty: name at least one key"));
        }
        for (k, v) in &self.types {
            if !self.keys.contains(k) {
                return Err(Error::input(format!(
                    "partition_types names {k} ({v:?}), which is not in partition_by {:?}",
                    self.keys
                )));
            }
        }
        Ok(())
    }

    /// Checks that files' partition keys are the declared ones, in order, with values of the
    /// declared types.
    pub fn check_files(&self, keys: &[String], values: &[&Values], dataset: &str) -> Result<()> {
        if keys != self.keys.as_slice() {
            return Err(Error::input(format!(
                "{dataset} is partitioned by [{}] but the files are {}: pass --partition {}=… or a folder of {}=…/ subfolders",
                self.keys.join(", "),
                if keys.is_empty() {
                    "not partitioned".to_string()
                } else {
                    format!("partitioned by [{}]", keys.join(", "))
                },
                self.keys[0],
                self.keys[0],
            )));
        }
        for vals in values {
            for k in &self.keys {
                let v = vals.get(k).map(String::as_str).unwrap_or_default();
                check_value(k, v, self.key_type(k))
                    .map_err(|e| Error::input(format!("{dataset}: {e}")))?;
            }
        }
        Ok(())
    }

    /// Orders partitions by their typed values, key by key.
    pub fn cmp(&self, a: &Values, b: &Values) -> Ordering {
        for k in &self.keys {
            let (x, y) = (a.get(k), b.get(k));
            let o = match self.key_type(k) {
                KeyType::Int => {
                    let p = |v: Option<&String>| v.and_then(|s| s.parse::<i64>().ok());
                    p(x).cmp(&p(y))
                }
                // ISO dates order as text.
                KeyType::Date | KeyType::String => x.cmp(&y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

/// Checks one value against its declared type.
pub fn check_value(key: &str, value: &str, t: KeyType) -> Result<()> {
    // Canonical forms only (`7`, not `07` or `+7`): equal values are equal strings, so a partition
    // is never stored twice under two spellings.
    let ok = match t {
        KeyType::String => true,
        KeyType::Date => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .is_ok_and(|d| d.format("%Y-%m-%d").to_string() == value),
        KeyType::Int => value.parse::<i64>().is_ok_and(|n| n.to_string() == value),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!(
            "partition {key}={value:?} is not a {} in canonical form",
            match t {
                KeyType::String => "string",
                KeyType::Date => "date (YYYY-MM-DD)",
                KeyType::Int => "64-bit integer",
            }
        )))
    }
}

/// `date=2026-11-21/region=eu`, in the given key order.
pub struct Label<'a>(pub &'a [String], pub &'a Values);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for k in self.0 {
            if !first {
                f.write_str("/")?;
            }
            first = false;
            write!(f, "{k}={}", self.1.get(k).map(String::as_str).unwrap_or(""))?;
        }
        Ok(())
    }
}

/// Parses a `--partition` selector, `date=2026-11-21` or `date=2026-11-21/region=eu`.
pub fn selector(s: &str) -> Result<Values> {
    let mut out = Values::new();
    for part in s.split('/') {
        let (k, v) = crate::names::parse_pair(part)?;
        crate::names::check_partition(&k, &v)?;
        if out.insert(k.clone(), v).is_some() {
            return Err(Error::input(format!(
                "--partition {s}: key {k} given twice"
            )));
        }
    }
    Ok(out)
}

/// Whether a file belongs to the partition `sel` (every key of `sel` matches).
pub fn matches(f: &FileEntry, sel: &Values) -> bool {
    sel.iter().all(|(k, v)| f.partition.get(k) == Some(v))
}

/// Which partitions a partitioned publish's gates compared: the report's `scope` (SPEC.md, "Gate
/// scope"). Fields in alphabetical order, as reports have always had them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    /// Partition labels (`date=2026-11-21`) of the baseline seen, in typed order.
    pub baseline: Vec<String>,
    /// The candidate's partitions judged.
    pub candidate: Vec<String>,
    /// `partition` (like with like) or `dataset` (whole versions).
    pub compare: Compare,
    /// What each partition was compared with, one clause per partition joined by `; `.
    pub why: String,
}

/// What a partitioned publish's gates compare: the candidate's touched partitions against, for
/// each, its previous self in the baseline, or the baseline's most recent partition when it is new
/// (or both versions whole, with `compare = "dataset"`). Returns the two views and the report's
/// `scope`.
pub fn scope(
    p: &Partitioning,
    touched: &[Values],
    candidate: &Manifest,
    baseline: &Manifest,
) -> (Manifest, Manifest, Scope) {
    let labels = |vs: &mut dyn Iterator<Item = &Values>| -> Vec<String> {
        vs.map(|v| Label(&p.keys, v).to_string()).collect()
    };
    let whole = |why: &str| {
        let scope = Scope {
            compare: Compare::Dataset,
            candidate: labels(&mut candidate.partitions.iter().map(|s| &s.values)),
            baseline: labels(&mut baseline.partitions.iter().map(|s| &s.values)),
            why: why.to_string(),
        };
        (candidate.clone(), baseline.clone(), scope)
    };
    if p.compare == Compare::Dataset {
        return whole("compare = \"dataset\": the whole version against the whole baseline");
    }
    let latest = baseline
        .partitions
        .iter()
        .map(|s| &s.values)
        .max_by(|a, b| p.cmp(a, b));
    let Some(latest) = latest else {
        return whole(
            "the baseline has no partitions: the whole version against the whole baseline",
        );
    };
    let mut base: Vec<&Values> = Vec::new();
    let mut why = Vec::new();
    for t in touched {
        let label = Label(&p.keys, t);
        if baseline.partitions.iter().any(|s| &s.values == t) {
            base.push(t);
            why.push(format!("{label} replaced: against its previous self"));
        } else {
            base.push(latest);
            why.push(format!(
                "{label} new: against the most recent partition, {}",
                Label(&p.keys, latest)
            ));
        }
    }
    base.sort_by(|a, b| p.cmp(a, b));
    base.dedup();
    let cand = candidate.only(|f| touched.contains(&f.partition));
    let base_view = baseline.only(|f| base.contains(&&f.partition));
    let scope = Scope {
        compare: Compare::Partition,
        candidate: labels(&mut touched.iter()),
        baseline: labels(&mut base.iter().copied()),
        why: why.join("; "),
    };
    (cand, base_view, scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(d: &str) -> Values {
        [("date".to_string(), d.to_string())].into()
    }

    #[test]
    fn typed_values() {
        check_value("date", "2026-11-21", KeyType::Date).unwrap();
        assert!(check_value("date", "2026-13-01", KeyType::Date).is_err());
        assert!(check_value("date", "21/11/2026", KeyType::Date).is_err());
        check_value("n", "-3", KeyType::Int).unwrap();
        assert!(check_value("n", "3.5", KeyType::Int).is_err());
        for not_canonical in ["07", "+7", "-0"] {
            assert!(
                check_value("n", not_canonical, KeyType::Int).is_err(),
                "{not_canonical}"
            );
        }
        assert!(check_value("date", "+202-11-21", KeyType::Date).is_err());
        assert!(check_value("date", "2026-1-21", KeyType::Date).is_err());
    }

    #[test]
    fn int_keys_order_numerically() {
        let p = Partitioning {
            keys: vec!["n".into()],
            types: [("n".to_string(), KeyType::Int)].into(),
            compare: Compare::Partition,
        };
        let v = |s: &str| -> Values { [("n".to_string(), s.to_string())].into() };
        assert_eq!(p.cmp(&v("9"), &v("10")), Ordering::Less);
        let d = Partitioning {
            keys: vec!["date".into()],
            ..Default::default()
        };
        assert_eq!(
            d.cmp(&vals("2026-11-21"), &vals("2026-11-03")),
            Ordering::Greater
        );
    }

    #[test]
    fn paths() {
        let p = "versions/20261121T020000000Z-1a2b3c4d/data/date=2026-11-21/part-0.parquet";
        assert_eq!(logical_path(p), "date=2026-11-21/part-0.parquet");
        assert_eq!(origin(p), Some("20261121T020000000Z-1a2b3c4d"));
    }
}
