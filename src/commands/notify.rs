//! `lastgood notify`: send again what a history entry announced to the dataset's orchestrators;
//! and the binary's side of announcing ([`lastgood::notify`]) that `publish`, `pointer set` and
//! `pointer revert` share: sending after their move, warning on stderr when a notification
//! failed, and the `notifications` field their `--json` gains.
//!
//! `notify DATASET SEQ`:
//! 1. Read the notification settings in force (the rules on the store, else lastgood.toml's).
//! 2. Read history entry SEQ; only moves are announced.
//! 3. Send its Airflow asset event; for a promotion, its publish's OpenLineage run (START and
//!    COMPLETE, from the stored report).
//! 4. Print one line per notification; exit 1 if any failed.
//!
//! `notify DATASET --version V`: the OpenLineage run of V's newest gate report (FAIL for a
//! rejected publish, which has no history entry).

use std::fmt::Write as _;

use lastgood::error::Exit;
use lastgood::notify::openlineage::{self, Judged, PublishRun};
use lastgood::notify::{self, Notify, Sent, Target};
use lastgood::pointer::Action;
use lastgood::{Dataset, Error, Result};
use serde::Serialize;

use super::prelude::{Done, Env, Outcome};

/// Send again what a history entry announced to the dataset's orchestrators (Airflow, OpenLineage)
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood notify churn_scores 42\n  lastgood notify churn_scores --version 20261121T02 --json\n\nSEQ: the asset event of that move (Airflow), and for a promotion its publish's run (OpenLineage START and COMPLETE). --version: the OpenLineage run of that version's newest gate report (FAIL for a rejected publish, which has no history entry).\n\nExit codes: 0 every notification sent, 1 one failed (it says why), 2 no such entry or version, or nothing configured"
)]
pub struct Args {
    dataset: String,
    /// The history position (`lastgood pointer history` numbers them)
    #[arg(required_unless_present = "version", conflicts_with = "version")]
    seq: Option<u64>,
    /// A version's publish run instead (OpenLineage only): an id, a prefix, latest, @N…
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let local = env.config.dataset(&a.dataset).notify;
    let out = resend(&ds, local.as_ref(), a.seq, a.version.as_deref()).await?;
    Ok(env.done(&out))
}

/// The notification settings in force for `ds`: the rules recorded on the store (so every machine
/// announces alike), else the writer's own (`local`, from lastgood.toml) for a dataset with none
/// recorded yet.
async fn in_force(ds: &Dataset, local: Option<&Notify>) -> Result<Notify> {
    Ok(match lastgood::rules::in_force(ds).await? {
        Some((_, rules)) => rules.notify.unwrap_or_default(),
        None => local.cloned().unwrap_or_default(),
    })
}

/// A command's outcome with the notifications it sent: `--json` prints the outcome's fields and
/// `notifications` (left out when nothing is configured); people see the outcome.
#[derive(Serialize)]
pub struct Announced<'a, T: Outcome> {
    #[serde(flatten)]
    pub outcome: &'a T,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<Sent>,
}

impl<T: Outcome> Outcome for Announced<'_, T> {
    fn human(&self, verbose: bool) -> String {
        self.outcome.human(verbose)
    }

    fn exit(&self) -> Option<(Exit, String)> {
        self.outcome.exit()
    }
}

/// One warning line on stderr per notification that failed.
pub fn warn(dataset: &str, sent: &[Sent]) {
    for w in sent.iter().filter_map(|s| s.warning(dataset)) {
        eprintln!("lastgood: {w}");
    }
}

/// The settings in force; reading them failing is itself a failed notification, never an error
/// of the move that was made.
async fn settings(ds: &Dataset, local: Option<&Notify>) -> std::result::Result<Notify, Sent> {
    in_force(ds, local).await.map_err(|e| Sent {
        target: Target::Airflow,
        event: "asset_event".into(),
        to: String::new(),
        ok: false,
        seq: None,
        run_id: None,
        error: Some(format!("reading the dataset's notification settings: {e}")),
    })
}

/// After `pointer set` / `pointer revert`: the asset event of entry `seq` when the pointer moved.
pub async fn after_move(ds: &Dataset, local: Option<&Notify>, seq: u64, moved: bool) -> Vec<Sent> {
    if !moved {
        return Vec::new();
    }
    let cfg = match settings(ds, local).await {
        Ok(c) => c,
        Err(s) => return vec![s],
    };
    announce(ds, &cfg, seq).await
}

async fn announce(ds: &Dataset, cfg: &Notify, seq: u64) -> Vec<Sent> {
    if notify::skipped(Target::Airflow) {
        return Vec::new();
    }
    match notify::announce_entry(ds, cfg, seq).await {
        Ok(sent) => sent,
        Err(e) => vec![Sent {
            target: Target::Airflow,
            event: "asset_event".into(),
            to: cfg
                .airflow
                .as_ref()
                .map(|a| a.url.clone())
                .unwrap_or_default(),
            ok: false,
            seq: Some(seq),
            run_id: None,
            error: Some(e.to_string()),
        }],
    }
}

/// A publish's OpenLineage run, started before it seals anything.
pub struct PublishNotes {
    cfg: Notify,
    run: Option<(lastgood::notify::OpenLineageSettings, PublishRun)>,
    pub sent: Vec<Sent>,
}

impl PublishNotes {
    /// Sends START when OpenLineage is configured.
    pub async fn start(
        ds: &Dataset,
        cfg: Option<Notify>,
        sources: &[String],
        now: chrono::DateTime<chrono::Utc>,
    ) -> PublishNotes {
        let cfg = cfg.unwrap_or_default();
        let mut notes = PublishNotes {
            run: cfg
                .openlineage
                .clone()
                .filter(|_| !notify::skipped(Target::Openlineage))
                .map(|c| (c.clone(), PublishRun::new(&c, ds, sources, now))),
            cfg,
            sent: Vec::new(),
        };
        if let Some((c, run)) = &notes.run {
            notes.sent.push(openlineage::send(c, &run.start(now)).await);
        }
        notes
    }

    /// The publish failed (an error, not a verdict): FAIL, with the error's message.
    pub async fn failed(mut self, ds: &Dataset, e: &Error, now: chrono::DateTime<chrono::Utc>) {
        if let Some((c, run)) = &self.run {
            self.sent
                .push(openlineage::send(c, &run.failed(now, &e.to_string())).await);
        }
        warn(ds.name().as_str(), &self.sent);
    }

    /// The publish finished: the closing run event, and the asset event when it moved the pointer.
    pub async fn finished(
        mut self,
        ds: &Dataset,
        out: &lastgood::ops::publish::PublishOutcome,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<Sent> {
        if let Some((c, run)) = &self.run {
            self.sent
                .push(openlineage::send(c, &run.end(now, &Judged::from_publish(out))).await);
        }
        if out.moved
            && let Some(seq) = out.seq
        {
            // The run's events can be sent again from this entry too.
            for s in &mut self.sent {
                s.seq = Some(seq);
            }
            self.sent.extend(announce(ds, &self.cfg, seq).await);
        }
        warn(ds.name().as_str(), &self.sent);
        self.sent
    }
}

/// What `lastgood notify` did; the shape of its `--json`.
#[derive(Debug, Serialize)]
pub struct Resent {
    pub dataset: String,
    pub seq: Option<u64>,
    pub version: Option<String>,
    pub notifications: Vec<Sent>,
}

/// `lastgood notify DATASET SEQ | --version V`.
pub async fn resend(
    ds: &Dataset,
    local: Option<&Notify>,
    seq: Option<u64>,
    version: Option<&str>,
) -> Result<Resent> {
    let cfg = in_force(ds, local).await?;
    if cfg.is_empty() {
        return Err(Error::input(format!(
            "no notifications are configured for {0}: add [datasets.{0}.notify.airflow] or [datasets.{0}.notify.openlineage] to lastgood.toml and record it with `lastgood rules set {0} --reason …`",
            ds.name()
        )));
    }
    let mut sent = Vec::new();
    let mut shown_version = None;
    if let Some(seq) = seq {
        let entry = notify::read_entry(ds, seq).await?;
        if !entry.action.moves() {
            return Err(Error::input(format!(
                "history entry #{seq} of {} is a {}, not a move: only moves are announced",
                ds.name(),
                entry.action.as_str()
            )));
        }
        shown_version = entry.to.as_ref().map(|v| v.to_string());
        sent.extend(notify::announce_entry(ds, &cfg, seq).await?);
        if let (Action::Promote, Some(ol), Some(to)) = (entry.action, &cfg.openlineage, &entry.to) {
            let report = entry.verdict.as_ref().map(|v| v.report.as_str());
            let mut run = openlineage::resend(ds, ol, to, report, Some(entry.at)).await?;
            for s in &mut run {
                s.seq = Some(seq);
            }
            sent.extend(run);
        }
    } else if let Some(r) = version {
        let Some(ol) = &cfg.openlineage else {
            return Err(Error::input(format!(
                "--version re-sends an OpenLineage run, and {} has no [notify.openlineage]; give a history position for Airflow",
                ds.name()
            )));
        };
        let v = lastgood::refs::resolve(ds, r).await?;
        shown_version = Some(v.to_string());
        sent.extend(openlineage::resend(ds, ol, &v, None, None).await?);
    }
    Ok(Resent {
        dataset: ds.name().to_string(),
        seq,
        version: shown_version,
        notifications: sent,
    })
}

impl Outcome for Resent {
    /// One line per notification.
    fn human(&self, _verbose: bool) -> String {
        human(self)
    }

    /// A notification that failed: exit 1.
    fn exit(&self) -> Option<(Exit, String)> {
        let failed = self.notifications.iter().filter(|n| !n.ok).count();
        (failed > 0).then(|| {
            (
                Exit::Failure,
                format!(
                    "{failed} of {} notification(s) for {} failed",
                    self.notifications.len(),
                    self.dataset
                ),
            )
        })
    }
}

fn human(r: &Resent) -> String {
    let mut s = String::new();
    for n in &r.notifications {
        let target = match n.target {
            Target::Airflow => "airflow",
            Target::Openlineage => "openlineage",
        };
        match &n.error {
            None => {
                let _ = writeln!(s, "sent {target} {} to {}", n.event, n.to);
            }
            Some(e) => {
                let _ = writeln!(s, "FAILED {target} {} to {}: {e}", n.event, n.to);
            }
        }
    }
    if r.notifications.is_empty() {
        s.push_str("nothing to send for this entry\n");
    }
    s
}
