//! `lastgood resolve`: the data files of the current version (or another, or a history position),
//! in the form a consumer wants (the work is [`lastgood::ops::resolve`]).
//!
//! 1. Which position: `--version` (any ref), `--seq`, else the pointer's.
//! 2. Resolve it (the manifest is checked against the checksum the log recorded), narrow to the
//!    `--partition`s.
//! 3. Print in `--format` (`--json` is `--format json`): URLs, local paths, a SQL list, a DuckDB
//!    table expression. These print even with `--quiet`: they are what the caller asked for.

use lastgood::ops::resolve::{self, At, Resolved};
use lastgood::{Dataset, Error, Result, partition};

use super::prelude::json;
use super::prelude::{Done, Env};

/// Print the data files of the current version (or another), one URL a line
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood resolve churn_scores\n  lastgood resolve churn_scores --format json\n  lastgood resolve daily_scores --partition date=2026-11-21\n  t=$(lastgood resolve churn_scores --format duckdb) && duckdb -c \"SELECT count(*) FROM $t\""
)]
pub struct Args {
    dataset: String,
    /// A sealed version instead of the current one
    #[arg(long, conflicts_with = "seq")]
    version: Option<String>,
    /// Where the pointer was after this history entry
    #[arg(long)]
    seq: Option<u64>,
    /// Only the files of this partition: k=v, or k=v/k2=v2 (repeatable)
    #[arg(long, value_name = "K=V")]
    partition: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Urls)]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// One URL a line (file:///…, s3://…)
    Urls,
    /// One local path a line (local roots only)
    Paths,
    /// A quoted, comma-separated list for SQL: read_parquet([…])
    SqlList,
    /// The resolved version as JSON
    Json,
    /// A DuckDB table expression: read_parquet([…]) (local paths or s3:// URLs)
    Duckdb,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let at = match (a.version, a.seq) {
        (Some(v), _) => At::from_ref(&ds, &v).await?,
        (None, Some(s)) => At::Seq(s),
        (None, None) => At::Current,
    };
    let (mut out, _) = resolve::resolve(&ds, &at).await?;
    let selectors = a
        .partition
        .iter()
        .map(|p| partition::selector(p))
        .collect::<Result<Vec<_>>>()?;
    out.narrow(&selectors)?;
    let format = if env.json { Format::Json } else { a.format };
    Ok(Done::text(match format {
        Format::Json => json(&out),
        Format::Urls => out.files.iter().map(|f| format!("{}\n", f.url)).collect(),
        Format::Paths => paths(&ds, &out)?,
        Format::Duckdb => duckdb(&ds, &out)?,
        Format::SqlList => format!("{}\n", sql_list(out.files.iter().map(|f| f.url.as_str()))),
    }))
}

/// One local path a line; an error on a root that is not local.
fn paths(ds: &Dataset, r: &Resolved) -> Result<String> {
    let mut s = String::new();
    for f in &r.files {
        let local = ds
            .store
            .local_path_of(&ds.layout.resolve(&f.path)?)
            .ok_or_else(|| Error::input("--format paths needs a local root; use --format urls"))?;
        s.push_str(&format!("{}\n", local.display()));
    }
    Ok(s)
}

/// `read_parquet(['…', …], hive_partitioning = true)`: local paths where the root is local (DuckDB
/// reads those without an extension), else URLs; Hive partitioning when the files have partitions.
fn duckdb(ds: &Dataset, r: &Resolved) -> Result<String> {
    let mut items = Vec::new();
    for f in &r.files {
        items.push(match ds.store.local_path_of(&ds.layout.resolve(&f.path)?) {
            Some(local) => local.display().to_string(),
            None => f.url.clone(),
        });
    }
    let hive = if r.files.iter().any(|f| !f.partition.is_empty()) {
        ", hive_partitioning = true"
    } else {
        ""
    };
    Ok(format!(
        "read_parquet([{}]{hive})\n",
        sql_list(items.iter().map(String::as_str))
    ))
}

/// `'a', 'b'`: SQL string literals, quotes doubled.
fn sql_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}
