//! The main job: a week of nightly publishes of churn predictions, with a bad night that an analyst
//! reverts, on the local filesystem. It prints each step as the equivalent CLI command and the
//! pointer history at the end, and checks its own outcome (so it doubles as a test).
//!
//! ```text
//! cargo run --example nightly_week                 # root ./lake, data in ./nightly-out
//! cargo run --example nightly_week -- /tmp/lake    # another root
//! ```
//! Then look around with the CLI: `cargo run -- --root lake pointer history churn_scores`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use lastgood::ops::publish::{PublishOptions, publish};
use lastgood::ops::resolve::{At, resolve};
use lastgood::ops::{revert, status};
use lastgood::synth::{self, Variant};
use lastgood::{Context, Dataset, DatasetName, Store};

const NIGHTS: [(&str, Variant, &str); 7] = [
    ("mon", Variant::Good, "churn-v1.13"),
    ("tue", Variant::Good, "churn-v1.13"),
    ("wed", Variant::Good, "churn-v1.14"),
    ("thu", Variant::Constant, "churn-v1.15"), // a broken model: every score 0.5
    ("fri", Variant::Good, "churn-v1.14"),
    ("sat", Variant::Good, "churn-v1.14"),
    ("sun", Variant::AddCol, "churn-v1.14"),
];
const ROWS: usize = 50_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "lake".to_string());
    let out_dir = PathBuf::from("nightly-out");
    let ds = Dataset::new(Store::open(&root)?, DatasetName::new("churn_scores")?);
    // A fresh run each time: the example owns this dataset.
    if let Some(local) = ds.store.local_path_of(ds.layout.prefix()) {
        let _ = std::fs::remove_dir_all(local);
    }
    let week = Utc
        .with_ymd_and_hms(2026, 11, 16, 2, 0, 0)
        .single()
        .expect("valid date");

    for (i, (night, variant, model)) in NIGHTS.iter().enumerate() {
        let at = week + Duration::days(i as i64);
        let ctx = Context::new("nightly-scorer@airflow").with_clock(move || at);
        let src = out_dir.join(night);
        let _ = std::fs::remove_dir_all(&src);
        synth::write_dir(&src, ROWS, 2, i as u64 + 1, *variant)?;
        println!(
            "$ lastgood publish churn_scores {} --meta model={model}",
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
                ..Default::default()
            },
        )
        .await?;
        println!(
            "  sealed {} ({} rows), promoted: {}",
            out.version, out.rows, out.promoted
        );

        if *night == "thu" {
            // 08:40: the analyst on call sees every churn score at 0.5 on the dashboard.
            let analyst =
                Context::new("dana@analytics").with_clock(move || at + Duration::minutes(400));
            let reason = "every score is 0.5 since the v1.15 rollout";
            println!("$ lastgood pointer revert churn_scores --reason \"{reason}\"");
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
        "{:<4} {:<20} {:<8} {:<29} {:<29} {:<24} REASON",
        "SEQ", "AT (UTC)", "ACTION", "FROM", "TO", "ACTOR"
    );
    for e in &history {
        println!(
            "{:<4} {:<20} {:<8} {:<29} {:<29} {:<24} {}",
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
    let (current, _) = resolve(&ds, &At::Current).await?;
    assert_eq!(history.len(), 8, "7 promotions and 1 revert");
    assert_eq!(history[3].action.as_str(), "revert");
    assert_eq!(s.reverted.len(), 1, "Thursday is marked reverted");
    assert_eq!(current.rows, ROWS as u64);
    assert_eq!(s.version.as_deref(), Some(current.version.as_str()));
    println!(
        "\ncurrent: {} ({} rows in {} files); reverted: {}",
        current.version,
        current.rows,
        current.files.len(),
        s.reverted.join(", ")
    );
    println!("consumers read {}", s.pointer_file);
    Ok(())
}
