//! The breakage benchmark at 200k rows, through the real binary: `lastgood init --sample` on a good
//! night writes the gates, never edited; every breakage class is then refused (exit 3, the gate
//! kind named for it failed, the pointer stays) and 30 sound nights with natural drift all pass
//! (exit 0, not one false alarm).

use lastgood::breakage::{Breakage, Population};
use lastgood::gates::Outcome;
use lastgood::ops::publish::PublishOutcome;

use crate::util::*;

const ROWS: usize = 200_000;
const SOUND_NIGHTS: u64 = 30;

fn failed(out: &PublishOutcome) -> Vec<String> {
    out.gates
        .iter()
        .filter(|g| matches!(g.outcome, Outcome::Fail | Outcome::Error))
        .map(|g| {
            format!(
                "{} [{}] {}",
                lastgood::gates::report_label(g),
                g.kind(),
                g.message
            )
        })
        .collect()
}

#[test]
fn init_sample_gates_catch_every_breakage_and_pass_sound_nights() {
    let started = std::time::Instant::now();
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let pop = Population::new(ROWS);
    pop.write_night(&cwd.join("sample"), 0, None).unwrap();
    let o = lastgood(cwd, &root, &["init", "churn", "--sample", "sample"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let gates = std::fs::read_to_string(cwd.join("validations/churn.toml")).unwrap();
    for kind in [
        "keyed",
        "unique",
        "range",
        "freshness",
        "distribution",
        "ks",
        "null_rate",
    ] {
        assert!(
            gates.contains(&format!("kind = \"{kind}\"")),
            "init wrote no {kind} gate:\n{gates}"
        );
    }
    let first: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &["publish", "churn", "sample", "--json"],
    ));
    assert!(first.promoted);

    // Every night to publish, in order: the breakages of night 1 against night 0 (sealed, never
    // promoted), then the sound nights 1..=30, each promoted and the next one's baseline. A thread
    // writes them one ahead of the publishes (the binary's work and the generator's overlap).
    let plan: Vec<(u64, Option<Breakage>)> = Breakage::ALL
        .iter()
        .map(|b| (1, Some(*b)))
        .chain((1..=SOUND_NIGHTS).map(|n| (n, None)))
        .collect();
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, Option<Breakage>, std::path::PathBuf)>(1);
    let writer = {
        let (plan, dir) = (plan.clone(), cwd.to_path_buf());
        std::thread::spawn(move || {
            for (night, b) in plan {
                let d = dir.join(format!(
                    "night-{night}-{}",
                    b.map_or("sound", Breakage::slug)
                ));
                pop.write_night(&d, night, b).unwrap();
                if tx.send((night, b, d)).is_err() {
                    return;
                }
            }
        })
    };

    let mut missed = Vec::new();
    let mut alarms = Vec::new();
    let mut judged_breakages = std::time::Duration::ZERO;
    for (night, b, dir) in rx {
        let t = std::time::Instant::now();
        let mut args = vec!["publish", "churn", dir.to_str().unwrap(), "--json"];
        if b.is_some() {
            args.push("--no-promote");
        }
        let o = lastgood(cwd, &root, &args);
        std::fs::remove_dir_all(&dir).unwrap();
        let out: PublishOutcome = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
        let exit = code(&o);
        match b {
            Some(b) => {
                judged_breakages += t.elapsed();
                let caught = out.gates.iter().any(|g| {
                    g.kind() == b.caught_by() && matches!(g.outcome, Outcome::Fail | Outcome::Error)
                });
                if exit != 3 || out.passed || !caught {
                    missed.push(format!(
                        "{} (exit {exit}; expected {} to fail; failed: {:?})",
                        b.slug(),
                        b.caught_by(),
                        failed(&out)
                    ));
                }
                assert!(!out.promoted, "{}: promoted", b.slug());
            }
            None => {
                if exit != 0 || !out.passed || !out.promoted {
                    alarms.push(format!("night {night}: exit {exit}: {:?}", failed(&out)));
                }
            }
        }
    }
    writer.join().unwrap();
    eprintln!(
        "breakage benchmark at {ROWS} rows: {} breakages and {SOUND_NIGHTS} sound nights in {:.1}s ({:.1}s publishing the breakages)",
        Breakage::ALL.len(),
        started.elapsed().as_secs_f64(),
        judged_breakages.as_secs_f64(),
    );
    assert!(
        missed.is_empty(),
        "breakages let through:\n{}",
        missed.join("\n")
    );
    assert!(alarms.is_empty(), "false alarms:\n{}", alarms.join("\n"));
}
