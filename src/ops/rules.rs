//! The dataset's rules on the store: partitioning, gates, contract and success marker, recorded
//! with the dataset so that every writer on every machine judges and partitions alike.
//!
//! The rules are a JSON object, `rules/<hex>.json`, named by the blake3 of its bytes and written
//! create-if-absent; the log's state names the one in force (`state.rules`). It is put in force by
//! the first entry a publish writes for a dataset that has none recorded, and changed only on
//! purpose by a `configure` entry (`lastgood rules set`: who, when, why, and what changed).
//!
//! A writer's rules are settled by [`settle`]:
//! 1. Read the head; load the rules it names (their checksum verified).
//! 2. No local rules (no lastgood.toml section, no conventional files, no flags): the store's.
//! 3. Local rules and none on the store: the local ones, written and recorded by the publish.
//! 4. Local rules that differ from the store's: refused (exit 2), naming every difference.
//!
//! The gates and contract are the existing types serialized ([`GateSpec`], [`Contract`]): one
//! format, read back through the same strict checks as the TOML.

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::gates::{Contract, GateSpec, Validations};
use crate::ops::validate::Rules;
use crate::partition::Partitioning;
use crate::pointer::{self, Action, Move};
use crate::spec::detail::{ConfigureDetail, Detail};
pub use crate::spec::rules::{FORMAT, FORMAT_VERSION};

/// One dataset's rules, as stored (the record [`crate::spec::rules::Rules`] with the gates'
/// configuration types).
pub type DatasetRules = crate::spec::rules::Rules<GateSpec, Contract>;

impl DatasetRules {
    pub fn new(
        partitioning: Option<Partitioning>,
        rules: &Rules,
        success_marker: Option<&str>,
    ) -> Self {
        DatasetRules {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            partitioning,
            gates: rules.validations.gates.clone(),
            contract: rules.contract.clone(),
            success_marker: success_marker.map(str::to_string),
            notify: None,
        }
    }

    /// The gates and contract to judge by; reports name the rules' checksum as their source.
    pub fn to_rules(&self, checksum: &str) -> Rules {
        let source = format!("rules/{}.json", hex(checksum));
        Rules {
            validations: Validations {
                gates: self.gates.clone(),
                source: Some(source.clone().into()),
                checksum: Some(checksum.to_string()),
                contract: None,
            },
            contract: self.contract.clone().map(|mut c| {
                c.path = source.into();
                c.checksum = checksum.to_string();
                c
            }),
        }
    }

    /// What differs from `self` (the rules in force) to `other` (the proposed), one line each.
    pub fn differences(&self, other: &DatasetRules) -> Vec<String> {
        let mut out = Vec::new();
        let part = |p: &Option<Partitioning>| match p {
            None => "none (whole dataset)".to_string(),
            Some(p) => {
                let keys: Vec<String> = p
                    .keys
                    .iter()
                    .map(|k| format!("{k}:{}", json_str(&p.key_type(k)).trim_matches('"')))
                    .collect();
                format!(
                    "by {} compare {}",
                    keys.join(","),
                    json_str(&p.compare).trim_matches('"')
                )
            }
        };
        if self.partitioning != other.partitioning {
            out.push(format!(
                "partitioning {} -> {}",
                part(&self.partitioning),
                part(&other.partitioning)
            ));
        }
        let names = |g: &[GateSpec]| g.iter().map(|g| g.name.clone()).collect::<Vec<_>>();
        for g in &self.gates {
            match other.gates.iter().find(|o| o.name == g.name) {
                None => out.push(format!("gate {:?} removed", g.name)),
                Some(o) if o != g => out.push(format!(
                    "gate {:?} changed: {} -> {}",
                    g.name,
                    json_str(g),
                    json_str(o)
                )),
                Some(_) => {}
            }
        }
        for o in &other.gates {
            if !self.gates.iter().any(|g| g.name == o.name) {
                out.push(format!("gate {:?} added: {}", o.name, json_str(o)));
            }
        }
        if out.is_empty() && names(self.gates.as_slice()) != names(other.gates.as_slice()) {
            out.push("gates reordered".into());
        }
        let contract = |c: &Option<Contract>| c.as_ref().map(json_str);
        if contract(&self.contract) != contract(&other.contract) {
            let show = |c: &Option<Contract>| match c {
                None => "none".to_string(),
                Some(c) => format!("{} columns", c.columns.len()),
            };
            let mut line = format!(
                "contract {} -> {}",
                show(&self.contract),
                show(&other.contract)
            );
            if let (Some(a), Some(b)) = (&self.contract, &other.contract) {
                let cols = |c: &Contract| c.columns.iter().map(json_str).collect::<Vec<_>>();
                let (ca, cb) = (cols(a), cols(b));
                let gone: Vec<_> = ca.iter().filter(|c| !cb.contains(c)).cloned().collect();
                let new: Vec<_> = cb.iter().filter(|c| !ca.contains(c)).cloned().collect();
                line.push_str(&format!(
                    " (removed {}; added {})",
                    gone.join(", "),
                    new.join(", ")
                ));
            }
            out.push(line);
        }
        if self.success_marker != other.success_marker {
            out.push(format!(
                "success_marker {:?} -> {:?}",
                self.success_marker, other.success_marker
            ));
        }
        if self.notify != other.notify {
            let show = |n: &Option<crate::notify::settings::Notify>| match n {
                Some(n) if !n.is_empty() => json_str(n),
                _ => "none".to_string(),
            };
            out.push(format!(
                "notify {} -> {}",
                show(&self.notify),
                show(&other.notify)
            ));
        }
        out
    }
}

fn json_str<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn hex(checksum: &str) -> &str {
    checksum.strip_prefix("blake3:").unwrap_or(checksum)
}

/// Writes the rules object (create-if-absent); returns its checksum.
pub async fn write(ds: &Dataset, rules: &DatasetRules) -> Result<String> {
    let bytes = rules.to_bytes();
    let sum = crate::manifest::checksum(&bytes);
    ds.store.create(&ds.layout.rules(hex(&sum)), bytes).await?;
    Ok(sum)
}

/// Reads the rules object named by `checksum`, verifying its bytes.
pub async fn read(ds: &Dataset, checksum: &str) -> Result<DatasetRules> {
    let h = hex(checksum);
    if h.is_empty() || !h.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::Corrupt(format!(
            "the log names rules {checksum:?}, not a blake3 checksum"
        )));
    }
    let path = ds.layout.rules(h);
    let bytes = ds.store.get(&path).await?.ok_or_else(|| {
        Error::Corrupt(format!(
            "the rules in force for {} ({checksum}) are missing: {}",
            ds.name(),
            ds.store.url_of(&path)
        ))
    })?;
    if crate::manifest::checksum(&bytes) != checksum {
        return Err(Error::Corrupt(format!(
            "the rules object {} does not match its checksum",
            ds.store.url_of(&path)
        )));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Corrupt(format!("the rules object {}: {e}", ds.store.url_of(&path))))
}

/// The rules the head puts in force, with their checksum.
pub async fn in_force(ds: &Dataset) -> Result<Option<(String, DatasetRules)>> {
    let state = pointer::read_head(ds).await?.state();
    match state.rules {
        Some(sum) => {
            let rules = read(ds, &sum).await?;
            Ok(Some((sum, rules)))
        }
        None => Ok(None),
    }
}

/// The rules a writer applies.
#[derive(Debug, Clone)]
pub struct Settled {
    pub rules: DatasetRules,
    pub checksum: String,
    /// They came from the store (the writer had none of its own).
    pub from_store: bool,
    /// None are recorded yet: the publish's entry records these.
    pub record: bool,
}

/// Settles a writer's rules against the store's (see the module doc). Writes nothing: rules to be
/// recorded are written by the publish, just before the entry that names them.
pub async fn settle(ds: &Dataset, local: Option<DatasetRules>) -> Result<Settled> {
    let stored = in_force(ds).await?;
    match (stored, local) {
        (Some((checksum, rules)), None) => Ok(Settled {
            rules,
            checksum,
            from_store: true,
            record: false,
        }),
        (Some((checksum, rules)), Some(local)) => {
            let diff = rules.differences(&local);
            if !diff.is_empty() {
                return Err(Error::input(format!(
                    "the local rules for {} (lastgood.toml, --validations, --contract) disagree with those recorded on the store ({checksum}): {}; run without local rules to use the store's, or `lastgood rules set {} --reason …` to change them on purpose",
                    ds.name(),
                    diff.join("; "),
                    ds.name()
                )));
            }
            Ok(Settled {
                rules,
                checksum,
                from_store: false,
                record: false,
            })
        }
        (None, local) => {
            let rules = local.unwrap_or_else(|| DatasetRules::new(None, &Rules::defaults(), None));
            let checksum = rules.checksum();
            Ok(Settled {
                rules,
                checksum,
                from_store: false,
                record: true,
            })
        }
    }
}

/// What `rules set` did; the shape of its `--json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetOutcome {
    pub dataset: String,
    /// False when the store already had these rules (nothing written).
    pub changed: bool,
    pub seq: u64,
    pub rules: String,
    pub previous: Option<String>,
    pub changes: Vec<String>,
}

/// `lastgood rules set`: records `proposed` as the dataset's rules, a `configure` entry.
pub async fn set(
    ds: &Dataset,
    ctx: &Context,
    proposed: &DatasetRules,
    reason: &str,
) -> Result<SetOutcome> {
    crate::pointer::policy::require_reason(reason)?;
    pointer::read_existing_head(ds).await?;
    let previous = in_force(ds).await?;
    let changes = match &previous {
        Some((_, old)) => old.differences(proposed),
        None => vec!["rules recorded".to_string()],
    };
    let sum = write(ds, proposed).await?;
    let from = previous.as_ref().map(|(s, _)| s.clone());
    let (entry, changed) = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
        if head.state().rules.as_deref() == Some(sum.as_str()) {
            return Ok(None);
        }
        if head.state().rules != from {
            return Err(Error::Conflict(format!(
                "the rules of {} changed while these were being set; run again",
                ds.name()
            )));
        }
        Ok(Some(Move {
            reason: Some(reason.to_string()),
            rules: Some(sum.clone()),
            detail: Some(Detail::Configure(ConfigureDetail {
                changes: changes.clone(),
                previous: from.clone(),
            })),
            ..Move::mark(Action::Configure)
        }))
    })
    .await?;
    Ok(SetOutcome {
        dataset: ds.name().to_string(),
        changed,
        seq: entry.seq,
        rules: sum,
        previous: from,
        changes: if changed { changes } else { Vec::new() },
    })
}

/// What `rules show` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shown {
    pub dataset: String,
    /// `null` when none are recorded yet.
    pub checksum: Option<String>,
    pub rules: Option<DatasetRules>,
}

pub async fn show(ds: &Dataset) -> Result<Shown> {
    pointer::read_existing_head(ds).await?;
    let r = in_force(ds).await?;
    Ok(Shown {
        dataset: ds.name().to_string(),
        checksum: r.as_ref().map(|(s, _)| s.clone()),
        rules: r.map(|(_, r)| r),
    })
}
