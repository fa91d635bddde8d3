//! The main job: a week of nightly publishes of churn predictions on the local filesystem, judged by
//! the gates in `validations/churn_scores.toml` (and the contract in `schemas/`) as configured in
//! `lastgood.toml`. Thursday's model shifts every score: the gates refuse it and the pointer stays
//! put. Saturday a canary model reaches the production path; its numbers look plausible, the gates
//! pass it, and the analyst on call reverts it in the morning. It prints each step as the
//! equivalent CLI command, the history at the end, and checks its own outcome (so it doubles as a
//! test).
//!
//! ```text
//! cargo run --example nightly_week                 # root from lastgood.toml: ./lake
//! cargo run --example nightly_week -- /tmp/lake    # another root
//! ```
//! Then look around: `cargo run -- pointer history churn_scores`, `cargo run -- versions churn_scores`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Duration, TimeZone, Utc};
use lastgood::config::Config;
use lastgood::gates::Outcome;
use lastgood::ops::publish::{PublishOptions, publish};
use lastgood::ops::resolve::{At, resolve};
use lastgood::ops::validate::Rules;
use lastgood::ops::{revert, status};
use lastgood::synth::{self, Variant};
use lastgood::{Context, Dataset, DatasetName, Store};

const NIGHTS: [(&str, Variant, &str); 7] = [
    ("mon", Variant::Good, "churn-v1.13"),
    ("tue", Variant::Good, "churn-v1.13"),
    ("wed", Variant::Good, "churn-v1.14"),
    ("thu", Variant::Shift, "churn-v1.15"), // a broken model: every score 0.10 higher
    ("fri", Variant::Good, "churn-v1.14"),
    ("sat", Variant::Good, "churn-v1.16-canary"), // plausible numbers, wrong model
    ("sun", Variant::AddCol, "churn-v1.14"),      // adds a column: additive, fine
];
const ROWS: usize = 50_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("lastgood.toml"),
        true,
    )?;
    let root = config.root(std::env::args().nth(1).as_deref())?;
    let rules = Rules::for_dataset(&config, "churn_scores")?;
    let ds = Dataset::new(Store::open(&root)?, DatasetName::new("churn_scores")?);
    // A fresh week each run: the example owns this dataset.
    if let Some(local) = ds.store.local_path_of(ds.layout.prefix()) {
        let _ = std::fs::remove_dir_all(local);
    }
    let out_dir = PathBuf::from(&root).join("_nightly-out");
    let week = Utc
        .with_ymd_and_hms(2026, 11, 16, 2, 0, 0)
        .single()
        .expect("valid date");
    println!(
        "# root {root}, gates from {}",
        rules
            .validations
            .source
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );

    for (i, (night, variant, model)) in NIGHTS.iter().enumerate() {
        let at = week + Duration::days(i as i64);
        let ctx = Context::new("nightly-scorer@airflow").with_clock(move || at);
        let src = out_dir.join(night);
        let _ = std::fs::remove_dir_all(&src);
        synth::write_dir(&src, ROWS, 2, i as u64 + 1, *variant)?;
        println!(
            "\n$ lastgood publish churn_scores {} --meta model={model}",
            src.display()
        );
        let out = publish(
            &ds,
            &ctx,
            PublishOptions {
                sources: vec![src.display().to_string()],
                meta: BTreeMap::from([
                    ("model".to_string(), model.to_string()),
                    ("night".to_string(), night.to_string()),
                ]),
                message: Some(format!("nightly scoring, {night}")),
                rules: rules.clone(),
                ..Default::default()
            },
        )
        .await?;
        let judged = out
            .gates
            .iter()
            .filter(|g| g.outcome != Outcome::Skipped)
            .count();
        println!(
            "  sealed {} ({} rows); gates {} ({judged} checks against {})",
            out.version,
            out.rows,
            if out.passed { "PASSED" } else { "FAILED" },
            out.baseline.as_deref().unwrap_or("nothing: first version")
        );
        for g in out.gates.iter().filter(|g| !g.passed) {
            println!(
                "    {:?} {} {}: {}",
                g.outcome,
                g.name,
                g.column.as_deref().unwrap_or(""),
                g.message
            );
        }
        if out.promoted {
            println!("  promoted: consumers now read {}", out.version);
        } else {
            println!(
                "  NOT promoted (exit 3): consumers still read {}",
                out.baseline.as_deref().unwrap_or("-")
            );
        }

        if *night == "sat" {
            // 08:40: the analyst on call sees the canary model's label on the dashboard.
            let analyst =
                Context::new("dana@analytics").with_clock(move || at + Duration::minutes(400));
            let reason = "churn-v1.16-canary reached the production path";
            println!("\n$ lastgood pointer revert churn_scores --reason \"{reason}\"");
            let r = revert::revert(&ds, &analyst, None, reason, false).await?;
            println!(
                "  reverted {} -> {}",
                r.from.unwrap_or_default(),
                r.to.unwrap_or_default()
            );
        }
    }

    println!("\n$ lastgood pointer history churn_scores");
    let history = status::history(&ds, None).await?;
    println!(
        "{:<4} {:<17} {:<8} {:<29} {:<29} {:<23} REASON",
        "SEQ", "AT (UTC)", "ACTION", "FROM", "TO", "ACTOR"
    );
    for e in &history {
        println!(
            "{:<4} {:<17} {:<8} {:<29} {:<29} {:<23} {}",
            e.seq,
            e.at.format("%Y-%m-%d %H:%M"),
            e.action.as_str(),
            e.from.as_ref().map(|v| v.as_str()).unwrap_or("-"),
            e.to.as_ref().map(|v| v.as_str()).unwrap_or("-"),
            e.actor,
            e.reason.as_deref().unwrap_or("-")
        );
    }

    // Check the outcome, so this example fails loudly if lastgood regresses.
    let s = status::show(&ds).await?;
    let (current, sealed) = resolve(&ds, &At::Current).await?;
    let actions: Vec<&str> = history.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "promote", "promote", "promote", "promote", "promote", "revert", "promote"
        ],
        "Thursday never promoted"
    );
    assert_eq!(s.reverted.len(), 1, "Saturday is marked reverted");
    assert_eq!(
        sealed.manifest.meta.get("night").map(String::as_str),
        Some("sun")
    );
    assert_eq!(current.rows, ROWS as u64);
    assert!(
        history
            .iter()
            .filter(|e| e.action.as_str() == "promote")
            .all(|e| e.verdict.as_ref().is_some_and(|v| v.passed))
    );
    println!(
        "\ncurrent: {} ({} rows, model {}); reverted: {}",
        current.version,
        current.rows,
        sealed.manifest.meta["model"],
        s.reverted.join(", ")
    );
    println!("consumers read {}", s.pointer_file);
    Ok(())
}
