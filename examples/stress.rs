//! A stress run of every command that writes, at once, then the invariants checked.
//!
//! 1. Write a few source nights: sound ones, a drifted one, a null-ridden one.
//! 2. For `--seconds`, `--workers` loops each run the real binary with a random command against two
//!    datasets on ROOT: `flat` (whole versions) and `daily` (partitioned by date): publish, pointer
//!    revert, partition revert, pointer set by ref, gc (no grace period), pin/unpin, freeze/unfreeze
//!    and `doctor --repair`.
//! 3. Every exit is classified: 0, 3 (gates failed), 4 (refused) and 5 (conflict) are answers a
//!    scheduler expects; 2 is a refusal of a name that a concurrent gc or move made stale (counted
//!    apart); anything else (1, a panic, a signal) is a violation.
//! 4. With everything stopped: `doctor` (no repair) on each dataset must be healthy — the log is
//!    gap-free and every entry follows the one before, every move went to a version sealed then,
//!    every file of every sealed version is present with its checksum, no stray objects, pointer.json
//!    names the head (and the Delta projection is in step) — and `pointer show` agrees with
//!    pointer.json.
//!
//! Usage: `cargo run --example stress -- ROOT [--seconds 300] [--workers 6]`
//! (ROOT: a folder or a URL, e.g. the `s3://…` tests/s3/seaweedfs.sh serves). Prints one JSON line
//! of figures; exits 1 on any violation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lastgood::synth::{self, Rng, Variant};

struct Args {
    root: String,
    seconds: u64,
    workers: u64,
}

fn args() -> Args {
    let mut a = Args {
        root: String::new(),
        seconds: 300,
        workers: 6,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--seconds" => a.seconds = it.next().and_then(|v| v.parse().ok()).unwrap_or(300),
            "--workers" => a.workers = it.next().and_then(|v| v.parse().ok()).unwrap_or(6),
            root => a.root = root.to_string(),
        }
    }
    if a.root.is_empty() {
        eprintln!("usage: cargo run --example stress -- ROOT [--seconds 300] [--workers 6]");
        std::process::exit(2);
    }
    a
}

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/debug/examples/stress -> target/debug/lastgood
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("lastgood"))
        .expect("target dir")
}

#[derive(Default)]
struct Tally {
    runs: u64,
    by_command: BTreeMap<String, BTreeMap<i32, u64>>,
    violations: Vec<String>,
    /// The first message of each (command, exit code) but 0: what the refusals were.
    samples: BTreeMap<String, String>,
}

fn main() {
    let a = args();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path().to_path_buf();
    std::fs::write(
        dir.join("lastgood.toml"),
        "[datasets.daily]\npartition_by = [\"date\"]\npartition_types = { date = \"date\" }\n",
    )
    .expect("config");
    let nights: Vec<PathBuf> = [
        (1, Variant::Good),
        (2, Variant::Good),
        (3, Variant::Good),
        (4, Variant::Good),
        (5, Variant::Shift),
        (6, Variant::Nulls),
    ]
    .iter()
    .map(|(seed, v)| {
        let d = dir.join(format!("night-{seed}"));
        synth::write_dir(&d, 3_000, 2, *seed, *v).expect("synthetic night");
        d
    })
    .collect();

    let bin = binary();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..a.workers)
        .map(|w| {
            let (bin, dir, root, nights, tally) = (
                bin.clone(),
                dir.clone(),
                a.root.clone(),
                nights.clone(),
                tally.clone(),
            );
            std::thread::spawn(move || {
                let mut rng = Rng::new(1000 + w);
                while Instant::now() < deadline {
                    let cmd = pick(&mut rng, &nights);
                    let out = Command::new(&bin)
                        .current_dir(&dir)
                        .arg("--root")
                        .arg(&root)
                        .args(&cmd)
                        .env("LASTGOOD_ACTOR", format!("stress-{w}"))
                        .output()
                        .expect("run lastgood");
                    let code = out.status.code().unwrap_or(-1);
                    let name = match cmd[0].as_str() {
                        "pointer" if cmd.iter().any(|c| c == "--partition") => {
                            format!("{} {} {} --partition", cmd[0], cmd[1], cmd[2])
                        }
                        "pointer" => cmd[..3].join(" "),
                        _ => cmd[..2].join(" "),
                    };
                    let mut t = tally.lock().expect("tally");
                    t.runs += 1;
                    *t.by_command
                        .entry(name.clone())
                        .or_default()
                        .entry(code)
                        .or_default() += 1;
                    let err = String::from_utf8_lossy(&out.stderr);
                    if code != 0 {
                        let first = err.lines().next().unwrap_or_default().to_string();
                        t.samples
                            .entry(format!("{name} -> {code}"))
                            .or_insert(first);
                    }
                    // Exit 2 is expected where a concurrent gc or move made a name stale (a pin of
                    // a version just collected); never for a log readers refuse. Doctor during the
                    // run may see a move half done; only the final, quiet doctor judges.
                    let broken_log = [
                        "does not follow",
                        "has a gap",
                        "past the log",
                        "lost its newest",
                        "vanished",
                    ]
                    .iter()
                    .any(|p| err.contains(p));
                    let expected = matches!(code, 0 | 2 | 3 | 4 | 5)
                        && !err.contains("panicked")
                        && (cmd[0] == "doctor" || !broken_log);
                    if !expected {
                        t.violations
                            .push(format!("{} -> {code}: {}", cmd.join(" "), err.trim()));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let ran_for = started.elapsed().as_secs_f64();

    // 4. The invariants, with everything stopped.
    let mut checks = 0;
    let mut t = tally.lock().expect("tally");
    for ds in ["flat", "daily"] {
        let run = |args: &[&str]| {
            Command::new(&bin)
                .current_dir(&dir)
                .arg("--root")
                .arg(&a.root)
                .args(args)
                .output()
                .expect("run lastgood")
        };
        let doctor = run(&["doctor", ds, "--json"]);
        checks += 1;
        if !doctor.status.success() {
            t.violations.push(format!(
                "final doctor {ds}: {}{}",
                String::from_utf8_lossy(&doctor.stdout),
                String::from_utf8_lossy(&doctor.stderr)
            ));
        }
        let show = run(&["pointer", "show", ds, "--json"]);
        let resolved = run(&["resolve", ds, "--format", "json"]);
        checks += 1;
        let version = |o: &std::process::Output| {
            serde_json::from_slice::<serde_json::Value>(&o.stdout)
                .ok()
                .and_then(|v| v["version"].as_str().map(str::to_string))
        };
        if version(&show).is_none() || version(&show) != version(&resolved) {
            t.violations.push(format!(
                "{ds}: pointer show and resolve disagree: {} / {}",
                String::from_utf8_lossy(&show.stdout),
                String::from_utf8_lossy(&resolved.stdout)
            ));
        }
    }
    let figures = serde_json::json!({
        "root": a.root,
        "seconds": ran_for,
        "workers": a.workers,
        "commands": t.runs,
        "exits_by_command": t.by_command,
        "final_checks": checks,
        "violations": t.violations,
        "samples": t.samples,
    });
    println!("{figures}");
    if !t.violations.is_empty() {
        std::process::exit(1);
    }
}

/// One random command: mostly publishes and moves, some gc, marks and repairs.
fn pick(rng: &mut Rng, nights: &[PathBuf]) -> Vec<String> {
    let night = nights[rng.below(nights.len() as u64) as usize]
        .display()
        .to_string();
    let date = format!("date=2026-11-0{}", 1 + rng.below(6));
    let refs = ["previous", "lkg", "latest", "current", "@1", "@3", "@7"];
    let r = refs[rng.below(refs.len() as u64) as usize].to_string();
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match rng.below(20) {
        0..=4 => v(&["publish", "flat", &night]),
        5..=8 => v(&["publish", "daily", &night, "--partition", &date]),
        9 => v(&["pointer", "revert", "flat", "--reason", "stress"]),
        10 => v(&[
            "pointer",
            "revert",
            "daily",
            "--partition",
            &date,
            "--reason",
            "stress",
        ]),
        11 => v(&["pointer", "set", "flat", &r, "--reason", "stress"]),
        12 => v(&["gc", "flat", "--keep", "2", "--grace", "0s"]),
        13 => v(&["gc", "daily", "--keep", "2", "--grace", "0s"]),
        14 => v(&["pin", "flat", &r, "--reason", "stress"]),
        15 => v(&["unpin", "flat", &r]),
        16 => v(&["freeze", "flat", "--reason", "stress"]),
        17 => v(&["unfreeze", "flat"]),
        18 => v(&["doctor", "flat", "--repair"]),
        _ => v(&["doctor", "daily", "--repair"]),
    }
}
