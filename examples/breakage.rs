//! The breakage benchmark: `lastgood init --sample` on a good night, then every breakage class of
//! [`lastgood::breakage`] published against it, then sound nights; prints the README's table (the
//! breakage, the gate that caught it, the observed value, the threshold) and exits 1 if a breakage
//! got through or a sound night was refused.
//!
//! ```text
//! cargo run --example breakage -- --rows 200000
//! CARGO_TARGET_DIR=/work/dist-target cargo run --profile dist --example breakage -- --rows 10000000 --sound 5
//! ```
//! Options: `--rows N` (200000), `--sound N` sound nights after the breakages (30), `--dir DIR`
//! (a temporary folder; the project, the lake and the nights go there).
//!
//! After each night `lastgood gc` (no grace, keep 2) collects the rejected versions and the
//! baselines no longer needed, so the lake holds about two nights at a time: 52 nights of 10M rows
//! would otherwise fill the disk.

use std::path::PathBuf;
use std::time::Instant;

use lastgood::breakage::{Breakage, Population, publish_night};
use lastgood::config::Config;
use lastgood::gates::{GateResult, Outcome};
use lastgood::ops::gc::{GcOptions, gc};
use lastgood::ops::init::{InitOptions, init};
use lastgood::ops::publish::{PublishOptions, publish};
use lastgood::ops::validate::Rules;
use lastgood::{Context, Dataset, DatasetName, Store};
use serde_json::Value;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// A number, short.
fn short(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e9 {
        format!("{f}")
    } else if f.abs() >= 1e6 || (f != 0.0 && f.abs() < 1e-3) {
        format!("{f:.3e}")
    } else {
        format!("{:.4}", f)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// The observed values and the thresholds they were held to, as two table cells: for each numeric
/// threshold (`min_spearman`, `max_violations`, `max_change`) the observed value of the same name
/// (`spearman`, `violations`, `change`), those that crossed first (all when none did). A gate
/// whose numbers do not show why (NaN where there was none) adds its message.
fn cells(g: &GateResult) -> (String, String) {
    let (obs, thr) = (g.observed(), g.threshold());
    let num = |v: &Value| v.as_f64();
    let Value::Object(t) = &thr else {
        return (g.message.clone(), thr.to_string());
    };
    let bounds: Vec<(&String, f64)> = t
        .iter()
        .filter_map(|(k, v)| num(v).map(|f| (k, f)))
        .collect();
    let Value::Object(o) = &obs else {
        // One number (a rate, a ratio) against bounds.
        let seen = num(&obs).map_or_else(|| obs.to_string(), short);
        let limits: Vec<String> = bounds
            .iter()
            .map(|(k, f)| format!("{k}={}", short(*f)))
            .collect();
        let why = if g.kind() == "null_rate" {
            format!(" ({})", g.message)
        } else {
            String::new()
        };
        return (format!("{seen}{why}"), limits.join(" "));
    };
    let mut pairs: Vec<(String, String, bool)> = Vec::new();
    for (k, limit) in &bounds {
        let base = k
            .strip_prefix("min_")
            .or_else(|| k.strip_prefix("max_"))
            .unwrap_or(k);
        let stem = base.trim_end_matches('s');
        let found = [k.as_str(), base]
            .iter()
            .find_map(|n| o.get(*n).and_then(num).map(|v| (n.to_string(), v)))
            .or_else(|| {
                o.iter()
                    .find(|(ok, ov)| ok.starts_with(stem) && ov.is_number())
                    .and_then(|(ok, ov)| num(ov).map(|v| (ok.clone(), v)))
            });
        if let Some((name, v)) = found {
            let crossed = if k.starts_with("min_") || k.as_str() == "min" {
                v < *limit
            } else {
                v > *limit
            };
            pairs.push((
                format!("{name}={}", short(v)),
                format!("{k}={}", short(*limit)),
                crossed,
            ));
        }
    }
    let any = pairs.iter().any(|p| p.2);
    let shown: Vec<&(String, String, bool)> = pairs.iter().filter(|p| p.2 || !any).collect();
    if shown.is_empty() {
        return (g.message.clone(), thr.to_string());
    }
    (
        shown
            .iter()
            .map(|p| p.0.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        shown
            .iter()
            .map(|p| p.1.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Deletes what the next nights do not need: rejected versions and all but the last two the pointer
/// held.
async fn collect(ds: &Dataset, ctx: &Context) -> Result<(), Box<dyn std::error::Error>> {
    let opts = GcOptions {
        keep: 2,
        grace: chrono::Duration::zero(),
        ..Default::default()
    };
    gc(ds, ctx, &opts).await?;
    Ok(())
}

fn failing(g: &GateResult) -> bool {
    matches!(g.outcome, Outcome::Fail | Outcome::Error)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = arg("--rows").map_or(Ok(200_000), |s| s.parse())?;
    let sound: u64 = arg("--sound").map_or(Ok(30), |s| s.parse())?;
    let tmp = tempfile::tempdir()?;
    let work = arg("--dir").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&work)?;
    let pop = Population::new(rows);
    let ctx = Context::new("breakage-bench");

    // 1. Night 0, and the gates `init --sample` writes for it (never edited).
    let t = Instant::now();
    let sample = work.join("sample");
    pop.write_night(&sample, 0, None)?;
    let generated = t.elapsed();
    let project = work.join("project");
    let t = Instant::now();
    init(&InitOptions {
        dataset: "churn".into(),
        dir: project.clone(),
        root: "lake".into(),
        sample: vec![sample.display().to_string()],
        ..Default::default()
    })
    .await?;
    let profiled = t.elapsed();
    let config = Config::load(&project.join("lastgood.toml"), true)?;
    let rules = Rules::for_dataset(&config, "churn")?;
    let lake = project.join("lake");
    std::fs::create_dir_all(&lake)?;
    let ds = Dataset::new(
        Store::open(&lake.display().to_string())?,
        DatasetName::new("churn")?,
    );
    let first = publish(
        &ds,
        &ctx,
        PublishOptions {
            sources: vec![sample.display().to_string()],
            rules: rules.clone(),
            ..Default::default()
        },
    )
    .await?;
    std::fs::remove_dir_all(&sample)?;
    eprintln!(
        "night 0: {} rows generated in {:.1}s, profiled by init in {:.1}s, published {}",
        first.rows,
        generated.as_secs_f64(),
        profiled.as_secs_f64(),
        first.version
    );

    // 2. Each breakage of night 1, against night 0.
    let mut table = vec![
        "| Breakage | Caught by | Observed | Threshold | Also failed |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    let mut missed = Vec::new();
    for b in Breakage::ALL {
        let t = Instant::now();
        let out = publish_night(&ds, &ctx, &rules, &pop, &work, 1, Some(b), false).await?;
        collect(&ds, &ctx).await?;
        let failed: Vec<&GateResult> = out.gates.iter().filter(|g| failing(g)).collect();
        let main = failed
            .iter()
            .find(|g| g.kind() == b.caught_by())
            .or(failed.first())
            .copied();
        eprintln!(
            "{:<18} {:>6.1}s  {}",
            b.slug(),
            t.elapsed().as_secs_f64(),
            if failed.is_empty() {
                "PASSED (missed)".to_string()
            } else {
                failed
                    .iter()
                    .map(|g| lastgood::gates::report_label(g))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        if out.passed || !failed.iter().any(|g| g.kind() == b.caught_by()) {
            missed.push(b.slug());
        }
        let also: Vec<String> = failed
            .iter()
            .filter(|g| Some(**g) != main)
            .map(|g| lastgood::gates::report_label(g))
            .collect();
        table.push(match main {
            Some(g) => {
                let (seen, limit) = cells(g);
                format!(
                    "| {} | `{}` ({}) | {} | {} | {} |",
                    b.what(),
                    lastgood::gates::report_label(g),
                    g.kind(),
                    seen,
                    limit,
                    if also.is_empty() {
                        "-".to_string()
                    } else {
                        also.join(", ")
                    }
                )
            }
            None => format!("| {} | **missed** | - | - | - |", b.what()),
        });
    }

    // 3. Sound nights, each promoted: the next one's baseline.
    let mut alarms = Vec::new();
    let t = Instant::now();
    for night in 1..=sound {
        let out = publish_night(&ds, &ctx, &rules, &pop, &work, night, None, true).await?;
        collect(&ds, &ctx).await?;
        if !out.passed {
            let f: Vec<String> = out
                .gates
                .iter()
                .filter(|g| failing(g))
                .map(|g| format!("{}: {}", lastgood::gates::report_label(g), g.message))
                .collect();
            alarms.push(format!("night {night}: {}", f.join("; ")));
        }
    }
    eprintln!(
        "{sound} sound nights in {:.1}s: {} false alarm(s)",
        t.elapsed().as_secs_f64(),
        alarms.len()
    );
    for a in &alarms {
        eprintln!("  {a}");
    }
    println!("{}", table.join("\n"));
    println!(
        "\n{} of {} breakages caught; {} of {sound} sound nights passed ({rows} rows a night).",
        Breakage::ALL.len() - missed.len(),
        Breakage::ALL.len(),
        sound as usize - alarms.len()
    );
    if !missed.is_empty() || !alarms.is_empty() {
        eprintln!("missed: {missed:?}");
        std::process::exit(1);
    }
    Ok(())
}
