//! The roles of a version, computed once: what `versions`, `show`, gc's deletion rule, doctor and
//! the HTML report say a version is (SPEC.md, "Lifecycle", and Readers 7).
//!
//! A version is sealed, then promoted or rejected, possibly reverted, finally collected:
//!
//! 1. From the head's state: [`Role::Current`], [`Role::LastKnownGood`] (`known_good[0]`),
//!    [`Role::KnownGood`], [`Role::Reverted`], [`Role::Pinned`], and [`Role::Collected`] when
//!    the newest gc entry collects it.
//! 2. From its newest gate report, when that failed: [`Role::Forced`] if the pointer held it
//!    anyway, else [`Role::Rejected`].
//! 3. A folder without a manifest: [`Role::Collected`] when a gc entry of the history lists it
//!    ([`collected_in`]), else [`Role::InFlight`].
//!
//! gc keeps what these roles protect ([`gc_keeps`]); doctor excuses what a gc collected
//! ([`collected_in`]); `show` and the HTML report lead with the [`Consequence`] of the roles and
//! the version's [`Event`]s.
//!
//! Architecture Invariant: no other module derives a role from the state, the history or a
//! report; a new role is a variant here, in [`roles`], and (if it protects) in [`gc_keeps`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::names::VersionId;
use crate::spec::action::Action;
use crate::spec::log_entry::LogEntry;
use crate::spec::state::State;

/// One role of a version; a version has any number of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// What consumers read.
    Current,
    /// Where a plain revert goes: `known_good[0]`.
    LastKnownGood,
    /// Held by the pointer before, further back in `known_good`.
    KnownGood,
    /// A revert moved the pointer away from it (or a partition revert replaced its partitions).
    Reverted,
    /// Protected from gc.
    Pinned,
    /// Its newest gate report failed and the pointer never held it.
    Rejected,
    /// Its newest gate report failed and the pointer held it anyway (`--force`).
    Forced,
    /// A gc entry collects it: final.
    Collected,
    /// A folder without a manifest that no gc collected: a publish uploading, or interrupted.
    InFlight,
}

impl Role {
    /// Every role, in the order they are shown.
    pub const ALL: [Role; 9] = [
        Role::Current,
        Role::LastKnownGood,
        Role::KnownGood,
        Role::Reverted,
        Role::Pinned,
        Role::Rejected,
        Role::Forced,
        Role::Collected,
        Role::InFlight,
    ];

    /// The word `versions --status` takes and `--json` shows.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Role::Current => "current",
            Role::LastKnownGood => "last-known-good",
            Role::KnownGood => "known-good",
            Role::Reverted => "reverted",
            Role::Pinned => "pinned",
            Role::Rejected => "rejected",
            Role::Forced => "forced",
            Role::Collected => "collected",
            Role::InFlight => "in-flight",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the pointer has held a version with this role.
    pub fn held(&self) -> bool {
        matches!(
            self,
            Role::Current | Role::LastKnownGood | Role::KnownGood | Role::Reverted
        )
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known of a version besides the head's state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Its manifest exists.
    pub sealed: bool,
    /// Its newest gate report failed.
    pub gates_failed: bool,
    /// A gc entry of the history lists it ([`collected_in`]); `false` when the history was not
    /// read (the head's `collecting` still counts).
    pub collected: bool,
}

/// The roles of `v`, in [`Role::ALL`] order.
pub fn roles(state: &State, v: &VersionId, facts: Facts) -> Vec<Role> {
    let mut r = Vec::new();
    if state.version.as_ref() == Some(v) {
        r.push(Role::Current);
    }
    if state.last_known_good() == Some(v) {
        r.push(Role::LastKnownGood);
    } else if state.known_good.contains(v) {
        r.push(Role::KnownGood);
    }
    if state.is_reverted(v) {
        r.push(Role::Reverted);
    }
    if state.is_pinned(v) {
        r.push(Role::Pinned);
    }
    // Still sealed while gc unseals it, or after gc was interrupted: final all the same.
    let collected = state.collected_by(v).is_some() || facts.collected;
    if collected {
        r.push(Role::Collected);
    }
    if facts.sealed && facts.gates_failed {
        r.push(if r.iter().any(Role::held) {
            Role::Forced
        } else {
            Role::Rejected
        });
    }
    if !facts.sealed && !collected {
        r.push(Role::InFlight);
    }
    r
}

/// The words of roles, as `versions` and `show` print them.
pub fn words(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|r| r.as_str().to_string()).collect()
}

/// Every version a `gc` entry of `history` lists, with the newest such entry's seq.
pub fn collected_in(history: &[LogEntry]) -> BTreeMap<VersionId, u64> {
    let mut out = BTreeMap::new();
    for e in history {
        for v in e.deleted() {
            let seq = out.entry(v).or_insert(e.seq);
            *seq = (*seq).max(e.seq);
        }
    }
    out
}

/// How old a version is, for gc: ages from the store's own clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct Age {
    /// Younger than `--grace` (a publish may be in flight).
    pub in_grace: bool,
    /// Younger than `--older-than`.
    pub younger_than_cutoff: bool,
}

/// gc's deletion rule: why gc keeps a version with these roles (empty: it is collected).
/// Current and pinned versions are kept always; a version an earlier gc collected (an interrupted
/// gc) is collected again otherwise; the last-known-good, the `recent` versions the pointer held,
/// reverted ones (incident evidence, unless `include_reverted`) and young ones are kept.
pub fn gc_keeps(
    roles: &[Role],
    recent: bool,
    include_reverted: bool,
    age: Age,
) -> Vec<&'static str> {
    let has = |r: Role| roles.contains(&r);
    let mut why = Vec::new();
    if has(Role::Current) {
        why.push("current");
    }
    if has(Role::Pinned) {
        why.push("pinned");
    }
    if has(Role::Collected) {
        return why;
    }
    if has(Role::LastKnownGood) {
        why.push("last-known-good");
    }
    if recent {
        why.push("recent");
    }
    if has(Role::Reverted) && !include_reverted {
        why.push("reverted");
    }
    if age.in_grace {
        why.push("in-grace");
    }
    if age.younger_than_cutoff {
        why.push("younger-than-cutoff");
    }
    why
}

/// One history entry as it concerns one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub what: EventKind,
    /// Past a refusal (failed gates, a reverted version) with --force.
    pub forced: bool,
    pub reason: Option<String>,
    /// For a move: the other version (where the pointer came from, or went to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A publish moved the pointer to it.
    Promoted,
    /// `pointer set` moved the pointer to it.
    Set,
    /// A revert moved the pointer back to it.
    RevertedTo,
    /// A revert moved the pointer away from it (or a partition revert replaced its partitions).
    Reverted,
    /// The pointer moved on from it to a newer choice.
    Replaced,
    Pinned,
    Unpinned,
    /// gc deleted it.
    Collected,
}

impl EventKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Promoted => "promoted",
            EventKind::Set => "set",
            EventKind::RevertedTo => "restored by a revert",
            EventKind::Reverted => "reverted",
            EventKind::Replaced => "replaced",
            EventKind::Pinned => "pinned",
            EventKind::Unpinned => "unpinned",
            EventKind::Collected => "collected by gc",
        }
    }
}

/// Where the pointer is now and who moved it there when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointerNow {
    pub version: String,
    pub since: DateTime<Utc>,
    pub by: String,
    pub seq: u64,
}

/// What `history` (newest first, as [`crate::pointer::history`] returns it) says about `v`, oldest
/// first, and where the pointer is now.
pub fn events(history: &[LogEntry], v: &VersionId) -> (Vec<Event>, Option<PointerNow>) {
    let now = history.first().and_then(|head| {
        let version = head.state.version.as_ref()?.to_string();
        let at = head.state.moved_at_seq.unwrap_or(head.seq);
        let mover = history.iter().find(|e| e.seq == at)?;
        Some(PointerNow {
            version,
            since: mover.at,
            by: mover.actor.clone(),
            seq: mover.seq,
        })
    });
    let mut out = Vec::new();
    for e in history.iter().rev() {
        let ev = |what: EventKind, other: Option<&VersionId>| Event {
            seq: e.seq,
            at: e.at,
            actor: e.actor.clone(),
            what,
            forced: e.forced,
            reason: e.reason.clone(),
            other: other.map(|o| o.to_string()),
        };
        let to_v = e.to.as_ref() == Some(v);
        let from_v = e.from.as_ref() == Some(v);
        match e.action {
            Action::Promote | Action::Set | Action::Revert if to_v && !from_v => {
                out.push(ev(
                    match e.action {
                        Action::Promote => EventKind::Promoted,
                        Action::Set => EventKind::Set,
                        _ => EventKind::RevertedTo,
                    },
                    e.from.as_ref(),
                ));
            }
            Action::Revert if from_v && !to_v => out.push(ev(EventKind::Reverted, e.to.as_ref())),
            Action::Promote | Action::Set if from_v && !to_v => {
                out.push(ev(EventKind::Replaced, e.to.as_ref()))
            }
            Action::Pin if e.subject.as_ref() == Some(v) => out.push(ev(EventKind::Pinned, None)),
            Action::Unpin if e.subject.as_ref() == Some(v) => {
                out.push(ev(EventKind::Unpinned, None))
            }
            Action::Gc if e.deleted().contains(v) => out.push(ev(EventKind::Collected, None)),
            _ => {}
        }
        if e.action == Action::Revert && e.replaced().contains(v) {
            out.push(ev(EventKind::Reverted, e.to.as_ref()));
        }
    }
    (out, now)
}

/// The headline of a version's consequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Headline {
    /// Consumers read it.
    Live,
    /// Consumers read it, past a refusal (`--force`).
    ForcedLive,
    /// Never promoted: rejected by its gates, or sealed only.
    NotPromoted,
    Reverted,
    /// Was live; the pointer moved on.
    Superseded,
}

impl Headline {
    pub fn as_str(&self) -> &'static str {
        match self {
            Headline::Live => "LIVE",
            Headline::ForcedLive => "FORCED LIVE",
            Headline::NotPromoted => "NOT PROMOTED",
            Headline::Reverted => "REVERTED",
            Headline::Superseded => "SUPERSEDED",
        }
    }

    /// The HTML report's class for the banner: live, forced, reverted or held.
    pub fn css_class(&self) -> &'static str {
        match self {
            Headline::Live => "live",
            Headline::ForcedLive => "forced",
            Headline::Reverted => "reverted",
            Headline::NotPromoted | Headline::Superseded => "held",
        }
    }
}

/// What a version's life means for the people who read the dataset: a headline and one line,
/// consequence first. Shown by `show` and at the top of the HTML report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consequence {
    /// LIVE, FORCED LIVE, NOT PROMOTED, REVERTED, SUPERSEDED ([`Headline::as_str`]).
    pub headline: String,
    pub kind: Headline,
    pub line: String,
}

/// `2026-11-21 02:00:00 UTC`: the one timestamp format of human output.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The consequence of a version's roles and events, with the gates that blocked it and where the
/// pointer is now.
pub fn consequence(
    roles: &[Role],
    events: &[Event],
    pointer: Option<&PointerNow>,
    failed_gates: &[String],
) -> Consequence {
    let has = |r: Role| roles.contains(&r);
    let by = |e: &Event| {
        format!(
            "by {} at {}{}",
            e.actor,
            when(e.at),
            e.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )
    };
    let now = match pointer {
        Some(p) => format!(
            "consumers read {} (since {}, by {})",
            p.version,
            when(p.since),
            p.by
        ),
        None => "the pointer has never moved".to_string(),
    };
    let last = |k: &[EventKind]| events.iter().rev().find(|e| k.contains(&e.what));
    let arrived = last(&[EventKind::Promoted, EventKind::Set, EventKind::RevertedTo]);
    let c = |h: Headline, l: String| Consequence {
        headline: h.as_str().to_string(),
        kind: h,
        line: l,
    };
    let forced_note = arrived
        .filter(|e| e.forced)
        .map(|e| format!("FORCED live {}", by(e)));
    if has(Role::Current) {
        return match (forced_note, arrived) {
            (Some(f), _) => c(
                Headline::ForcedLive,
                if failed_gates.is_empty() {
                    format!("{f}; consumers read it")
                } else {
                    format!(
                        "{f}; its gates failed ({}); consumers read it",
                        failed_gates.join(", ")
                    )
                },
            ),
            (None, Some(e)) => c(
                Headline::Live,
                format!("consumers read it: {} {}", e.what.as_str(), by(e)),
            ),
            (None, None) => c(Headline::Live, "consumers read it".to_string()),
        };
    }
    if has(Role::Reverted) {
        let r = last(&[EventKind::Reverted]);
        let mut line = match r {
            Some(e) => format!("reverted at {} by {}", when(e.at), e.actor),
            None => "reverted".to_string(),
        };
        if let Some(reason) = r.and_then(|e| e.reason.as_deref()) {
            line.push_str(&format!(": {reason}"));
        }
        if let Some(f) = forced_note {
            line = format!(
                "{line}; it had gone live {}",
                f.trim_start_matches("FORCED live ")
            );
        }
        return c(Headline::Reverted, format!("{line}; {now}"));
    }
    if arrived.is_some() {
        let left = last(&[EventKind::Replaced]);
        return c(
            Headline::Superseded,
            format!(
                "was live{}; {now}",
                left.map(|e| format!(" until {}", when(e.at)))
                    .unwrap_or_default()
            ),
        );
    }
    let still = now.replacen("consumers read", "consumers still read", 1);
    if has(Role::Rejected) {
        return c(
            Headline::NotPromoted,
            format!("gates failed ({}); {still}", failed_gates.join(", ")),
        );
    }
    c(
        Headline::NotPromoted,
        format!("sealed but never promoted; {still}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VersionId {
        VersionId::new(s).unwrap()
    }

    fn sealed(gates_failed: bool) -> Facts {
        Facts {
            sealed: true,
            gates_failed,
            collected: false,
        }
    }

    /// v1, v2, v3 promoted; v3 reverted (back to v2); v1 pinned; v4 sealed, never promoted.
    fn state() -> State {
        let mut s = State::default()
            .moved(Action::Promote, &v("v1"))
            .moved(Action::Promote, &v("v2"))
            .moved(Action::Promote, &v("v3"))
            .moved(Action::Revert, &v("v2"));
        s.pinned = vec![v("v1")];
        s
    }

    #[test]
    fn roles_from_the_state_a_report_and_the_history() {
        let s = state();
        use Role::*;
        assert_eq!(roles(&s, &v("v2"), sealed(false)), [Current]);
        assert_eq!(roles(&s, &v("v1"), sealed(false)), [LastKnownGood, Pinned]);
        assert_eq!(roles(&s, &v("v3"), sealed(true)), [Reverted, Forced]);
        assert_eq!(roles(&s, &v("v4"), sealed(true)), [Rejected]);
        assert_eq!(roles(&s, &v("v4"), sealed(false)), Vec::<Role>::new());
        let unsealed = |collected| Facts {
            sealed: false,
            gates_failed: false,
            collected,
        };
        assert_eq!(roles(&s, &v("v5"), unsealed(false)), [InFlight]);
        assert_eq!(roles(&s, &v("v5"), unsealed(true)), [Collected]);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }

    #[test]
    fn gc_keeps_what_the_roles_protect() {
        let s = state();
        let old = Age::default();
        let keeps = |id: &str, recent: bool, include_reverted: bool, age: Age| {
            gc_keeps(
                &roles(&s, &v(id), sealed(false)),
                recent,
                include_reverted,
                age,
            )
        };
        assert_eq!(keeps("v2", false, false, old), ["current"]);
        assert_eq!(
            keeps("v1", false, false, old),
            ["pinned", "last-known-good"]
        );
        assert_eq!(keeps("v3", true, false, old), ["recent", "reverted"]);
        assert!(keeps("v3", false, true, old).is_empty());
        let young = Age {
            in_grace: true,
            younger_than_cutoff: true,
        };
        assert_eq!(
            keeps("v9", false, false, young),
            ["in-grace", "younger-than-cutoff"]
        );
        // An earlier gc collected it: only current and pinned still keep it.
        let mut again = s.clone();
        again.collecting = Some(crate::spec::state::Collecting {
            seq: 9,
            versions: vec![v("v1"), v("v3")],
        });
        let r = roles(&again, &v("v1"), sealed(false));
        assert_eq!(gc_keeps(&r, true, false, young), ["pinned"]);
        let r = roles(&again, &v("v3"), sealed(false));
        assert!(gc_keeps(&r, true, false, young).is_empty());
    }

    #[test]
    fn the_consequence_leads_with_what_consumers_read() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-22T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ev = |what, forced| Event {
            seq: 1,
            at,
            actor: "ana".into(),
            what,
            forced,
            reason: Some("why".into()),
            other: None,
        };
        let now = PointerNow {
            version: "v2".into(),
            since: at,
            by: "ana".into(),
            seq: 4,
        };
        let forced = consequence(
            &[Role::Current, Role::Forced],
            &[ev(EventKind::Promoted, true)],
            Some(&now),
            &["ks(score)".into()],
        );
        assert_eq!(forced.kind, Headline::ForcedLive);
        assert_eq!(forced.headline, "FORCED LIVE");
        assert!(
            forced.line.contains("its gates failed (ks(score))"),
            "{}",
            forced.line
        );
        let rejected = consequence(&[Role::Rejected], &[], Some(&now), &["ks(score)".into()]);
        assert_eq!(rejected.kind, Headline::NotPromoted);
        assert!(
            rejected.line.contains("consumers still read v2"),
            "{}",
            rejected.line
        );
        let reverted = consequence(
            &[Role::Reverted],
            &[
                ev(EventKind::Promoted, false),
                ev(EventKind::Reverted, false),
            ],
            Some(&now),
            &[],
        );
        assert_eq!(
            (reverted.kind, reverted.kind.css_class()),
            (Headline::Reverted, "reverted")
        );
        let gone = consequence(&[Role::KnownGood], &[ev(EventKind::Set, false)], None, &[]);
        assert_eq!(gone.kind, Headline::Superseded);
    }
}
