//! The human rendering every command shares: colour, tables fitted to the terminal, times, sizes,
//! and the gate verdict block of publish, validate and report. A command's own rendering lives in
//! its file under `commands/`; `--json` renderings are the outcomes themselves.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use lastgood::gates::{GateResult, Outcome, Report, Severity};
use lastgood::text;

static COLOUR: AtomicBool = AtomicBool::new(false);

/// Colour verdicts: only on a terminal, never with NO_COLOR or --json (decided by main).
pub fn set_colour(on: bool) {
    COLOUR.store(on, Ordering::Relaxed);
}

/// A verdict word in its colour (red fail, yellow warn, green pass, dim skip) when colour is on.
pub fn paint(word: &str) -> String {
    if !COLOUR.load(Ordering::Relaxed) {
        return word.to_string();
    }
    let code = match word.trim() {
        "FAIL" | "ERROR" | "FAILED" | "PROBLEMS" | "FORCED LIVE" => "1;31",
        "WARN" | "frozen" | "FROZEN" | "REVERTED" | "NOT PROMOTED" => "33",
        "pass" | "PASSED" | "healthy" | "LIVE" => "32",
        "rejected" => "31",
        "skip" => "2",
        _ => return word.to_string(),
    };
    format!("\x1b[{code}m{word}\x1b[0m")
}

/// An aligned table: a header and rows, fitted to the terminal's width (long cells cut with …).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    // Free text gives way first; ids, times and counts are what people copy.
    const FLEXIBLE: [&str; 10] = [
        "OBSERVED",
        "THRESHOLD",
        "DETAIL",
        "REASON",
        "META",
        "STATUS",
        "PARTITIONS",
        "WHY",
        "WHAT",
        "FILES STILL REFERENCED",
    ];
    let flexible: Vec<usize> = (0..header.len())
        .filter(|&i| FLEXIBLE.contains(&header[i]))
        .collect();
    let widths = text::fit_prefer(header, rows, text::terminal_width(), 2, &flexible);
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let n = cells.len();
        for (i, c) in cells.into_iter().enumerate() {
            let c = text::cut(c, widths[i]);
            if i + 1 == n {
                out.push_str(&paint(&c));
            } else {
                let padded = format!("{c:<w$}", w = widths[i]);
                let _ = write!(out, "{}  ", paint(&padded));
            }
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// `2026-11-21 02:00:00 UTC`: the one timestamp format of human output.
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    lastgood::ops::versions::when(t)
}

pub fn or_dash(s: Option<&str>) -> String {
    s.unwrap_or("-").to_string()
}

/// The gate table, verdict first, failures first (then warnings, then the rest, in report order);
/// unless `all`, only the gates that failed or warned.
pub fn gates(results: &[GateResult], all: bool) -> String {
    let mut ordered: Vec<&GateResult> = results.iter().filter(|g| all || !g.passed).collect();
    if ordered.is_empty() {
        return String::new();
    }
    ordered.sort_by_key(|g| match (g.passed, g.severity) {
        (false, Severity::Fail) => 0,
        (false, Severity::Warn) => 1,
        _ => 2,
    });
    let rows: Vec<Vec<String>> = ordered
        .into_iter()
        .map(|g| {
            let verdict = match (g.outcome, g.severity) {
                (Outcome::Pass, _) => "pass",
                (Outcome::Skipped, _) => "skip",
                (Outcome::Fail, Severity::Warn) | (Outcome::Error, Severity::Warn) => "WARN",
                (Outcome::Fail, Severity::Fail) => "FAIL",
                (Outcome::Error, Severity::Fail) => "ERROR",
            };
            vec![
                verdict.to_string(),
                g.name.clone(),
                g.column.clone().unwrap_or_else(|| "-".into()),
                short(&g.observed),
                short(&g.threshold),
                g.message.clone(),
            ]
        })
        .collect();
    table(
        &[
            "VERDICT",
            "GATE",
            "COLUMN",
            "OBSERVED",
            "THRESHOLD",
            "DETAIL",
        ],
        &rows,
    )
}

/// A JSON value in a few characters: numbers to 4 significant digits, objects as k=v.
fn short(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "-".into(),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
                format!("{x:.3e}")
            } else {
                format!("{}", (x * 1e4).round() / 1e4)
            }
        }
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => {
            if a.is_empty() {
                "-".into()
            } else {
                a.iter().map(short).collect::<Vec<_>>().join(",")
            }
        }
        Value::Object(o) => {
            let parts: Vec<String> = o
                .iter()
                .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
                .map(|(k, v)| format!("{k}={}", short(v)))
                .collect();
            if parts.is_empty() {
                "-".into()
            } else {
                parts.join(" ")
            }
        }
    }
}

/// `PASS 11  WARN 0  FAIL 1  SKIP 1` (errors count as failures).
pub fn counts(results: &[GateResult]) -> String {
    let n = |f: &dyn Fn(&GateResult) -> bool| results.iter().filter(|g| f(g)).count();
    format!(
        "PASS {}  WARN {}  FAIL {}  SKIP {}",
        n(&|g| g.outcome == Outcome::Pass),
        n(&|g| !g.passed && g.severity == Severity::Warn),
        n(&|g| g.blocks()),
        n(&|g| g.outcome == Outcome::Skipped)
    )
}

/// The verdict line, the gates that did not pass (all of them with `-v`), and the skipped ones in
/// one line.
pub fn verdict_block(
    s: &mut String,
    passed: bool,
    subject: &str,
    baseline: Option<&str>,
    results: &[GateResult],
    verbose: bool,
) {
    let verdict = paint(if passed { "PASSED" } else { "FAILED" });
    let _ = writeln!(
        s,
        "{verdict} {subject} against {}: {}",
        baseline.unwrap_or("nothing (first version)"),
        counts(results)
    );
    s.push_str(&gates(results, verbose));
    let skipped: Vec<String> = results
        .iter()
        .filter(|g| g.outcome == Outcome::Skipped)
        .map(lastgood::gates::report_label)
        .collect();
    if !verbose && !skipped.is_empty() {
        let line = format!("skipped: {}", skipped.join(", "));
        let _ = writeln!(
            s,
            "{}",
            text::cut(&line, text::terminal_width().unwrap_or(usize::MAX))
        );
    }
}

pub fn report(r: &Report, location: &str, verbose: bool) -> String {
    let mut s = String::new();
    verdict_block(
        &mut s,
        r.passed,
        &format!("{}/{}", r.dataset, r.version),
        r.baseline.as_deref(),
        &r.gates,
        verbose,
    );
    let _ = writeln!(
        s,
        "judged {} by {} in {} ms ({} gates)",
        when(r.at),
        r.actor,
        r.duration_ms,
        r.gates.len()
    );
    let _ = writeln!(s, "report: {location}");
    s
}

/// 1.5 MiB, 230 KiB, 12 B.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The stderr line of a judgement that failed: `gates failed for churn/wed-3: ks(score); the pointer
/// stays at mon-1`.
pub fn gates_failed(dataset: &str, version: &str, gates: &[GateResult], pointer: &str) -> String {
    let failed: Vec<String> = gates
        .iter()
        .filter(|g| g.blocks())
        .map(lastgood::gates::report_label)
        .collect();
    format!(
        "gates failed for {dataset}/{version}: {}; {pointer}",
        failed.join(", ")
    )
}
