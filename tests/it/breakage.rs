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

    let publish = |night: u64, b: Option<Breakage>, promote: bool| {
        let dir = cwd.join(format!(
            "night-{night}-{}",
            b.map_or("sound", Breakage::slug)
        ));
        pop.write_night(&dir, night, b).unwrap();
        let mut args = vec!["publish", "churn", dir.to_str().unwrap(), "--json"];
        if !promote {
            args.push("--no-promote");
        }
        let o = lastgood(cwd, &root, &args);
        std::fs::remove_dir_all(&dir).unwrap();
        let out: PublishOutcome = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
        (code(&o), out)
    };

    let breakages_started = std::time::Instant::now();
    let mut missed = Vec::new();
    for b in Breakage::ALL {
        let (exit, out) = publish(1, Some(b), false);
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
    let breakages_took = breakages_started.elapsed();

    let sound_started = std::time::Instant::now();
    let mut alarms = Vec::new();
    for night in 1..=SOUND_NIGHTS {
        let (exit, out) = publish(night, None, true);
        if exit != 0 || !out.passed || !out.promoted {
            alarms.push(format!("night {night}: exit {exit}: {:?}", failed(&out)));
        }
    }
    let sound_took = sound_started.elapsed();
    eprintln!(
        "breakage benchmark at {ROWS} rows: {} breakages in {:.1}s, {SOUND_NIGHTS} sound nights in {:.1}s, all in {:.1}s",
        Breakage::ALL.len(),
        breakages_took.as_secs_f64(),
        sound_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        missed.is_empty(),
        "breakages let through:\n{}",
        missed.join("\n")
    );
    assert!(alarms.is_empty(), "false alarms:\n{}", alarms.join("\n"));
}
