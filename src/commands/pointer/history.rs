//! `lastgood pointer history`: every move of the pointer, newest first (the work is
//! [`lastgood::ops::status::history`]).

use lastgood::Result;
use lastgood::ops::status;
use lastgood::pointer::{Action, LogEntry};

use crate::commands::prelude::{Done, Env, Outcome};
use crate::render::{or_dash, table, when};

/// Every move of the pointer, newest first
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  lastgood pointer history churn_scores --limit 10")]
pub struct Args {
    dataset: String,
    /// Only the newest N entries
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let entries = status::history(&env.dataset(&a.dataset)?, a.limit).await?;
    Ok(env.done(&entries))
}

impl Outcome for Vec<LogEntry> {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(entries: &[LogEntry]) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                when(e.at),
                format!("{}{}", e.action.as_str(), if e.forced { "!" } else { "" }),
                if e.action.moves() {
                    or_dash(e.from.as_ref().map(|v| v.as_str()))
                } else {
                    "-".into()
                },
                match e.action {
                    _ if e.action.moves() => or_dash(e.to.as_ref().map(|v| v.as_str())),
                    Action::Pin | Action::Unpin => or_dash(e.subject.as_ref().map(|v| v.as_str())),
                    Action::Gc => format!("{} deleted", e.deleted().len()),
                    _ => "-".into(),
                },
                e.actor.clone(),
                or_dash(e.reason.as_deref()),
            ]
        })
        .collect();
    let mut out = table(
        &["SEQ", "AT", "ACTION", "FROM", "TO", "ACTOR", "REASON"],
        &rows,
    );
    if entries.iter().any(|e| e.forced) {
        out.push_str("(! = forced past a refusal with --force)\n");
    }
    if !entries.is_empty() {
        out.push_str(
            "(@SEQ names the version an entry left the pointer at: lastgood show DATASET @3)\n",
        );
    }
    out
}
