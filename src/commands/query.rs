//! `lastgood query`: DataFusion SQL over the current version or another, streamed to stdout (the
//! work is [`lastgood::ops::query`]).
//!
//! 1. Which version: `--version` (any ref), else the pointer's.
//! 2. The format (`--json` is `--format json`) and the row limit (100 for the formats people read,
//!    everything for the others, `--all` for everything).
//! 3. Stream the rows; a cut is said on stderr.

use std::io::Write as _;

use lastgood::Result;
use lastgood::ops::query::{self, QueryOptions};
use lastgood::ops::resolve::At;

use super::prelude::{Done, Env};

/// Run DataFusion SQL over the current version (the table is named after the dataset)
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood query churn_scores \"SELECT segment, avg(score) FROM churn_scores GROUP BY 1\"\n  lastgood query churn_scores \"SELECT * FROM churn_scores\" --all --format csv > scores.csv\n  lastgood query churn_scores \"SELECT count(*) FROM churn_scores\" --version 20261119T020000000Z-9f8e7d6c --json"
)]
pub struct Args {
    dataset: String,
    sql: String,
    /// A sealed version instead of the current one (any ref)
    #[arg(long)]
    version: Option<String>,
    /// At most N rows [default: 100 for table and markdown; all for csv, jsonl, json]
    #[arg(long, value_name = "N", conflicts_with = "all")]
    limit: Option<usize>,
    /// Every row (streamed; for table, column widths come from the first 1000 rows)
    #[arg(long)]
    all: bool,
    /// How to print the rows [default: table; json with --json]
    #[arg(long, value_enum)]
    format: Option<Format>,
}

/// `query --format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns fitted to the terminal
    Table,
    /// CSV with a header row
    Csv,
    /// One JSON object a line
    Jsonl,
    /// One JSON array
    Json,
    /// A Markdown table
    Markdown,
}

impl From<Format> for query::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Table => query::Format::Table,
            Format::Csv => query::Format::Csv,
            Format::Jsonl => query::Format::Jsonl,
            Format::Json => query::Format::Json,
            Format::Markdown => query::Format::Markdown,
        }
    }
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let at = match a.version {
        Some(v) => At::from_ref(&ds, &v).await?,
        None => At::Current,
    };
    let format: query::Format = match a.format {
        Some(f) => f.into(),
        None if env.json => query::Format::Json,
        None => query::Format::Table,
    };
    let opts = QueryOptions {
        format,
        limit: if a.all {
            None
        } else {
            a.limit.or(format.default_limit())
        },
        width: lastgood::text::terminal_width(),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let done = query::stream(&ds, &at, &a.sql, &opts, &mut out).await?;
    let _ = out.flush();
    drop(out);
    if done.truncated && !env.quiet {
        eprintln!(
            "lastgood: showing the first {} rows; --limit N or --all for more",
            done.rows
        );
    }
    Ok(Done::text(String::new()))
}
