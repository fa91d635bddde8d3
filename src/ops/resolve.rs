//! `lastgood resolve`: the files of the current version (or any version, or any history position),
//! for consumers.
//!
//! The current version comes from the log's head, not from the pointer file alone, and its manifest
//! must hash to the checksum recorded when the pointer moved: a reader never gets files of a version
//! whose manifest was changed.

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::names::VersionId;
use crate::partition;
use crate::pointer::{self, PointerFileEntry};

/// Which version to resolve.
#[derive(Debug, Clone, Default)]
pub enum At {
    /// Where the pointer is now.
    #[default]
    Current,
    /// A given sealed version.
    Version(VersionId),
    /// Where the pointer was after log entry `seq`.
    Seq(u64),
}

impl At {
    /// The position a ref names: `@N` is a history position (its manifest checksum is checked as
    /// for `--seq`), `current` the head, anything else the version it resolves to.
    pub async fn from_ref(ds: &Dataset, r: &str) -> Result<At> {
        Ok(match crate::refs::Ref::parse(r)? {
            crate::refs::Ref::At(n) => At::Seq(n),
            crate::refs::Ref::Current => At::Current,
            _ => At::Version(crate::refs::resolve(ds, r).await?),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resolved {
    pub dataset: String,
    pub version: String,
    /// The log position the version was resolved through (none for `--version`).
    pub seq: Option<u64>,
    pub rows: u64,
    pub files: Vec<PointerFileEntry>,
}

impl Resolved {
    /// Keeps only the files of the partitions `selectors` match (any of them; a selector may name
    /// some of the keys). Nothing matching is an error naming the selector.
    pub fn narrow(&mut self, selectors: &[partition::Values]) -> Result<()> {
        if selectors.is_empty() {
            return Ok(());
        }
        let hit = |f: &PointerFileEntry| {
            selectors
                .iter()
                .any(|sel| sel.iter().all(|(k, v)| f.partition.get(k) == Some(v)))
        };
        for sel in selectors {
            if !self
                .files
                .iter()
                .any(|f| sel.iter().all(|(k, v)| f.partition.get(k) == Some(v)))
            {
                let keys: Vec<String> = sel.keys().cloned().collect();
                return Err(Error::NotFound(format!(
                    "no partition {} in version {} of {}",
                    partition::Label(&keys, sel),
                    self.version,
                    self.dataset
                )));
            }
        }
        self.files.retain(hit);
        self.rows = self.files.iter().map(|f| f.rows).sum();
        Ok(())
    }
}

pub async fn resolve(ds: &Dataset, at: &At) -> Result<(Resolved, Sealed)> {
    let (v, seq, sealed) = match at {
        At::Version(v) => (v.clone(), None, ds.require(v).await?),
        At::Current | At::Seq(_) => {
            let entry = match at {
                At::Seq(seq) => pointer::read_entry(ds, *seq)
                    .await?
                    .map(|(e, _)| e)
                    .ok_or_else(|| {
                        Error::NotFound(format!("no log entry {seq} in {}", ds.name()))
                    })?,
                _ => pointer::read_head(ds).await?.entry.ok_or_else(|| {
                    Error::NotFound(format!(
                        "dataset {} has no current version at {}",
                        ds.name(),
                        ds.store.display()
                    ))
                })?,
            };
            let v = entry.state.version.clone().ok_or_else(|| {
                Error::NotFound(format!(
                    "the pointer of {} names no version at entry {}",
                    ds.name(),
                    entry.seq
                ))
            })?;
            let sealed = ds.require_verified(&v, entry.recorded_checksum(&v)).await?;
            (v, Some(entry.seq), sealed)
        }
    };
    let files = PointerFileEntry::all(ds, &sealed.manifest)?;
    let resolved = Resolved {
        dataset: ds.name().to_string(),
        version: v.to_string(),
        seq,
        rows: sealed.manifest.rows,
        files,
    };
    Ok((resolved, sealed))
}
