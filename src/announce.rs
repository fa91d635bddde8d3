//! The binary's side of notifications (issue 16, [`lastgood::notify`]): announcing after the
//! commands that move the pointer, `notify` to send again, and the `notifications` field their
//! `--json` gains. Kept apart from main.rs so it moves as one piece into `src/commands/`.

use lastgood::Dataset;
use lastgood::notify::openlineage::{self, Judged, PublishRun};
use lastgood::notify::{self, Notify, Sent, Target};
use lastgood::pointer::Action;
use lastgood::{Error, Result};
use serde::Serialize;

/// A command's outcome with the notifications it sent: `--json` prints the outcome's fields and
/// `notifications` (left out when nothing is configured).
#[derive(Serialize)]
pub struct Announced<'a, T: Serialize> {
    #[serde(flatten)]
    pub outcome: &'a T,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<Sent>,
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
    notify::in_force(ds, local).await.map_err(|e| Sent {
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
pub async fn after_move(
    ds: &Dataset,
    local: Option<&Notify>,
    seq: u64,
    moved: bool,
) -> Vec<Sent> {
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
            to: cfg.airflow.as_ref().map(|a| a.url.clone()).unwrap_or_default(),
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
    run: Option<(openlineage::Config, PublishRun)>,
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
    let cfg = notify::in_force(ds, local).await?;
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
        if let (Action::Promote, Some(ol), Some(to)) = (entry.action, &cfg.openlineage, &entry.to)
        {
            let report = entry
                .verdict
                .as_ref()
                .and_then(|v| v.get("report"))
                .and_then(|r| r.as_str());
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

/// `notify`'s human output: one line per notification.
pub fn human(r: &Resent) -> String {
    let mut s = String::new();
    for n in &r.notifications {
        let target = match n.target {
            Target::Airflow => "airflow",
            Target::Openlineage => "openlineage",
        };
        match &n.error {
            None => s.push_str(&format!("sent {target} {} to {}\n", n.event, n.to)),
            Some(e) => s.push_str(&format!("FAILED {target} {} to {}: {e}\n", n.event, n.to)),
        }
    }
    if r.notifications.is_empty() {
        s.push_str("nothing to send for this entry\n");
    }
    s
}
