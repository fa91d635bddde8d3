//! A content marker, `content/<hex>.json`: which version holds a given content (SPEC.md, "Content
//! marker"), so a re-run of the same publish finds the version it already sealed.
//!
//! A lookup aid only: whoever follows one checks that the named version is sealed with this content
//! and not collected. The one object written compact (one line), and the one whose readers accept
//! unknown fields.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::names::VersionId;

pub const FORMAT: &str = "lastgood.content";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentMarker {
    pub format: String,
    /// The first version sealed with the content (or, after gc collected it, the next).
    pub version: VersionId,
}

impl ContentMarker {
    pub fn new(version: &VersionId) -> ContentMarker {
        ContentMarker {
            format: FORMAT.into(),
            version: version.clone(),
        }
    }

    pub fn to_bytes(&self) -> bytes::Bytes {
        // Plain data: serialization cannot fail.
        let mut v = serde_json::to_vec(self).unwrap_or_default();
        v.push(b'\n');
        v.into()
    }

    /// Parses the marker of `content_hash`; unknown fields are accepted (SPEC.md).
    pub fn parse(bytes: &[u8], content_hash: &str) -> Result<ContentMarker> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::Corrupt(format!("content marker {content_hash}: {e}")))
    }
}
