//! `lastgood pointer show`: where the pointer is, with the last-known-good (the work is
//! [`lastgood::ops::status::show`]).

use std::fmt::Write as _;

use lastgood::Result;
use lastgood::ops::status::{self, PointerStatus};

use crate::commands::prelude::{Done, Env, Outcome};
use crate::render::{or_dash, when};

/// Where the pointer is, with the last-known-good version
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  lastgood pointer show churn_scores --json")]
pub struct Args {
    dataset: String,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    Ok(env.done(&status::show(&env.dataset(&a.dataset)?).await?))
}

impl Outcome for PointerStatus {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(s: &PointerStatus) -> String {
    let Some(v) = &s.version else {
        return format!(
            "{}: the pointer has never moved (no version promoted yet)\n",
            s.dataset
        );
    };
    let mut out = format!("{} -> {v}\n", s.dataset);
    let rows = [
        (
            "since",
            format!(
                "{} by {}",
                s.at.map(when).unwrap_or_default(),
                or_dash(s.actor.as_deref())
            ),
        ),
        (
            "how",
            format!(
                "{} (history #{})",
                or_dash(s.action.as_deref()),
                s.moved_at_seq.unwrap_or(s.seq)
            ),
        ),
        ("reason", or_dash(s.reason.as_deref())),
        ("last-known-good", or_dash(s.last_known_good.as_deref())),
        (
            "reverted",
            if s.reverted.is_empty() {
                "-".into()
            } else {
                s.reverted.join(", ")
            },
        ),
        (
            "frozen",
            match &s.frozen {
                Some(f) => format!(
                    "YES since {} by {}: {} (publishes exit 4)",
                    when(f.at),
                    f.actor,
                    f.reason
                ),
                None => "no".into(),
            },
        ),
        (
            "pinned",
            if s.pinned.is_empty() {
                "-".into()
            } else {
                s.pinned.join(", ")
            },
        ),
        ("rows", s.rows.map(|r| r.to_string()).unwrap_or_default()),
        ("files", s.files.map(|r| r.to_string()).unwrap_or_default()),
        ("pointer file", s.pointer_file.clone()),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<16} {v}");
    }
    out
}
