//! The pointer file, `<dataset>/pointer.json`: everything a consumer needs in one small object.
//!
//! Consumers read only this file: the version, its manifest, and its data files as dataset-relative
//! paths and as full URLs. It is derived from the log's head and rewritten (atomically) after every
//! move; the log stays the source of truth.

use crate::dataset::Dataset;
use crate::error::Result;
use crate::layout::Layout;
use crate::manifest::Manifest;
use crate::spec::log_entry::LogEntry;
pub use crate::spec::pointer_file::{FORMAT, FORMAT_VERSION, PointerFile, PointerFileEntry};

impl PointerFileEntry {
    /// The files of a manifest, with their full URLs on the dataset's store.
    pub fn all(ds: &Dataset, manifest: &Manifest) -> Result<Vec<PointerFileEntry>> {
        manifest
            .files
            .iter()
            .map(|f| {
                Ok(PointerFileEntry {
                    path: f.path.clone(),
                    url: ds.store.url_of(&ds.layout.resolve(&f.path)?),
                    size: f.size,
                    rows: f.rows,
                    partition: f.partition.clone(),
                })
            })
            .collect()
    }
}

impl PointerFile {
    pub fn new(
        ds: &Dataset,
        entry: &LogEntry,
        manifest: &Manifest,
        manifest_checksum: &str,
    ) -> Result<Self> {
        let files = PointerFileEntry::all(ds, manifest)?;
        Ok(PointerFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            dataset: ds.layout.dataset().clone(),
            version: manifest.version.clone(),
            seq: entry.seq,
            updated_at: entry.at,
            manifest: Layout::manifest_rel(&manifest.version),
            manifest_checksum: manifest_checksum.to_string(),
            root: Self::root_of(ds),
            rows: manifest.rows,
            files,
        })
    }

    /// The URL of the dataset's prefix as this store reaches it, ending in `/`.
    pub fn root_of(ds: &Dataset) -> String {
        format!("{}/", ds.store.url_of(ds.layout.prefix()))
    }

    /// Why this file's URLs do not lead to where it was read (a copied or mirrored dataset: its
    /// `root` and `url`s still name the original), if they do not.
    pub fn elsewhere(&self, ds: &Dataset) -> Option<String> {
        let here = Self::root_of(ds);
        let derived = |f: &PointerFileEntry| {
            ds.layout
                .resolve(&f.path)
                .is_ok_and(|p| ds.store.url_of(&p) == f.url)
        };
        if self.root != here {
            return Some(format!(
                "names root {} but is read from {here} (a copy or mirror: its urls lead to the original)",
                self.root
            ));
        }
        self.files.iter().find(|f| !derived(f)).map(|f| {
            format!(
                "file url {} is not {here} followed by its path {}",
                f.url, f.path
            )
        })
    }
}
