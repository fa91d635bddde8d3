//! The benchmark's Rust half (examples/bench.sh drives it and the peers): each subcommand does one
//! phase in its own process and prints one JSON line with its wall time and the process's peak RSS.
//!
//! ```text
//! bench_gates publish ROOT DATASET SRC      seal SRC (a folder of Parquet files) without gates
//! bench_gates gates ROOT BASE_SRC CAND_SRC  publish both without gates, then time the gate work
//!                                           alone: row counts, null counts of every column, exact
//!                                           KS on score and spend_30d (as shared/bench/peers.py)
//! bench_gates gates ROOT BASE_SRC CAND_SRC --init
//!                                           the same, but with the gates `lastgood init --sample`
//!                                           writes from BASE_SRC's first file (what a new user
//!                                           runs: schema, unique and keyed on the key, range,
//!                                           freshness, KS by segment...), each gate's outcome and
//!                                           time in the line
//! bench_gates pointer ROOT N                grow a history to N entries; count the requests that
//!                                           pointer show, resolve and revert make at 10 and at N
//! ```

use std::sync::Arc;
use std::time::Instant;

use lastgood::config::Config;
use lastgood::faults::{Fault, FaultyStore};
use lastgood::gates::{self, Facts, Validations};
use lastgood::ops::init::{InitOptions, init};
use lastgood::ops::publish::{PublishOptions, publish};
use lastgood::ops::resolve::{At, resolve};
use lastgood::ops::validate::Rules;
use lastgood::ops::{revert, set, status};
use lastgood::{Context, Dataset, DatasetName, Store, VersionId};
use serde_json::json;

fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn no_gates() -> Rules {
    let mut v = Validations::defaults();
    v.gates.clear();
    Rules {
        validations: v,
        contract: None,
    }
}

/// The gates `init --sample` writes for the first Parquet file of `base` (a sample of a night).
async fn init_rules(
    work: &std::path::Path,
    base: &str,
) -> Result<Rules, Box<dyn std::error::Error>> {
    let mut files: Vec<_> = std::fs::read_dir(base)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    let sample = files.first().ok_or("no Parquet file in BASE_SRC")?;
    let project = work.join("init-project");
    let _ = std::fs::remove_dir_all(&project);
    init(&InitOptions {
        dataset: "bench".into(),
        dir: project.clone(),
        root: "lake".into(),
        sample: vec![sample.display().to_string()],
        ..Default::default()
    })
    .await?;
    let config = Config::load(&project.join("lastgood.toml"), true)?;
    Ok(Rules::for_dataset(&config, "bench")?)
}

/// The peers' gate work, as lastgood gates.
fn bench_rules() -> Rules {
    let text = r#"
[[gate]]
name = "rows"
kind = "row_count"
[[gate]]
name = "nulls"
kind = "null_rate"
max_increase_pp = 5.0
[[gate]]
name = "ks"
kind = "ks"
columns = ["score", "spend_30d"]
max_statistic = 0.1
min_p_value = 0.001
"#;
    let v = Validations::parse(text, std::path::Path::new("bench.toml")).expect("valid gates");
    Rules {
        validations: v,
        contract: None,
    }
}

async fn publish_version(
    ds: &Dataset,
    src: &str,
    id: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let opts = PublishOptions {
        sources: vec![src.to_string()],
        version: Some(VersionId::new(id)?),
        rules: no_gates(),
        ..Default::default()
    };
    publish(ds, &Context::new("bench"), opts).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .ok_or("missing argument (see the doc comment)")
    };
    match arg(0)?.as_str() {
        "publish" => {
            let ds = Dataset::new(Store::open(&arg(1)?)?, DatasetName::new(arg(2)?)?);
            let t = Instant::now();
            let opts = PublishOptions {
                sources: vec![arg(3)?],
                rules: no_gates(),
                ..Default::default()
            };
            let out = publish(&ds, &Context::new("bench"), opts).await?;
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{}",
                json!({"phase": "publish", "seconds": secs, "bytes": out.bytes, "files": out.files, "peak_rss": peak_rss_bytes()})
            );
        }
        "gates" => {
            let ds = Dataset::new(Store::open(&arg(1)?)?, DatasetName::new("bench")?);
            publish_version(&ds, &arg(2)?, "base").await?;
            publish_version(&ds, &arg(3)?, "cand").await?;
            let (base, cand) = (
                ds.require(&VersionId::new("base")?).await?,
                ds.require(&VersionId::new("cand")?).await?,
            );
            let from_init = args.get(4).is_some_and(|a| a == "--init");
            let rules = if from_init {
                init_rules(std::path::Path::new(&arg(1)?), &arg(2)?).await?
            } else {
                bench_rules()
            };
            let before = peak_rss_bytes();
            let t = Instant::now();
            let report = gates::evaluate(
                &ds,
                &Context::new("bench"),
                &cand,
                Some(&base),
                &rules.validations,
                None,
                "validate",
            )
            .await?;
            let secs = t.elapsed().as_secs_f64();
            if from_init {
                let gates: Vec<_> = report
                    .gates
                    .iter()
                    .map(|g| json!([lastgood::gates::report_label(g), g.kind(), g.outcome]))
                    .collect();
                println!(
                    "{}",
                    json!({"phase": "gates-init", "seconds": secs, "rows": [base.manifest.rows, cand.manifest.rows],
                           "gates": gates, "passed": report.passed, "peak_rss": peak_rss_bytes(),
                           "peak_rss_before_gates": before})
                );
                return Ok(());
            }
            let ks: serde_json::Map<String, serde_json::Value> = report
                .gates
                .iter()
                .filter_map(|g| match &g.facts {
                    Facts::Ks(f) => Some((
                        g.column.clone().unwrap_or_default(),
                        json!(f.test.as_ref().map(|t| t.statistic)),
                    )),
                    _ => None,
                })
                .collect();
            let nulls: serde_json::Map<String, serde_json::Value> = report
                .gates
                .iter()
                .filter_map(|g| match &g.facts {
                    Facts::NullRate(f) => {
                        let c = f.counts.as_ref();
                        Some((
                            g.column.clone().unwrap_or_default(),
                            json!([
                                c.and_then(|c| c.baseline_null_count),
                                c.map(|c| c.null_count),
                                c.map(|c| &c.null_count_source)
                            ]),
                        ))
                    }
                    _ => None,
                })
                .collect();
            println!(
                "{}",
                json!({"phase": "gates", "seconds": secs, "rows": [base.manifest.rows, cand.manifest.rows], "nulls": nulls, "ks": ks,
                       "passed": report.passed, "peak_rss": peak_rss_bytes(), "peak_rss_before_gates": before})
            );
        }
        "pointer" => {
            let root = arg(1)?;
            let n: u64 = arg(2)?.parse()?;
            let plain = Store::open(&root)?;
            let ds = Dataset::new(plain.clone(), DatasetName::new("ptr")?);
            let src =
                std::env::temp_dir().join(format!("lastgood-bench-ptr-{}", std::process::id()));
            for (i, id) in ["a", "b"].iter().enumerate() {
                lastgood::synth::write_dir(
                    &src.join(id),
                    1000,
                    1,
                    i as u64,
                    lastgood::synth::Variant::Good,
                )?;
                publish_version(&ds, &src.join(id).display().to_string(), id).await?;
            }
            let _ = std::fs::remove_dir_all(&src);
            let counting = Arc::new(FaultyStore::new(plain.object_store(), Fault::Never));
            let counted = Dataset::new(
                Store::with_store(
                    counting.clone(),
                    plain.base().clone(),
                    plain.store_url().clone(),
                ),
                DatasetName::new("ptr")?,
            );
            let ctx = Context::new("bench");
            let mut rows = Vec::new();
            let now = status::show(&ds).await?;
            let (mut seq, mut at) = (now.seq, now.version.unwrap_or_default());
            for target in [10, n] {
                while seq < target {
                    let to = if at == "a" { "b" } else { "a" };
                    let out =
                        set::set(&ds, &ctx, &VersionId::new(to)?, "grow the history", true).await?;
                    (seq, at) = (out.seq, to.to_string());
                }
                let mut measure = |name: &str, before: u64| {
                    rows.push(json!({"history": seq, "op": name, "requests": counting.requests() - before}));
                };
                let b = counting.requests();
                status::show(&counted).await?;
                measure("pointer show", b);
                let b = counting.requests();
                resolve(&counted, &At::Current).await?;
                measure("resolve", b);
                let b = counting.requests();
                revert::revert(&counted, &ctx, None, "bench", false).await?;
                measure("pointer revert", b);
                // Undo, so the next round starts from a plain history.
                let cur = status::show(&ds).await?;
                let other = cur.reverted.first().cloned().unwrap_or_else(|| "a".into());
                let out = set::set(&ds, &ctx, &VersionId::new(&other)?, "undo", true).await?;
                (seq, at) = (out.seq, other);
            }
            println!("{}", json!({"phase": "pointer", "requests": rows}));
        }
        other => return Err(format!("unknown phase {other}").into()),
    }
    Ok(())
}
