//! Running the gates over a [`Probe`], and storing and reading reports.

use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::context::Context;
use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::gates::contract::Contract;
use crate::gates::probe::is_numeric;
use crate::gates::report::{self, GateResult, Report};
use crate::gates::{Probe, Side, Validations};
use crate::names::VersionId;

/// Runs every gate of `validations` on `candidate` against `baseline`.
pub async fn evaluate(
    ds: &Dataset,
    ctx: &Context,
    candidate: &Sealed,
    baseline: Option<&Sealed>,
    validations: &Validations,
    contract: Option<&Contract>,
    purpose: &str,
) -> Result<Report> {
    let started = Instant::now();
    let mut probe = Probe::new(ds, candidate, baseline)?;
    // Every column a gate compares sorted, read and sorted up front in one pass per side (sliced
    // gates read their slices themselves).
    if baseline.is_some() && candidate.manifest.rows > 0 {
        let mut ks_columns: Vec<String> = Vec::new();
        for spec in validations.gates.iter().filter(|g| g.by.is_empty()) {
            ks_columns.extend(spec.kind.needs(&probe).sorted);
        }
        let both = |c: &String| {
            [Side::Candidate, Side::Baseline].iter().all(|s| {
                probe
                    .schema(*s)
                    .field_with_name(c)
                    .is_ok_and(|f| is_numeric(f.data_type()))
            })
        };
        ks_columns.retain(both);
        ks_columns.sort();
        ks_columns.dedup();
        // A failure here shows up again, per column, in the gate's own results. Beyond the memory
        // limit, each gate reads its column alone (or in key ranges).
        if probe.fits(ks_columns.len()) {
            probe.keep_sorted = true;
            let _ = probe.prefetch(&ks_columns).await;
        } else if !probe.fits(1) {
            let _ = probe.prefetch_histograms(&ks_columns).await;
        }
    }
    let mut gates = Vec::new();
    for spec in &validations.gates {
        let mut results = if spec.by.is_empty() {
            spec.kind.evaluate(spec, &probe).await
        } else {
            super::slice::evaluate(spec, &probe).await
        };
        gates.append(&mut results);
        // The next gate's memory starts from what this one held, not from what it freed.
        crate::stats::bounded::release_freed_memory();
    }
    if let Some(c) = contract {
        gates.push(super::schema::check_contract(c, &probe).await);
    }
    let passed = !gates.iter().any(GateResult::blocks);
    Ok(Report {
        format: report::FORMAT.into(),
        format_version: report::FORMAT_VERSION,
        dataset: ds.name().to_string(),
        version: candidate.manifest.version.to_string(),
        baseline: baseline.map(|b| b.manifest.version.to_string()),
        passed,
        purpose: purpose.to_string(),
        at: ctx.now(),
        actor: ctx.actor.clone(),
        validations: report::ValidationsRecord::new(validations),
        contract: contract.map(|c| report::ContractRecord {
            checksum: c.checksum.clone(),
            path: c.path.display().to_string(),
        }),
        scope: None,
        gates,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

fn report_name(at: DateTime<Utc>, purpose: &str) -> String {
    format!("{}-{purpose}", at.format("%Y%m%dT%H%M%S%6fZ"))
}

/// Stores the report beside the version, create-if-absent; returns its dataset-relative path.
pub async fn store_report(ds: &Dataset, report: &Report) -> Result<String> {
    let v = VersionId::new(&report.version)?;
    let mut at = report.at;
    loop {
        let name = report_name(at, &report.purpose);
        let path = ds.layout.report(&v, &name);
        match ds.store.create(&path, report.to_bytes()).await? {
            crate::store::Put::Created => return Ok(format!("versions/{v}/reports/{name}.json")),
            // Two runs in the same microsecond: take the next one.
            crate::store::Put::Exists => at += chrono::Duration::microseconds(1),
        }
    }
}

/// The newest report about `v`, if gates ever ran on it.
pub async fn latest_report(ds: &Dataset, v: &VersionId) -> Result<Option<Report>> {
    let mut objs = ds.store.list(&ds.layout.reports_prefix(v)).await?;
    objs.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
    let Some(last) = objs.last() else {
        return Ok(None);
    };
    let bytes = ds.store.get(&last.location).await?.unwrap_or_default();
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Error::Corrupt(format!(
            "gate report {}: {e}",
            ds.store.url_of(&last.location)
        ))
    })
}
