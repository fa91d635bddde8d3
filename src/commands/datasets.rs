//! `lastgood datasets`: the datasets under the root, with where each pointer is (the work is
//! [`lastgood::ops::datasets`]).

use lastgood::Result;
use lastgood::ops::datasets::{self, DatasetRow};

use super::prelude::{Done, Env, Outcome};
use crate::render::{or_dash, table, when};

/// List the datasets under the root, with where each pointer is and its last move
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  lastgood datasets --root s3://ml-lake/predictions")]
pub struct Args {}

pub async fn exec(_: Args, env: &Env) -> Result<Done> {
    Ok(env.done(&datasets::list(&env.store()?).await?))
}

impl Outcome for Vec<DatasetRow> {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(rows: &[DatasetRow]) -> String {
    if rows.is_empty() {
        return "no datasets under this root\n".to_string();
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let m = r.last_move.as_ref();
            vec![
                r.dataset.clone(),
                or_dash(r.version.as_deref()),
                m.map(|m| when(m.at)).unwrap_or_else(|| "-".into()),
                m.map(|m| format!("{}{}", m.action, if m.forced { "!" } else { "" }))
                    .unwrap_or_else(|| "-".into()),
                m.map(|m| m.actor.clone()).unwrap_or_else(|| "-".into()),
                match &r.frozen {
                    Some(why) => format!("FROZEN: {why}"),
                    None => or_dash(m.and_then(|m| m.reason.as_deref())),
                },
            ]
        })
        .collect();
    table(
        &["DATASET", "POINTER", "MOVED", "HOW", "BY", "REASON"],
        &rows,
    )
}
