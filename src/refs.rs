//! Refs: the names a person types for a version instead of its 28-character id.
//!
//! 1. A keyword is read from the pointer's head: `current` (what consumers read), `lkg` (the
//!    last-known-good: where `pointer revert` goes), `previous` (the version the pointer held before
//!    it moved to the current one), `latest` (the newest sealed version, whatever its verdict).
//! 2. `@N` is the version the pointer held after history entry N (`lastgood pointer history`).
//! 3. Anything else is a version id or a unique prefix of one, as git takes commit ids: an exact id
//!    wins; a prefix that matches several versions is an error listing them.
//!
//! Keywords are reserved: a version whose id is a keyword is named by a longer prefix or its full
//! id with a trailing `!` (`current!`), which is always taken literally.

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::names::VersionId;
use crate::pointer;

/// What a ref names; `parse` never reads the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Current,
    LastKnownGood,
    Previous,
    Latest,
    /// The version the pointer held after this history entry.
    At(u64),
    /// An id, or a prefix of one.
    Prefix(String),
    /// An id taken literally (`ID!`).
    Exact(VersionId),
}

/// The words `parse` reserves, for help texts and errors.
pub const KEYWORDS: &str = "current, lkg, previous, latest, @N";

impl Ref {
    pub fn parse(s: &str) -> Result<Ref> {
        let s = s.trim();
        Ok(match s {
            "current" | "HEAD" => Ref::Current,
            "lkg" | "last-known-good" => Ref::LastKnownGood,
            "previous" | "prev" => Ref::Previous,
            "latest" => Ref::Latest,
            _ if s.starts_with('@') => {
                let n = s[1..].parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Error::input(format!(
                        "bad ref {s:?}: @N takes a history position (1, 2, …; see `lastgood pointer history`)"
                    ))
                })?;
                Ref::At(n)
            }
            _ if s.ends_with('!') => Ref::Exact(VersionId::new(&s[..s.len() - 1])?),
            _ => {
                // A prefix is checked like an id, so it can never reach a store path unchecked.
                VersionId::new(s)?;
                Ref::Prefix(s.to_string())
            }
        })
    }
}

/// The version `s` names in `ds`. Errors name the ref and say what exists.
pub async fn resolve(ds: &Dataset, s: &str) -> Result<VersionId> {
    let r = Ref::parse(s)?;
    let none =
        |what: &str| Error::NotFound(format!("version {s:?} of {} not found: {what}", ds.name()));
    match r {
        Ref::Exact(v) => Ok(v),
        Ref::Current => pointer::read_head(ds)
            .await?
            .state()
            .version
            .ok_or_else(|| none("the pointer has never moved")),
        Ref::LastKnownGood => pointer::read_head(ds)
            .await?
            .state()
            .last_known_good()
            .cloned()
            .ok_or_else(|| none("there is no last-known-good version (nothing to revert to)")),
        Ref::Previous => {
            let head = pointer::read_head(ds).await?;
            let state = head.state();
            let Some(at) = state.moved_at_seq.or(head.entry.as_ref().map(|e| e.seq)) else {
                return Err(none("the pointer has never moved"));
            };
            let mover = match &head.entry {
                Some(e) if e.seq == at => Some(e.clone()),
                _ => pointer::read_entry(ds, at).await?.map(|(e, _)| e),
            };
            mover
                .and_then(|e| e.from)
                .ok_or_else(|| none("the pointer held nothing before the current version"))
        }
        Ref::At(n) => {
            let (e, _) = pointer::read_entry(ds, n).await?.ok_or_else(|| {
                none(&format!(
                    "there is no history entry {n} (`lastgood pointer history {}` lists them)",
                    ds.name()
                ))
            })?;
            e.state
                .version
                .ok_or_else(|| none(&format!("the pointer held no version after entry {n}")))
        }
        Ref::Latest => {
            let sealed = ds.versions().await?;
            sealed
                .into_iter()
                .filter_map(|(v, s)| s.map(|s| (s.manifest.created_at, v)))
                .max()
                .map(|(_, v)| v)
                .ok_or_else(|| none("no version is sealed"))
        }
        Ref::Prefix(p) => {
            let ids = ds.version_ids().await?;
            if let Some(v) = ids.iter().find(|v| v.as_str() == p) {
                return Ok(v.clone());
            }
            let hits: Vec<&VersionId> = ids.iter().filter(|v| v.as_str().starts_with(&p)).collect();
            match hits.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(Error::NotFound(format!(
                    "version {p:?} of {} not found (or not sealed): no version id starts with it ({} versions; refs: {KEYWORDS})",
                    ds.name(),
                    ids.len()
                ))),
                many => {
                    let shown: Vec<&str> = many.iter().take(5).map(|v| v.as_str()).collect();
                    Err(Error::input(format!(
                        "ref {p:?} is ambiguous in {}: {} versions start with it ({}{}); type more of the id",
                        ds.name(),
                        many.len(),
                        shown.join(", "),
                        if many.len() > 5 { ", …" } else { "" }
                    )))
                }
            }
        }
    }
}

/// Like [`resolve`] for an optional ref.
pub async fn resolve_opt(ds: &Dataset, s: Option<&str>) -> Result<Option<VersionId>> {
    match s {
        Some(s) => resolve(ds, s).await.map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keywords_positions_and_prefixes() {
        assert_eq!(Ref::parse("current").unwrap(), Ref::Current);
        assert_eq!(Ref::parse("lkg").unwrap(), Ref::LastKnownGood);
        assert_eq!(Ref::parse("@3").unwrap(), Ref::At(3));
        assert!(Ref::parse("@0").is_err());
        assert!(Ref::parse("@x").is_err());
        assert!(Ref::parse("../x").is_err());
        assert_eq!(
            Ref::parse("2026112").unwrap(),
            Ref::Prefix("2026112".into())
        );
        assert_eq!(
            Ref::parse("latest!").unwrap(),
            Ref::Exact(VersionId::new("latest").unwrap())
        );
    }
}
