//! `lastgood show`: one version, where it is in its life, its manifest and partitions (the work is
//! [`lastgood::ops::versions::show`]).

use std::fmt::Write as _;

use lastgood::ops::versions::{self, VersionDetail};
use lastgood::{Result, refs};

use super::prelude::{Done, Env, Outcome};
use crate::render::{bytes, or_dash, paint, table, when};

/// Show one version: where it is in its life, manifest, partitions
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood show churn_scores current\n  lastgood show churn_scores 20261121T02\n  lastgood show churn_scores @3"
)]
pub struct Args {
    dataset: String,
    /// The version: an id, a unique prefix, current, lkg, previous, latest or @N
    version: String,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let v = refs::resolve(&ds, &a.version).await?;
    Ok(env.done(&versions::show(&ds, &v).await?))
}

impl Outcome for VersionDetail {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(d: &VersionDetail) -> String {
    let m = &d.manifest;
    let c = d.consequence();
    let mut out = format!(
        "{}/{}{}\n{}: {}\n",
        m.dataset,
        m.version,
        if d.status.is_empty() {
            String::new()
        } else {
            format!(" [{}]", d.status.join(", "))
        },
        paint(&c.headline),
        c.line
    );
    let kv = [
        (
            "created",
            format!("{} by {}", when(m.created_at), m.producer.actor),
        ),
        ("parent", or_dash(m.parent.as_ref().map(|p| p.as_str()))),
        ("message", or_dash(m.message.as_deref())),
        ("rows", m.rows.to_string()),
        ("files", format!("{} ({})", m.files.len(), bytes(m.bytes))),
        (
            "gates",
            if d.failed_gates.is_empty() {
                match &d.report {
                    Some(_) => "passed".to_string(),
                    None => "never run (sealed with --no-promote)".to_string(),
                }
            } else {
                format!("FAILED: {}", d.failed_gates.join(", "))
            },
        ),
        ("report", or_dash(d.report.as_deref())),
        ("content", m.content_hash.clone()),
        (
            "manifest",
            format!("{} ({})", d.manifest_url, d.manifest_checksum),
        ),
    ];
    for (k, v) in kv {
        let _ = writeln!(out, "  {k:<9} {v}");
    }
    for (k, v) in &m.meta {
        let _ = writeln!(out, "  meta      {k}={v}");
    }
    if !d.events.is_empty() {
        out.push_str("\nhistory:\n");
        let rows: Vec<Vec<String>> = d
            .events
            .iter()
            .map(|e| {
                vec![
                    format!("#{}", e.seq),
                    when(e.at),
                    format!(
                        "{}{}",
                        e.what.as_str(),
                        if e.forced { " (forced)" } else { "" }
                    ),
                    e.actor.clone(),
                    or_dash(e.reason.as_deref()),
                ]
            })
            .collect();
        out.push_str(&table(&["SEQ", "AT", "WHAT", "ACTOR", "REASON"], &rows));
    }
    out.push_str("\nschema:\n");
    for c in &m.schema.columns {
        let _ = writeln!(
            out,
            "  {:<24} {}{}",
            c.name,
            c.data_type,
            if c.nullable { "" } else { " not null" }
        );
    }
    if !d.partitions.is_empty() {
        out.push_str("\npartitions:\n");
        let rows: Vec<Vec<String>> = d
            .partitions
            .iter()
            .map(|p| {
                vec![
                    p.values
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join("/"),
                    p.files.to_string(),
                    p.rows.to_string(),
                    match p.version.as_deref() {
                        Some(v) if v == d.version => format!("{v} (this version)"),
                        Some(v) => v.to_string(),
                        None => "(several)".into(),
                    },
                ]
            })
            .collect();
        out.push_str(&table(
            &["PARTITION", "FILES", "ROWS", "FROM VERSION"],
            &rows,
        ));
    }
    out
}
