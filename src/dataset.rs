//! A dataset: a store, a layout, reading its sealed versions, sealing one, and its content markers.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::manifest::{self, Manifest};
use crate::names::{DatasetName, VersionId};
use crate::spec::content_marker::ContentMarker;
use crate::store::{Put, Store};

#[derive(Debug, Clone)]
pub struct Dataset {
    pub store: Store,
    pub layout: Layout,
    /// Whether the dataset gets the Delta projection ([`crate::delta`]) when its first log entry is
    /// written (default true; `delta = false` in lastgood.toml). Once the log has entries, the store
    /// decides: the projection is on exactly when its Delta version 0 exists.
    pub delta: bool,
}

/// A sealed version's manifest and the checksum of its exact bytes.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub manifest: Manifest,
    pub checksum: String,
}

impl Dataset {
    pub fn new(store: Store, name: DatasetName) -> Self {
        let layout = Layout::new(store.base(), name);
        Dataset {
            store,
            layout,
            delta: true,
        }
    }

    /// The error for a dataset that does not exist under the root (exit 2).
    pub fn not_found(&self) -> Error {
        Error::NotFound(format!(
            "dataset {} not found at {}",
            self.name(),
            self.store.display()
        ))
    }

    pub fn name(&self) -> &DatasetName {
        self.layout.dataset()
    }

    /// The manifest of `v`, or `None` when the version is not sealed (absent or still uploading).
    pub async fn sealed(&self, v: &VersionId) -> Result<Option<Sealed>> {
        let Some(bytes) = self.store.get(&self.layout.manifest(v)).await? else {
            return Ok(None);
        };
        Ok(Some(Self::parse_sealed(&bytes, &self.layout, v)?))
    }

    fn parse_sealed(bytes: &Bytes, layout: &Layout, v: &VersionId) -> Result<Sealed> {
        Ok(Sealed {
            manifest: Manifest::parse(bytes, layout, v)?,
            checksum: manifest::checksum(bytes),
        })
    }

    /// Like [`Dataset::sealed`], but a missing version is an error naming it.
    pub async fn require(&self, v: &VersionId) -> Result<Sealed> {
        self.sealed(v).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "version {v} of dataset {} not found (or not sealed) at {}",
                self.name(),
                self.store.display()
            ))
        })
    }

    /// Like [`Dataset::require`], and the manifest's bytes must still hash to `checksum` (recorded
    /// when the pointer moved to it).
    pub async fn require_verified(&self, v: &VersionId, checksum: Option<&str>) -> Result<Sealed> {
        let s = self.require(v).await?;
        match checksum {
            Some(c) if c != s.checksum => Err(Error::Corrupt(format!(
                "manifest of {}/{v} changed since the pointer moved to it ({} now, {c} recorded)",
                self.name(),
                s.checksum
            ))),
            _ => Ok(s),
        }
    }

    /// Writes a manifest create-if-absent: the version is sealed. A manifest already there (a
    /// concurrent or interrupted run) must hold the same content.
    pub async fn seal(&self, m: &Manifest) -> Result<Sealed> {
        let id = &m.version;
        if self
            .store
            .create(&self.layout.manifest(id), m.to_bytes())
            .await?
            == Put::Exists
        {
            let other = self.require(id).await?;
            if other.manifest.content_hash != m.content_hash {
                return Err(Error::Refused(format!(
                    "version {id} of {} was sealed concurrently with other content",
                    self.name()
                )));
            }
            return Ok(other);
        }
        self.require(id).await
    }

    /// The version `content/<hash>.json` names, if any (it may since have been collected).
    pub async fn marked_version(&self, content_hash: &str) -> Result<Option<VersionId>> {
        match self
            .store
            .get(&self.layout.content_marker(content_hash))
            .await?
        {
            Some(b) => Ok(Some(ContentMarker::parse(&b, content_hash)?.version)),
            None => Ok(None),
        }
    }

    /// The sealed version holding exactly this content, if any.
    pub async fn version_with_content(&self, content_hash: &str) -> Result<Option<VersionId>> {
        let Some(v) = self.marked_version(content_hash).await? else {
            return Ok(None);
        };
        Ok(self
            .sealed(&v)
            .await?
            .filter(|s| s.manifest.content_hash == content_hash)
            .map(|_| v))
    }

    /// Records which version holds a manifest's content (create-if-absent: the first one keeps it).
    pub async fn mark_content(&self, m: &Manifest) -> Result<()> {
        self.store
            .create(
                &self.layout.content_marker(&m.content_hash),
                ContentMarker::new(&m.version).to_bytes(),
            )
            .await?;
        Ok(())
    }

    /// Points the marker of `content_hash` at `v`: only when the version it names was collected
    /// (a collected id is never sealed again; its content lives on under a new one).
    pub async fn remark_content(&self, content_hash: &str, v: &VersionId) -> Result<()> {
        self.store
            .overwrite(
                &self.layout.content_marker(content_hash),
                ContentMarker::new(v).to_bytes(),
            )
            .await
    }

    /// Every version folder under `versions/`, sealed or not, by id.
    pub async fn version_ids(&self) -> Result<Vec<VersionId>> {
        let mut ids: Vec<VersionId> = self
            .store
            .list_dirs(&self.layout.versions_prefix())
            .await?
            .into_iter()
            .filter_map(|d| VersionId::new(d).ok())
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Every version folder with its manifest (`None`: unsealed), by id. A folder that holds no
    /// object is left out: some S3 servers keep an empty "folder" after its objects are deleted.
    pub async fn versions(&self) -> Result<Vec<(VersionId, Option<Sealed>)>> {
        let ids = self.version_ids().await?;
        let mut out = Vec::with_capacity(ids.len());
        for (v, s) in self.sealed_many(&ids).await? {
            if s.is_none()
                && self
                    .store
                    .list(&self.layout.version_prefix(&v))
                    .await?
                    .is_empty()
            {
                continue;
            }
            out.push((v, s));
        }
        Ok(out)
    }

    /// The manifests of many versions, read concurrently; `None` for unsealed ones.
    pub async fn sealed_many(&self, ids: &[VersionId]) -> Result<Vec<(VersionId, Option<Sealed>)>> {
        futures::stream::iter(ids.iter().cloned())
            .map(|v| async move {
                let s = self.sealed(&v).await?;
                Ok::<_, Error>((v, s))
            })
            .buffered(16)
            .try_collect()
            .await
    }
}
