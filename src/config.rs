//! `lastgood.toml`: the root, the actor, and per-dataset settings.
//!
//! ```toml
//! root = "./lake"                 # a folder, file://, s3://bucket/prefix, gs://…, az://…
//! actor = "nightly-scorer"        # optional; default user@host
//!
//! [datasets.churn_scores]
//! validations = "validations/churn_scores.toml"
//! contract = "schemas/churn_scores.contract.json"
//!
//! [datasets.daily_scores]               # published one partition a night
//! partition_by = ["date"]
//! partition_types = { date = "date" }   # string (default), date, int
//! compare = "partition"                 # gates: like with like (default), or "dataset"
//! delta = true                          # a new dataset is also a Delta table (default)
//! success_marker = "_SUCCESS"           # refuse a source folder without it (a Spark job running)
//! ```
//!
//! Relative paths (a local root, validations, contract) are relative to the config file's folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::partition::{Compare, KeyType, Partitioning};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub root: Option<String>,
    pub actor: Option<String>,
    #[serde(default)]
    pub datasets: BTreeMap<String, DatasetConfig>,
    /// The folder of the config file, for relative paths.
    #[serde(skip)]
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetConfig {
    pub validations: Option<PathBuf>,
    pub contract: Option<PathBuf>,
    /// Partition keys, in folder order: the dataset is published a partition at a time.
    pub partition_by: Option<Vec<String>>,
    #[serde(default)]
    pub partition_types: BTreeMap<String, KeyType>,
    pub compare: Option<Compare>,
    /// Whether a new dataset gets the Delta Lake projection (`_delta_log/` at its root) with its
    /// first log entry [default: true]. An existing dataset keeps what it has; `lastgood delta build`
    /// turns the projection on for it.
    pub delta: Option<bool>,
    /// A file every source folder must hold before it is published (`_SUCCESS`, which Spark and
    /// Hadoop jobs write last): a folder still being written is refused, never sealed.
    pub success_marker: Option<String>,
    /// Orchestrators told of every pointer move and publish (`[datasets.NAME.notify.airflow]`,
    /// `[datasets.NAME.notify.openlineage]`): recorded with the dataset's rules. See
    /// [`crate::notify`].
    pub notify: Option<crate::notify::settings::Notify>,
}

impl DatasetConfig {
    /// The success marker, checked to be one plain file name.
    pub fn success_marker(&self) -> Result<Option<&str>> {
        match self.success_marker.as_deref() {
            Some(m) if m.is_empty() || m.contains(['/', '\\']) || m == "." || m == ".." => {
                Err(Error::input(format!(
                    "success_marker {m:?} in the dataset's config: a file name such as \"_SUCCESS\""
                )))
            }
            m => Ok(m),
        }
    }

    /// The declared partitioning, if any.
    pub fn partitioning(&self) -> Result<Option<Partitioning>> {
        let Some(keys) = &self.partition_by else {
            if !self.partition_types.is_empty() || self.compare.is_some() {
                return Err(Error::input(
                    "partition_types and compare need partition_by in the dataset's config",
                ));
            }
            return Ok(None);
        };
        let p = Partitioning {
            keys: keys.clone(),
            types: self.partition_types.clone(),
            compare: self.compare.unwrap_or_default(),
        };
        p.check_declaration()?;
        Ok(Some(p))
    }
}

impl Config {
    /// Loads `path`. A missing file is an error only when it was named explicitly.
    pub fn load(path: &Path, explicit: bool) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Config {
                    dir: PathBuf::from("."),
                    ..Default::default()
                });
            }
            Err(e) => return Err(Error::input(format!("config {}: {e}", path.display()))),
        };
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let mut c: Config = toml::from_str(text).map_err(|e| {
            Error::input(format!(
                "config {}{}: {}",
                path.display(),
                toml_position(text, e.span()),
                e.message()
            ))
        })?;
        c.dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(c)
    }

    /// The root to use: the flag, else the config's (a relative local root taken from the config's
    /// folder).
    pub fn root(&self, flag: Option<&str>) -> Result<String> {
        if let Some(r) = flag {
            return Ok(r.to_string());
        }
        match &self.root {
            Some(r) if r.contains("://") || Path::new(r).is_absolute() => Ok(r.clone()),
            Some(r) => Ok(self.dir.join(r).display().to_string()),
            None => Err(Error::input(
                "no root: pass --root DIR|URL, set LASTGOOD_ROOT, or set root in lastgood.toml",
            )),
        }
    }

    pub fn dataset(&self, name: &str) -> DatasetConfig {
        let mut d = self.datasets.get(name).cloned().unwrap_or_default();
        d.validations = d.validations.map(|p| self.dir.join(p));
        d.contract = d.contract.map(|p| self.dir.join(p));
        d
    }
}

/// ` at line L, column C` for a TOML error's span, for messages.
pub(crate) fn toml_position(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| {
        let before = &text[..s.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count() + 1)
            .unwrap_or(1);
        format!(" at line {line}, column {col}")
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_toml_names_line_and_column() {
        let err =
            Config::parse("root = \"x\"\nactor = = 3\n", Path::new("lastgood.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 2, column"), "{msg}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(Config::parse("rot = \"x\"\n", Path::new("c.toml")).is_err());
    }

    #[test]
    fn relative_root_is_taken_from_the_config_folder() {
        let c = Config::parse("root = \"lake\"\n", Path::new("/etc/lg/lastgood.toml")).unwrap();
        assert_eq!(c.root(None).unwrap(), "/etc/lg/lake");
        assert_eq!(c.root(Some("s3://b/p")).unwrap(), "s3://b/p");
    }
}
