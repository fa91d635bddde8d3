//! `lastgood report`: a version's stored gate report as a table, as `--json`, or as one
//! self-contained HTML page (the work is [`lastgood::ops::report`] and [`lastgood::html`]).
//!
//! 1. Resolve the version; with `--list`, name its reports and stop.
//! 2. Load the newest report (or `--name`).
//! 3. `--html FILE`: the page, with the version's life and the columns' statistics; `--json`: the
//!    report as stored plus its location; otherwise the verdict table.

use std::path::{Path, PathBuf};

use lastgood::ops::report::{self, StoredReport};
use lastgood::ops::versions;
use lastgood::{Dataset, Error, Result, VersionId, refs};
use serde::Serialize;

use super::prelude::{Done, Env, Outcome};

/// A version's gate report: the table, --json, or one self-contained HTML page
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood report churn_scores latest\n  lastgood report churn_scores 20261121T020000000Z-1a2b3c4d\n  lastgood report churn_scores 20261121T020000000Z-1a2b3c4d --html report.html\n\nThe HTML page needs no network: verdict, gate table, the ECDFs of each KS gate with D marked, null rates side by side, the schema diff."
)]
pub struct Args {
    dataset: String,
    /// The version: an id, a unique prefix, current, lkg, previous, latest or @N
    version: String,
    /// Write the report as one self-contained HTML file
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// A given report instead of the newest (see --list)
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// List the reports stored on the version
    #[arg(long, conflicts_with_all = ["html", "name"])]
    list: bool,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let v = refs::resolve(&ds, &a.version).await?;
    if a.list {
        return Ok(env.done(&Names(report::list(&ds, &v).await?)));
    }
    let r = report::load(&ds, &v, a.name.as_deref()).await?;
    if let Some(file) = a.html {
        let html = write_html(&ds, &v, &r, &file).await?;
        return Ok(env.done(&Written {
            html: html.display().to_string(),
            report: r.path,
            report_url: r.url,
        }));
    }
    if env.json {
        // The report as stored (chart points included), and where it is.
        let mut j = r.json.clone();
        if let Some(o) = j.as_object_mut() {
            o.insert("report_url".into(), r.url.clone().into());
        }
        return Ok(Done::text(format!("{j}\n")));
    }
    let parsed = r.report()?;
    Ok(Done::text(if env.quiet {
        String::new()
    } else {
        crate::render::report(&parsed, &r.url, env.verbose)
    }))
}

/// Writes the page of report `r` of version `v` to `file`; returns its absolute path.
async fn write_html(ds: &Dataset, v: &VersionId, r: &StoredReport, file: &Path) -> Result<PathBuf> {
    let detail = versions::show(ds, v).await?;
    let report = r.report()?;
    let baseline = report.baseline.as_deref().map(VersionId::new).transpose()?;
    let stats = report::column_stats(ds, v, baseline.as_ref()).await?;
    let page = lastgood::html::render_with(
        &report,
        &lastgood::html::PageContext {
            origin: Some(&r.url),
            version: Some(&detail),
            stats: &stats,
        },
    );
    std::fs::write(file, page).map_err(|e| Error::io(format!("writing {}", file.display()), e))?;
    Ok(std::path::absolute(file).unwrap_or(file.to_path_buf()))
}

/// `--list`: the names of the version's reports, oldest first.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Names(Vec<String>);

impl Outcome for Names {
    fn human(&self, _verbose: bool) -> String {
        self.0.iter().map(|s| format!("{s}\n")).collect()
    }
}

/// `--html`: the page written, and the report it shows.
#[derive(Debug, Serialize)]
struct Written {
    html: String,
    report: String,
    report_url: String,
}

impl Outcome for Written {
    fn human(&self, _verbose: bool) -> String {
        format!("wrote {} (from {})\n", self.html, self.report_url)
    }
}
