//! Where everything lives on the store: the only module that formats store paths.
//!
//! ```text
//! <root>/<dataset>/
//!   pointer.json                              the consumers' pointer file (overwritten)
//!   log/00000000000000000001.json             pointer history, one entry per seq (create-if-absent)
//!   versions/<id>/data/<rel>.parquet          the version's data files (create-if-absent)
//!   versions/<id>/manifest.json               seals the version (create-if-absent, written last)
//!   versions/<id>/reports/<name>.json         gate reports about the version (create-if-absent)
//!   content/<blake3>.json                     content hash -> version id, for idempotent re-publish
//!   gc.clock                                  overwritten by gc to read the store's clock
//!   rules/<blake3>.json                       the dataset's rules, by checksum (create-if-absent)
//!   _delta_log/00000000000000000001.json      the pointer as a Delta table, one commit per log entry
//!   _delta_log/<v>.checkpoint.parquet          every 100 commits; and _delta_log/_last_checkpoint
//! ```
//!
//! Paths inside manifests and pointer files are relative to the dataset's prefix (`versions/...`),
//! so a dataset can be copied or mirrored as a whole. [`Layout::resolve`] turns such a relative path
//! back into a store path and refuses any that could leave the dataset's prefix.

use object_store::path::Path;

use crate::error::{Error, Result};
use crate::names::{DatasetName, VersionId};

pub const POINTER_FILE: &str = "pointer.json";
pub const MANIFEST_FILE: &str = "manifest.json";
const SEQ_WIDTH: usize = 20;

/// The paths of one dataset under a root prefix on a store.
#[derive(Debug, Clone)]
pub struct Layout {
    prefix: Path,
    dataset: DatasetName,
}

impl Layout {
    /// `base` is the root's prefix on its store (may be empty).
    pub fn new(base: &Path, dataset: DatasetName) -> Self {
        let prefix = base.clone().join(dataset.as_str());
        Layout { prefix, dataset }
    }

    pub fn dataset(&self) -> &DatasetName {
        &self.dataset
    }

    /// The dataset's own prefix, `<root>/<dataset>`.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    fn at(&self, rel: &str) -> Path {
        rel.split('/')
            .fold(self.prefix.clone(), |p, seg| p.join(seg))
    }

    pub fn pointer_file(&self) -> Path {
        self.at(POINTER_FILE)
    }

    /// `gc.clock`: overwritten by gc to read the store's own time (its last-modified stamp).
    pub fn clock_probe(&self) -> Path {
        self.at("gc.clock")
    }

    pub fn log_prefix(&self) -> Path {
        self.at("log")
    }

    pub fn log_entry(&self, seq: u64) -> Path {
        self.at(&format!("log/{seq:0SEQ_WIDTH$}.json"))
    }

    pub fn delta_log_prefix(&self) -> Path {
        self.at("_delta_log")
    }

    /// The Delta commit of table version `v` (the projection of log entry `v`).
    pub fn delta_commit(&self, v: u64) -> Path {
        self.at(&format!("_delta_log/{v:0SEQ_WIDTH$}.json"))
    }

    pub fn delta_checkpoint(&self, v: u64) -> Path {
        self.at(&format!("_delta_log/{v:0SEQ_WIDTH$}.checkpoint.parquet"))
    }

    pub fn delta_last_checkpoint(&self) -> Path {
        self.at("_delta_log/_last_checkpoint")
    }

    /// The rules object whose bytes hash to `blake3:<hex>`.
    pub fn rules(&self, hex: &str) -> Path {
        self.at(&format!("rules/{hex}.json"))
    }

    pub fn versions_prefix(&self) -> Path {
        self.at("versions")
    }

    pub fn version_prefix(&self, v: &VersionId) -> Path {
        self.at(&format!("versions/{v}"))
    }

    pub fn manifest(&self, v: &VersionId) -> Path {
        self.at(&format!("versions/{v}/{MANIFEST_FILE}"))
    }

    pub fn manifest_rel(v: &VersionId) -> String {
        format!("versions/{v}/{MANIFEST_FILE}")
    }

    /// The dataset-relative path of a data file of version `v`; `rel` is already checked by the caller
    /// (see [`check_rel`]).
    pub fn data_rel(v: &VersionId, rel: &str) -> String {
        format!("versions/{v}/data/{rel}")
    }

    pub fn report(&self, v: &VersionId, name: &str) -> Path {
        self.at(&format!("versions/{v}/reports/{name}.json"))
    }

    pub fn reports_prefix(&self, v: &VersionId) -> Path {
        self.at(&format!("versions/{v}/reports"))
    }

    pub fn content_marker(&self, content_hash: &str) -> Path {
        let hex = content_hash.trim_start_matches("blake3:");
        self.at(&format!("content/{hex}.json"))
    }

    /// A dataset-relative path from a manifest or pointer file, as a store path. Refuses anything
    /// that is not below `versions/`, or that has empty, `.` or `..` segments.
    pub fn resolve(&self, rel: &str) -> Result<Path> {
        check_rel(rel)?;
        if !rel.starts_with("versions/") {
            return Err(Error::Corrupt(format!(
                "path {rel:?} in {} is not under versions/",
                self.dataset
            )));
        }
        Ok(self.at(rel))
    }

    /// Parses the seq out of a log entry's file name.
    pub fn seq_of(path: &Path) -> Option<u64> {
        let name = path.filename()?;
        let digits = name.strip_suffix(".json")?;
        (digits.len() == SEQ_WIDTH && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())?
    }
}

/// A relative path (`date=2026-11-21/part-0.parquet`) safe to place under a prefix: non-empty
/// segments of printable characters other than `\`, none `.` or `..`.
pub fn check_rel(rel: &str) -> Result<()> {
    let bad = rel.is_empty()
        || rel.starts_with('/')
        || rel
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
        || rel.chars().any(|c| c.is_control() || c == '\\');
    if bad {
        return Err(Error::Corrupt(format!("unsafe relative path {rel:?}")));
    }
    Ok(())
}

/// The path of a file below its version's `data/` folder: where it sits within any version that
/// lists it (`versions/<id>/data/date=…/part-0.parquet` → `date=…/part-0.parquet`).
pub fn logical_path(file_path: &str) -> &str {
    let mut parts = file_path.splitn(4, '/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("versions"), Some(_), Some("data"), Some(rest)) => rest,
        _ => file_path,
    }
}

/// The version whose folder holds a file (`versions/<id>/…`).
pub fn origin(file_path: &str) -> Option<&str> {
    let mut parts = file_path.split('/');
    match (parts.next(), parts.next()) {
        (Some("versions"), Some(id)) => Some(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::new(&Path::from("lake/root"), DatasetName::new("churn").unwrap())
    }

    #[test]
    fn paths() {
        let l = layout();
        let v = VersionId::new("v1").unwrap();
        assert_eq!(l.pointer_file().as_ref(), "lake/root/churn/pointer.json");
        assert_eq!(
            l.log_entry(7).as_ref(),
            "lake/root/churn/log/00000000000000000007.json"
        );
        assert_eq!(Layout::seq_of(&l.log_entry(7)), Some(7));
        assert_eq!(
            l.manifest(&v).as_ref(),
            "lake/root/churn/versions/v1/manifest.json"
        );
        let rel = Layout::data_rel(&v, "date=2026-11-21/part-0.parquet");
        assert_eq!(
            l.resolve(&rel).unwrap().as_ref(),
            "lake/root/churn/versions/v1/data/date=2026-11-21/part-0.parquet"
        );
    }

    #[test]
    fn resolve_refuses_escapes() {
        let l = layout();
        for bad in [
            "../other/x",
            "versions/../../x",
            "/etc/passwd",
            "versions//x",
            "log/1.json",
            "versions/a\\b",
        ] {
            assert!(l.resolve(bad).is_err(), "{bad}");
        }
    }
}
