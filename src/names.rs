//! Dataset names and version ids: the only user-given strings that become parts of store paths.
//!
//! Both allow `[A-Za-z0-9._-]`, 1 to 128 characters, starting with a letter or digit. That excludes
//! `/`, `..`, spaces, control and look-alike unicode characters, and hidden or underscore-prefixed
//! names, so a name can never escape the dataset's prefix nor be skipped by Spark-style readers.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const MAX_LEN: usize = 128;

fn check(what: &str, s: &str) -> Result<()> {
    let why = if s.is_empty() {
        Some("it is empty".to_string())
    } else if s.len() > MAX_LEN {
        Some(format!("it is longer than {MAX_LEN} characters"))
    } else if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(format!(
            "it contains {c:?}; only A-Z a-z 0-9 . _ - are allowed"
        ))
    } else if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("it must start with a letter or digit".to_string())
    } else {
        None
    };
    match why {
        Some(why) => Err(Error::Input(format!("invalid {what} {s:?}: {why}"))),
        None => Ok(()),
    }
}

/// A validated dataset name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DatasetName(String);

/// A validated version id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VersionId(String);

macro_rules! name_type {
    ($t:ident, $what:literal) => {
        impl $t {
            pub fn new(s: impl Into<String>) -> Result<Self> {
                let s = s.into();
                check($what, &s)?;
                Ok($t(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                $t::new(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                $t::new(s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
name_type!(DatasetName, "dataset name");
name_type!(VersionId, "version id");

impl VersionId {
    /// A generated id: UTC time to the millisecond, then the first 8 hex digits of the content hash,
    /// so ids sort by publish time and say what they hold (`20261122T023000123Z-1a2b3c4d`).
    pub fn generate(at: DateTime<Utc>, content_hash: &str) -> Self {
        let hex: String = content_hash
            .trim_start_matches("blake3:")
            .chars()
            .take(8)
            .collect();
        VersionId(format!("{}-{hex}", at.format("%Y%m%dT%H%M%S%3fZ")))
    }
}

/// A `key=value` pair given on the command line (`--meta`, `--partition`).
pub fn parse_pair(s: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Error::Input(format!("expected key=value, got {s:?}"))),
    }
}

/// A Hive partition `key=value`: the key a column-like name, the value safe as one path segment.
pub fn check_partition(key: &str, value: &str) -> Result<()> {
    let key_ok = !key.is_empty()
        && key.len() <= MAX_LEN
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !key_ok {
        return Err(Error::Input(format!(
            "invalid partition key {key:?}: use letters, digits and _ (not starting with a digit)"
        )));
    }
    let value_ok = !value.is_empty()
        && value.len() <= MAX_LEN
        && value != "."
        && value != ".."
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '+'));
    if !value_ok {
        return Err(Error::Input(format!(
            "invalid partition value {value:?} for {key:?}: use A-Z a-z 0-9 . _ - : +"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for ok in ["churn", "churn_scores.v2", "2026-11-21", "A-b.c_d"] {
            DatasetName::new(ok).unwrap();
            VersionId::new(ok).unwrap();
        }
    }

    #[test]
    fn rejects_escapes_and_lookalikes() {
        for bad in [
            "",
            "a/b",
            "..",
            ".hidden",
            "_tmp",
            "a b",
            "a\nb",
            "a\u{0}b",
            "ѕcores",
            "a\u{2024}b",
            "x\\y",
        ] {
            let err = VersionId::new(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
            assert!(err.to_string().starts_with("invalid version id"), "{err}");
        }
        assert!(DatasetName::new("a".repeat(129)).is_err());
    }

    #[test]
    fn generated_ids_sort_by_time() {
        let a = VersionId::generate(
            "2026-11-21T23:59:59.999Z".parse().unwrap(),
            "blake3:ffff0000aaaa",
        );
        let b = VersionId::generate("2026-11-22T00:00:00Z".parse().unwrap(), "blake3:0000ffff");
        assert_eq!(a.as_str(), "20261121T235959999Z-ffff0000");
        assert!(a < b);
        VersionId::new(a.as_str()).unwrap();
    }

    #[test]
    fn partitions() {
        check_partition("date", "2026-11-21").unwrap();
        assert!(check_partition("date", "../x").is_err());
        assert!(check_partition("da/te", "x").is_err());
        assert!(check_partition("date", "").is_err());
    }
}
