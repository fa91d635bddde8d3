//! Human renderings of outcomes (the `--json` renderings are the outcomes themselves).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use lastgood::gates::{GateResult, Outcome, Report, Severity};
use lastgood::ops::freeze::MarkOutcome;
use lastgood::ops::gc::GcOutcome;
use lastgood::ops::publish::PublishOutcome;
use lastgood::ops::resolve::Resolved;
use lastgood::ops::revert::PartitionRevertOutcome;
use lastgood::ops::set::MoveOutcome;
use lastgood::ops::status::PointerStatus;
use lastgood::ops::versions::{VersionDetail, VersionRow};
use lastgood::pointer::{Action, LogEntry};
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

fn or_dash(s: Option<&str>) -> String {
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
                short(&g.observed()),
                short(&g.threshold()),
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
fn verdict_block(
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

pub fn publish(o: &PublishOutcome, verbose: bool) -> String {
    let mut s = String::new();
    if o.report.is_some() {
        verdict_block(
            &mut s,
            o.passed,
            &format!("{}/{}", o.dataset, o.version),
            o.baseline.as_deref(),
            &o.gates,
            verbose,
        );
        if let Some(why) = o.scope.as_ref().and_then(|v| v["why"].as_str()) {
            let _ = writeln!(s, "compared: {why}");
        }
    }
    let _ = writeln!(
        s,
        "{} {}/{}: {} files, {} rows, {}{}",
        if o.created {
            "sealed"
        } else {
            "already sealed"
        },
        o.dataset,
        o.version,
        o.files,
        o.rows,
        bytes(o.bytes),
        o.parent
            .as_ref()
            .map(|p| format!(" (parent {p})"))
            .unwrap_or_default()
    );
    let baseline = o.baseline.as_deref().unwrap_or("nothing");
    if o.promoted {
        let _ = writeln!(
            s,
            "{}: consumers of {} now read {} (history #{})",
            if o.passed {
                "promoted"
            } else {
                "FORCED live despite failed gates"
            },
            o.dataset,
            o.version,
            o.seq.unwrap_or(0)
        );
    } else if let Some(why) = &o.frozen {
        let _ = writeln!(s, "not promoted: {why}; consumers still read {baseline}");
    } else if !o.passed {
        let _ = writeln!(
            s,
            "not promoted: a gate failed; consumers still read {baseline}"
        );
    } else {
        let _ = writeln!(
            s,
            "not promoted (--no-promote): consumers still read {baseline}"
        );
    }
    if let Some(r) = o.report_url.as_ref().or(o.report.as_ref()) {
        let _ = writeln!(s, "report: {r}");
    }
    s
}

pub fn moved(o: &MoveOutcome) -> String {
    if !o.moved {
        return format!(
            "{}: the pointer of {} already is at {}; nothing moved (history #{})\n",
            o.action,
            o.dataset,
            or_dash(o.to.as_deref()),
            o.seq
        );
    }
    format!(
        "{}: the pointer of {} moved {} -> {} (history #{}){}\n",
        o.action,
        o.dataset,
        or_dash(o.from.as_deref()),
        or_dash(o.to.as_deref()),
        o.seq,
        if o.forced { " [forced]" } else { "" }
    )
}

pub fn status(s: &PointerStatus) -> String {
    let Some(v) = &s.version else {
        return format!(
            "{}: the pointer has never moved (no version promoted yet)\n",
            s.dataset
        );
    };
    let mut out = format!("{} -> {v}\n", s.dataset);
    let rows = [
        (
            "since",
            format!(
                "{} by {}",
                s.at.map(when).unwrap_or_default(),
                or_dash(s.actor.as_deref())
            ),
        ),
        (
            "how",
            format!(
                "{} (history #{})",
                or_dash(s.action.as_deref()),
                s.moved_at_seq.unwrap_or(s.seq)
            ),
        ),
        ("reason", or_dash(s.reason.as_deref())),
        ("last-known-good", or_dash(s.last_known_good.as_deref())),
        (
            "reverted",
            if s.reverted.is_empty() {
                "-".into()
            } else {
                s.reverted.join(", ")
            },
        ),
        (
            "frozen",
            match &s.frozen {
                Some(f) => format!(
                    "YES since {} by {}: {} (publishes exit 4)",
                    when(f.at),
                    f.actor,
                    f.reason
                ),
                None => "no".into(),
            },
        ),
        (
            "pinned",
            if s.pinned.is_empty() {
                "-".into()
            } else {
                s.pinned.join(", ")
            },
        ),
        ("rows", s.rows.map(|r| r.to_string()).unwrap_or_default()),
        ("files", s.files.map(|r| r.to_string()).unwrap_or_default()),
        ("pointer file", s.pointer_file.clone()),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<16} {v}");
    }
    out
}

pub fn history(entries: &[LogEntry]) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                when(e.at),
                format!("{}{}", e.action.as_str(), if e.forced { "!" } else { "" }),
                if e.action.moves() {
                    or_dash(e.from.as_ref().map(|v| v.as_str()))
                } else {
                    "-".into()
                },
                match e.action {
                    _ if e.action.moves() => or_dash(e.to.as_ref().map(|v| v.as_str())),
                    Action::Pin | Action::Unpin => or_dash(e.subject.as_ref().map(|v| v.as_str())),
                    Action::Gc => format!("{} deleted", e.deleted().len()),
                    _ => "-".into(),
                },
                e.actor.clone(),
                or_dash(e.reason.as_deref()),
            ]
        })
        .collect();
    let mut out = table(
        &["SEQ", "AT", "ACTION", "FROM", "TO", "ACTOR", "REASON"],
        &rows,
    );
    if entries.iter().any(|e| e.forced) {
        out.push_str("(! = forced past a refusal with --force)\n");
    }
    if !entries.is_empty() {
        out.push_str(
            "(@SEQ names the version an entry left the pointer at: lastgood show DATASET @3)\n",
        );
    }
    out
}

pub fn versions(rows: &[VersionRow]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.version.clone(),
                r.created_at.map(when).unwrap_or_else(|| "-".into()),
                r.rows.map(|n| n.to_string()).unwrap_or_default(),
                r.files.map(|n| n.to_string()).unwrap_or_default(),
                partitions_cell(r),
                status_cell(&r.status, &r.failed_gates),
                r.meta
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    table(
        &[
            "VERSION",
            "CREATED",
            "ROWS",
            "FILES",
            "PARTITIONS",
            "STATUS",
            "META",
        ],
        &rows,
    )
}

/// `rejected (ks(score))`: the statuses, and the gates that blocked a rejected or forced version.
fn status_cell(status: &[String], failed: &[String]) -> String {
    if status.is_empty() {
        return "-".into();
    }
    let mut s = status.join(",");
    if !failed.is_empty() {
        let _ = write!(s, " ({})", failed.join(", "));
    }
    s
}

/// `7 (+date=2026-11-21)`: how many partitions, and those whose files this version wrote.
fn partitions_cell(r: &VersionRow) -> String {
    if r.partitions.is_empty() {
        return "-".into();
    }
    let own: Vec<String> = r
        .partitions
        .iter()
        .filter(|p| p.version.as_deref() == Some(r.version.as_str()))
        .map(|p| {
            p.values
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    match own.len() {
        0 => r.partitions.len().to_string(),
        n if n == r.partitions.len() => format!("{n} (all new)"),
        _ => format!("{} (+{})", r.partitions.len(), own.join(" +")),
    }
}

pub fn version(d: &VersionDetail) -> String {
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

pub fn doctor(r: &lastgood::ops::doctor::DoctorReport) -> String {
    let mut s = format!(
        "{}: {}: {} log entries, {} sealed versions, {} files ({} bytes) verified\n",
        r.dataset,
        if r.ok { "healthy" } else { "PROBLEMS" },
        r.log_entries,
        r.versions_sealed,
        r.files_verified,
        r.bytes_verified
    );
    if !r.versions_unsealed.is_empty() {
        let _ = writeln!(
            s,
            "unsealed (in flight or interrupted, never readable): {}",
            r.versions_unsealed.join(", ")
        );
    }
    for p in &r.problems {
        let _ = writeln!(s, "problem: {} {}: {}", p.kind, p.subject, p.message);
    }
    for x in &r.repaired {
        let _ = writeln!(s, "repaired: {x}");
    }
    s
}

pub fn resolved_urls(r: &Resolved) -> String {
    r.files.iter().map(|f| format!("{}\n", f.url)).collect()
}

pub fn mark(o: &MarkOutcome) -> String {
    let what = match o.action.as_str() {
        "freeze" => format!(
            "{} is frozen: publishes seal and gate but do not promote",
            o.dataset
        ),
        "unfreeze" => format!("{} is not frozen: publishes promote again", o.dataset),
        "pin" => format!(
            "{} of {} is pinned: gc keeps it",
            or_dash(o.version.as_deref()),
            o.dataset
        ),
        _ => format!(
            "{} of {} is not pinned",
            or_dash(o.version.as_deref()),
            o.dataset
        ),
    };
    if o.changed {
        format!("{what} (history #{})\n", o.seq)
    } else {
        format!("{what} (already so; nothing written)\n")
    }
}

pub fn gc(o: &GcOutcome) -> String {
    let mut out = String::new();
    if o.deleted.is_empty() {
        let _ = writeln!(
            out,
            "gc {}: nothing to delete ({} versions kept)",
            o.dataset,
            o.kept.len()
        );
    } else {
        let rows: Vec<Vec<String>> = o
            .deleted
            .iter()
            .map(|d| {
                vec![
                    d.version.clone(),
                    d.created_at.map(when).unwrap_or_else(|| "-".into()),
                    if d.sealed { "sealed" } else { "unsealed" }.to_string(),
                    d.objects.to_string(),
                    bytes(d.bytes),
                    d.referenced.to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "DELETE",
                "CREATED",
                "WAS",
                "OBJECTS",
                "SIZE",
                "FILES STILL REFERENCED",
            ],
            &rows,
        ));
    }
    let rows: Vec<Vec<String>> = o
        .kept
        .iter()
        .map(|k| vec![k.version.clone(), k.why.join(",")])
        .collect();
    if !rows.is_empty() {
        out.push('\n');
        out.push_str(&table(&["KEEP", "WHY"], &rows));
    }
    let _ = match (o.dry_run, o.seq) {
        (true, _) => writeln!(
            out,
            "\ndry run: would delete {} version(s), {} objects, {}; nothing deleted",
            o.deleted.len(),
            o.objects,
            bytes(o.bytes)
        ),
        (false, Some(seq)) => writeln!(
            out,
            "\ndeleted {} version(s), {} objects, {} (history #{seq})",
            o.deleted.len(),
            o.objects,
            bytes(o.bytes)
        ),
        (false, None) => Ok(()),
    };
    out
}

/// 1.5 MiB, 230 KiB, 12 B.
fn bytes(n: u64) -> String {
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

pub fn partition_revert(o: &PartitionRevertOutcome) -> String {
    let mut out = moved(&o.moved);
    for p in &o.partitions {
        let _ = writeln!(
            out,
            "  {}: now from {} ({} rows){}",
            p.partition,
            p.from,
            p.rows,
            p.replaced
                .as_ref()
                .map(|r| format!(", replacing the files of {r}"))
                .unwrap_or_default()
        );
    }
    if o.created {
        let _ = writeln!(out, "  sealed {} for it", or_dash(o.moved.to.as_deref()));
    }
    out
}

pub fn init(o: &lastgood::ops::init::InitOutcome) -> String {
    let mut out = String::new();
    for w in &o.written {
        let _ = writeln!(out, "wrote {w}");
    }
    for k in &o.kept {
        let _ = writeln!(out, "kept  {k} (exists; not touched)");
    }
    if !o.next.is_empty() {
        out.push_str("\nnext:\n");
        for n in &o.next {
            let _ = writeln!(out, "  {n}");
        }
    }
    out
}

pub fn delta_build(o: &lastgood::ops::delta::BuildOutcome) -> String {
    format!(
        "{}: Delta table {} at version {}{} ({} commit(s), {} checkpoint(s) written)\n",
        o.dataset,
        o.table,
        o.delta_version,
        if o.turned_on {
            ", projection turned on"
        } else {
            ""
        },
        o.commits_written,
        o.checkpoints_written
    )
}

pub fn datasets(rows: &[lastgood::ops::datasets::DatasetRow]) -> String {
    if rows.is_empty() {
        return "no datasets under this root\n".to_string();
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let m = r.last_move.as_ref();
            vec![
                r.dataset.clone(),
                or_dash(r.version.as_deref()),
                m.map(|m| when(m.at)).unwrap_or_else(|| "-".into()),
                m.map(|m| format!("{}{}", m.action, if m.forced { "!" } else { "" }))
                    .unwrap_or_else(|| "-".into()),
                m.map(|m| m.actor.clone()).unwrap_or_else(|| "-".into()),
                match &r.frozen {
                    Some(why) => format!("FROZEN: {why}"),
                    None => or_dash(m.and_then(|m| m.reason.as_deref())),
                },
            ]
        })
        .collect();
    table(
        &["DATASET", "POINTER", "MOVED", "HOW", "BY", "REASON"],
        &rows,
    )
}

pub fn rules_shown(o: &lastgood::rules::Shown) -> String {
    let Some(r) = &o.rules else {
        return format!(
            "{}: no rules recorded yet (the next publish records its own)\n",
            o.dataset
        );
    };
    let mut s = format!(
        "{} rules {}\n",
        o.dataset,
        o.checksum.as_deref().unwrap_or("-")
    );
    let part = match &r.partitioning {
        None => "none (published whole)".to_string(),
        Some(p) => format!(
            "{} (compare {})",
            p.keys
                .iter()
                .map(|k| format!(
                    "{k}:{}",
                    serde_json::to_string(&p.key_type(k))
                        .unwrap_or_default()
                        .trim_matches('"')
                ))
                .collect::<Vec<_>>()
                .join(", "),
            serde_json::to_string(&p.compare)
                .unwrap_or_default()
                .trim_matches('"')
        ),
    };
    let _ = writeln!(s, "  partitioning    {part}");
    for g in &r.gates {
        let _ = writeln!(
            s,
            "  gate            {}",
            serde_json::to_string(g).unwrap_or_default()
        );
    }
    let _ = writeln!(
        s,
        "  contract        {}",
        match &r.contract {
            None => "none".to_string(),
            Some(c) => format!("{} columns", c.columns.len()),
        }
    );
    let _ = writeln!(
        s,
        "  success_marker  {}",
        r.success_marker.as_deref().unwrap_or("none")
    );
    s
}

pub fn rules_set(o: &lastgood::rules::SetOutcome) -> String {
    if !o.changed {
        return format!("{} already has these rules ({})\n", o.dataset, o.rules);
    }
    let mut s = format!(
        "{} rules set to {} (history #{})\n",
        o.dataset, o.rules, o.seq
    );
    for c in &o.changes {
        let _ = writeln!(s, "  {c}");
    }
    s
}
