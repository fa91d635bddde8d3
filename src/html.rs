//! One gate report as one self-contained HTML page, for whoever decides if a version is good.
//!
//! The page answers the questions of someone triaging a publish, in the order they ask them:
//! 0. **Consequence** (when the caller knows the version's life): what consumers read because of
//!    this version: not promoted (they still read X since T), FORCED live by A: reason, reverted
//!    at T by A. Then the producer's meta, message and the partitions the version wrote.
//! 1. **Verdict**: PASSED or FAILED in a banner, the gates that blocked it, and what was judged
//!    against what, when, by whom and for what purpose.
//! 2. **Gates**: every result in one table, failures first, then warnings, then the rest (report
//!    order kept within each group). Each outcome is spelled out, so colour is never the only cue.
//! 3. **Drift**: for each KS gate, the baseline and candidate ECDFs overlaid as step lines, with D
//!    drawn where it is reached. Reports written before ECDFs were stored get a note instead.
//! 4. **Null rates**: baseline beside candidate for every column a null-rate gate checked.
//! 5. **Category mix**: baseline beside candidate shares for each distribution gate.
//! 6. **Schema**: added columns and problems found by the schema and contract gates.
//! 7. **Columns**: per-column summary statistics, baseline beside candidate (mean, p5, p50, p95,
//!    nulls, distinct), when the caller computed them.
//! 8. **Footer**: where the report, its validations and its contract came from.
//!
//! The page stands alone: inline CSS and SVG, no script, no fonts, no network, so it can be
//! attached to a ticket or opened from an object store years later and still read the same. It
//! works from the JSON rather than from the typed `Report` so that it renders any format version
//! and anything damaged: a missing or mistyped field shows as "—" or is left out, never a panic.
//! Every string taken from the report is escaped.

use std::fmt::{self, Display, Write};

use serde_json::{Map, Value};

/// Shown wherever a value is missing or of the wrong type.
const DASH: &str = "—";

/// What the page can say that the report itself does not.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageContext<'a> {
    /// Where the report was read from (a path or URL), named in the footer.
    pub origin: Option<&'a str>,
    /// The version's life and manifest (`lastgood show`): the consequence banner, meta, message,
    /// partitions.
    pub version: Option<&'a crate::ops::versions::VersionDetail>,
    /// Per-column summary statistics, candidate beside baseline.
    pub stats: &'a [crate::ops::report::ColumnStats],
}

/// The report as a complete HTML5 document.
pub fn render(report: &Value) -> String {
    render_with(report, &PageContext::default())
}

/// The report as a complete HTML5 document, with what the caller knows about it.
pub fn render_with(report: &Value, ctx: &PageContext) -> String {
    let mut out = String::with_capacity(64 * 1024);
    page(&mut out, report, ctx).expect("writing to a String cannot fail");
    out
}

fn page(out: &mut String, report: &Value, ctx: &PageContext) -> fmt::Result {
    let gates = sorted_gates(report);
    let dataset = text(report, "dataset").unwrap_or(DASH);
    let version = text(report, "version").unwrap_or(DASH);
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>{}{} · {} {} · lastgood gate report</title>",
        ctx.version
            .map(|d| format!("{} · ", d.consequence().headline))
            .unwrap_or_default(),
        verdict_word(report),
        Esc(dataset),
        Esc(version)
    )?;
    writeln!(out, "<style>{CSS}</style>\n</head>\n<body>\n<main>")?;
    if let Some(d) = ctx.version {
        consequence(out, d)?;
    }
    verdict(out, report, &gates)?;
    if let Some(d) = ctx.version {
        about(out, d, report)?;
    }
    gate_table(out, &gates)?;
    slices(out, &gates)?;
    columns(out, ctx.stats)?;
    drift(out, &gates)?;
    null_rates(out, &gates)?;
    category_mix(out, &gates)?;
    keyed_change(out, &gates)?;
    schema(out, &gates)?;
    footer(out, report, ctx)?;
    writeln!(out, "</main>\n</body>\n</html>")
}

// ---------------------------------------------------------------------------------------------
// Reading the JSON: every accessor tolerates any shape.

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str()
}

fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key)?.as_f64().filter(|x| x.is_finite())
}

/// How a gate result reads on the page; `Fail` and `Error` are what block a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Fail,
    Error,
    Warn,
    Pass,
    Skipped,
    Unknown,
}

impl Status {
    fn of(g: &Value) -> Status {
        let outcome = text(g, "outcome");
        let failed = match outcome {
            Some("fail" | "error") => true,
            Some("pass" | "skipped") => false,
            _ => g.get("passed").and_then(Value::as_bool) == Some(false),
        };
        if failed && text(g, "severity") == Some("warn") {
            Status::Warn
        } else if failed && outcome == Some("error") {
            Status::Error
        } else if failed {
            Status::Fail
        } else {
            match (outcome, g.get("passed").and_then(Value::as_bool)) {
                (Some("skipped"), _) => Status::Skipped,
                (Some("pass"), _) | (None, Some(true)) => Status::Pass,
                _ => Status::Unknown,
            }
        }
    }

    /// Failures first, then warnings, then the rest.
    fn rank(self) -> u8 {
        match self {
            Status::Fail | Status::Error => 0,
            Status::Warn => 1,
            _ => 2,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Status::Fail => "✗ FAIL",
            Status::Error => "✗ ERROR",
            Status::Warn => "⚠ WARN",
            Status::Pass => "✓ PASS",
            Status::Skipped => "– SKIPPED",
            Status::Unknown => "? UNKNOWN",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Status::Fail | Status::Error => "fail",
            Status::Warn => "warn",
            Status::Pass => "pass",
            Status::Skipped | Status::Unknown => "skip",
        }
    }
}

/// The report's gate results, failures first (a stable sort keeps report order within a group).
fn sorted_gates(report: &Value) -> Vec<&Value> {
    let mut gates: Vec<&Value> = report
        .get("gates")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter(|g| g.is_object()).collect())
        .unwrap_or_default();
    gates.sort_by_key(|g| Status::of(g).rank());
    gates
}

fn of_kind<'a>(gates: &[&'a Value], kind: &str) -> Vec<&'a Value> {
    gates
        .iter()
        .copied()
        .filter(|g| text(g, "kind") == Some(kind))
        .collect()
}

/// `name` or `name(column)`, as log entries name a gate result.
fn label(g: &Value) -> String {
    let name = text(g, "name").unwrap_or(DASH);
    match text(g, "column") {
        Some(c) => format!("{name}({c})"),
        None => name.to_string(),
    }
}

fn labels_with(gates: &[&Value], pred: impl Fn(Status) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    for g in gates.iter().filter(|g| pred(Status::of(g))) {
        let l = label(g);
        if !seen.contains(&l) {
            seen.push(l);
        }
    }
    seen
}

// ---------------------------------------------------------------------------------------------
// Formatting.

/// Text made safe for HTML element content and attribute values.
struct Esc<'a>(&'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + 1;
        }
        f.write_str(&self.0[last..])
    }
}

/// A number as people read it: integers whole, others to four decimals, tiny ones in e-notation.
fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        x.to_string()
    } else if x == x.trunc() && a < 1e15 {
        format!("{}", x as i64)
    } else if (1e-3..1e9).contains(&a) {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.3e}")
    }
}

fn pct(rate: f64) -> String {
    format!("{:.2}%", rate * 100.0)
}

/// A signed change in percentage points.
fn pp(delta: f64) -> String {
    let sign = if delta > 0.0 {
        "+"
    } else if delta < 0.0 {
        "−"
    } else {
        "±"
    };
    format!("{sign}{:.2} pp", delta.abs() * 100.0)
}

/// Any JSON value as one line of plain text (escape it when writing): nulls left out of objects,
/// empty lists as "none", long results cut short.
fn show(v: &Value) -> String {
    const MAX: usize = 240;
    let s = show_inner(v);
    if s.chars().count() > MAX {
        s.chars().take(MAX).chain(std::iter::once('…')).collect()
    } else {
        s
    }
}

fn show_inner(v: &Value) -> String {
    match v {
        Value::Null => DASH.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => n.as_f64().map(fmt_num).unwrap_or_else(|| n.to_string()),
        },
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "none".to_string(),
        Value::Array(a) => a.iter().map(show_inner).collect::<Vec<_>>().join(", "),
        Value::Object(m) => show_fields(m),
    }
}

fn show_fields(m: &Map<String, Value>) -> String {
    let parts: Vec<String> = m
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::Object(inner) => format!("{k}: {{{}}}", show_fields(inner)),
            _ => format!("{k}: {}", show_inner(v)),
        })
        .collect();
    if parts.is_empty() {
        DASH.to_string()
    } else {
        parts.join(", ")
    }
}

/// A value for a table cell, escaped: an object one field a line, anything else as [`show`] has it.
fn fields_html(v: Option<&Value>) -> String {
    match v {
        Some(Value::Object(m)) if m.values().any(|v| !v.is_null()) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}: {}", Esc(k), Esc(&show(v))))
            .collect::<Vec<_>>()
            .join("<br>"),
        Some(v) => Esc(&show(v)).to_string(),
        None => DASH.to_string(),
    }
}

/// Opens a table with the given column headings, up to its `<tbody>`.
fn table_head(out: &mut String, class: &str, headings: &[&str]) -> fmt::Result {
    write!(out, "<table class=\"{class}\">\n<thead><tr>")?;
    for h in headings {
        write!(out, "<th>{}</th>", Esc(h))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")
}

fn badge(out: &mut String, s: Status) -> fmt::Result {
    write!(
        out,
        "<span class=\"badge {}\">{}</span>",
        s.class(),
        s.label()
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Verdict.

fn verdict_word(report: &Value) -> &'static str {
    match report.get("passed").and_then(Value::as_bool) {
        Some(true) => "PASSED",
        Some(false) => "FAILED",
        None => "NO VERDICT",
    }
}

fn verdict(out: &mut String, report: &Value, gates: &[&Value]) -> fmt::Result {
    let (class, icon) = match report.get("passed").and_then(Value::as_bool) {
        Some(true) => ("pass", "✓"),
        Some(false) => ("fail", "✗"),
        None => ("skip", "?"),
    };
    let blocked = labels_with(gates, |s| matches!(s, Status::Fail | Status::Error));
    let warned = labels_with(gates, |s| s == Status::Warn);
    writeln!(out, "<header class=\"verdict {class}\" id=\"verdict\">")?;
    writeln!(
        out,
        "<div class=\"verdict-head\">\
         <span class=\"verdict-icon\" aria-hidden=\"true\">{icon}</span>\
         <h1>{}</h1><span class=\"verdict-sub\">{}</span></div>",
        verdict_word(report),
        Esc(&summary(gates))
    )?;
    if !blocked.is_empty() {
        writeln!(
            out,
            "<p class=\"verdict-list\"><strong>Blocked by:</strong> {}</p>",
            code_list(&blocked)
        )?;
    }
    if !warned.is_empty() {
        writeln!(
            out,
            "<p class=\"verdict-list\"><strong>Warnings:</strong> {}</p>",
            code_list(&warned)
        )?;
    }
    writeln!(out, "</header>")?;
    facts(out, report)
}

/// "17 gate results: 1 failed, 16 passed".
fn summary(gates: &[&Value]) -> String {
    let count =
        |pred: &dyn Fn(Status) -> bool| gates.iter().filter(|g| pred(Status::of(g))).count();
    let parts: Vec<String> = [
        (count(&|s| s == Status::Fail), "failed"),
        (count(&|s| s == Status::Error), "errored"),
        (count(&|s| s == Status::Warn), "warned"),
        (count(&|s| s == Status::Pass), "passed"),
        (count(&|s| s == Status::Skipped), "skipped"),
        (count(&|s| s == Status::Unknown), "unknown"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    match gates.len() {
        0 => "no gate results".to_string(),
        1 => format!("1 gate result: {}", parts.join(", ")),
        n => format!("{n} gate results: {}", parts.join(", ")),
    }
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("<code>{}</code>", Esc(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn facts(out: &mut String, report: &Value) -> fmt::Result {
    let baseline = match report.get("baseline") {
        Some(Value::Null) => "none (first publish)".to_string(),
        Some(v @ Value::String(_)) => show(v),
        _ => DASH.to_string(),
    };
    let took = num(report, "duration_ms").map(|ms| format!("{} ms", fmt_num(ms)));
    let rows: [(&str, String, bool); 7] = [
        (
            "Dataset",
            text(report, "dataset").unwrap_or(DASH).to_string(),
            true,
        ),
        (
            "Version",
            text(report, "version").unwrap_or(DASH).to_string(),
            true,
        ),
        ("Baseline", baseline, true),
        (
            "When",
            text(report, "at")
                .map(readable_time)
                .unwrap_or_else(|| DASH.to_string()),
            false,
        ),
        (
            "Who",
            text(report, "actor").unwrap_or(DASH).to_string(),
            false,
        ),
        (
            "Purpose",
            text(report, "purpose").unwrap_or(DASH).to_string(),
            false,
        ),
        ("Took", took.unwrap_or_else(|| DASH.to_string()), false),
    ];
    writeln!(out, "<dl class=\"facts\">")?;
    for (term, value, mono) in rows {
        let class = if mono { " class=\"mono\"" } else { "" };
        writeln!(
            out,
            "<div><dt>{term}</dt><dd{class}>{}</dd></div>",
            Esc(&value)
        )?;
    }
    writeln!(out, "</dl>")
}

// ---------------------------------------------------------------------------------------------
// 2. Gate table.

fn gate_table(out: &mut String, gates: &[&Value]) -> fmt::Result {
    writeln!(out, "<section id=\"gates\">\n<h2>Gates</h2>")?;
    if gates.is_empty() {
        return writeln!(
            out,
            "<p class=\"note\">This report holds no gate results.</p>\n</section>"
        );
    }
    table_head(
        out,
        "gates",
        &[
            "Outcome",
            "Gate",
            "Kind",
            "Column",
            "Severity",
            "Observed",
            "Threshold",
            "Message",
        ],
    )?;
    for g in gates {
        let status = Status::of(g);
        let cell = |key: &str| g.get(key).map(show).unwrap_or_else(|| DASH.to_string());
        write!(out, "<tr class=\"{}\"><td>", status.class())?;
        badge(out, status)?;
        writeln!(
            out,
            "</td><td class=\"strong\">{}</td><td class=\"nowrap\">{}</td>\
             <td class=\"mono nowrap\">{}</td><td>{}</td>\
             <td class=\"mono small wrap\">{}</td><td class=\"mono small wrap\">{}</td>\
             <td class=\"wrap\">{}</td></tr>",
            Esc(&cell("name")),
            Esc(&cell("kind")),
            Esc(&cell("column")),
            match text(g, "severity") {
                Some("fail") => "blocking".to_string(),
                Some("warn") => "warning".to_string(),
                _ => Esc(&cell("severity")).to_string(),
            },
            fields_html(g.get("observed")),
            fields_html(g.get("threshold")),
            Esc(&cell("message")),
        )?;
    }
    writeln!(out, "</tbody>\n</table>\n</section>")
}

// ---------------------------------------------------------------------------------------------
// Slices: each sliced gate's verdict per slice, the worst first (as the report orders them).

fn slices(out: &mut String, gates: &[&Value]) -> fmt::Result {
    let sliced: Vec<&Value> = gates
        .iter()
        .copied()
        .filter(|g| {
            g.get("slices")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        })
        .collect();
    if sliced.is_empty() {
        return Ok(());
    }
    writeln!(out, "<section id=\"slices\">\n<h2>Slices</h2>")?;
    writeln!(
        out,
        "<p class=\"note\">Gates judged per slice (<code>by</code>): each slice's rows on both \
         sides, the worst slice first. Slices under <code>min_slice_rows</code> are reported, not \
         judged; a slice only in the baseline has vanished.</p>"
    )?;
    for g in sliced {
        let status = Status::of(g);
        write!(
            out,
            "<div class=\"card {}\">\n<p class=\"card-title\">",
            status.class()
        )?;
        badge(out, status)?;
        writeln!(out, " <strong>{}</strong></p>", Esc(&label(g)))?;
        table_head(
            out,
            "slices",
            &[
                "Outcome",
                "Slice",
                "Baseline rows",
                "Rows",
                "Observed",
                "Message",
            ],
        )?;
        for s in g
            .get("slices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let judged = s.get("judged").and_then(Value::as_bool) != Some(false);
            let status = if judged {
                Status::of(s)
            } else {
                Status::Skipped
            };
            let slice = match s.get("slice") {
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("null")))
                    .collect::<Vec<_>>()
                    .join(", "),
                Some(other) => show(other),
                None => DASH.to_string(),
            };
            let rows = |k: &str| s.get(k).map(show).unwrap_or_else(|| DASH.to_string());
            write!(out, "<tr class=\"{}\"><td>", status.class())?;
            badge(out, status)?;
            writeln!(
                out,
                "{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"mono small wrap\">{}</td><td class=\"wrap\">{}</td></tr>",
                if judged {
                    ""
                } else {
                    " <span class=\"muted\">not judged</span>"
                },
                Esc(&slice),
                Esc(&rows("baseline_slice_rows")),
                Esc(&rows("slice_rows")),
                fields_html(s.get("observed")),
                Esc(text(s, "message").unwrap_or(DASH)),
            )?;
        }
        writeln!(out, "</tbody>\n</table>\n</div>")?;
    }
    writeln!(out, "</section>")
}

// ---------------------------------------------------------------------------------------------
// 3. Drift: KS gates with their ECDFs.

fn drift(out: &mut String, gates: &[&Value]) -> fmt::Result {
    let ks = of_kind(gates, "ks");
    if ks.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"drift\">\n<h2>Drift (Kolmogorov–Smirnov)</h2>"
    )?;
    writeln!(
        out,
        "<p class=\"note\">Empirical CDFs of the candidate and the baseline. \
         D is the largest vertical gap between them, marked where it is reached.</p>"
    )?;
    writeln!(out, "<div class=\"charts\">")?;
    for g in ks {
        ks_card(out, g)?;
    }
    writeln!(out, "</div>\n</section>")
}

/// A KS number from the details, or else from `observed`.
fn ks_num(g: &Value, key: &str) -> Option<f64> {
    num(g, key).or_else(|| g.get("observed").and_then(|o| num(o, key)))
}

/// A gate's card: its status class, badge and label, and (with `message`) its one line.
fn card_open(out: &mut String, g: &Value, message: bool) -> fmt::Result {
    let status = Status::of(g);
    write!(
        out,
        "<figure class=\"card {}\">\n<figcaption>",
        status.class()
    )?;
    badge(out, status)?;
    writeln!(out, " <strong>{}</strong></figcaption>", Esc(&label(g)))?;
    if message && let Some(m) = text(g, "message") {
        writeln!(out, "<p class=\"stats\">{}</p>", Esc(m))?;
    }
    Ok(())
}

fn ks_card(out: &mut String, g: &Value) -> fmt::Result {
    card_open(out, g, false)?;

    let ecdf = g.get("ecdf").unwrap_or(&Value::Null);
    let candidate = ecdf.get("candidate").map(points).unwrap_or_default();
    let baseline = ecdf.get("baseline").map(points).unwrap_or_default();
    let chart = !(candidate.is_empty() && baseline.is_empty());

    let threshold = g.get("threshold").unwrap_or(&Value::Null);
    let limit =
        |key: &str, word: &str| num(threshold, key).map(|t| format!(" ({word} {})", fmt_num(t)));
    let mut stats = Vec::new();
    if let Some(d) = ks_num(g, "statistic") {
        stats.push(format!(
            "D = {}{}",
            fmt_num(d),
            limit("max_statistic", "max").unwrap_or_default()
        ));
    }
    if let Some(p) = ks_num(g, "p_value") {
        stats.push(format!(
            "p = {}{}",
            fmt_num(p),
            limit("min_p_value", "min").unwrap_or_default()
        ));
    }
    if let Some(x) = num(g, "location") {
        stats.push(format!("at {}", fmt_num(x)));
    }
    if let (Some(c), Some(b), false) = (num(g, "n_candidate"), num(g, "n_baseline"), chart) {
        stats.push(format!("n = {} vs {}", fmt_num(c), fmt_num(b)));
    }
    if !stats.is_empty() {
        writeln!(out, "<p class=\"stats\">{}</p>", Esc(&stats.join(" · ")))?;
    }

    if !chart {
        let why = match text(g, "outcome") {
            Some("skipped" | "error") => text(g, "message").unwrap_or("not evaluated"),
            _ => "this report stores no ECDF (it was written before lastgood recorded them)",
        };
        writeln!(out, "<p class=\"note\">No chart: {}.</p>", Esc(why))?;
    } else {
        ecdf_chart(out, g, &candidate, &baseline)?;
    }
    writeln!(out, "</figure>")
}

/// `[[x, F], ...]` as finite points; anything else is dropped.
fn points(v: &Value) -> Vec<(f64, f64)> {
    let Some(items) = v.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|p| {
            let pair = p.as_array()?;
            let x = pair.first()?.as_f64()?;
            let f = pair.get(1)?.as_f64()?;
            (x.is_finite() && f.is_finite()).then_some((x, f.clamp(0.0, 1.0)))
        })
        .collect()
}

/// The right-continuous step function through `pts` (x ascending), 0 left of the first point.
fn step_at(pts: &[(f64, f64)], x: f64) -> f64 {
    pts.iter()
        .take_while(|(px, _)| *px <= x)
        .last()
        .map_or(0.0, |(_, f)| *f)
}

/// A linear map from data to SVG coordinates.
#[derive(Debug, Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    fn at(&self, x: f64) -> f64 {
        self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// Round ticks, about `want` of them, inside `[lo, hi]`.
fn ticks(lo: f64, hi: f64, want: f64) -> Vec<f64> {
    let raw = (hi - lo) / want;
    if !(raw.is_finite() && raw > 0.0) {
        return vec![lo];
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = mag
        * match raw / mag {
            f if f < 1.5 => 1.0,
            f if f < 3.0 => 2.0,
            f if f < 7.0 => 5.0,
            _ => 10.0,
        };
    // Round to the step's own decimals, so 3 * 0.2 is 0.6 and not 0.6000000000000001.
    let unit = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    let first = (lo / step).ceil();
    (0..12)
        .map(|i| ((first + i as f64) * step * unit).round() / unit)
        .take_while(|t| *t <= hi + step * 1e-9)
        .collect()
}

/// How much of each tail the x axis may leave out, so one far outlier does not squash the curves.
const TAIL: f64 = 0.005;

/// The x range the chart covers: both curves from their `TAIL` to their `1 - TAIL` quantile, and
/// the location of D, unless the tails are short enough to show whole; never empty. Also whether
/// the tails were cut.
fn x_domain(sides: &[&[(f64, f64)]], location: Option<f64>) -> ((f64, f64), bool) {
    let body = sides.iter().flat_map(|s| {
        // The last point at or below TAIL and the first at or above 1 - TAIL bound the body.
        let lo = s
            .iter()
            .take_while(|(_, f)| *f <= TAIL)
            .last()
            .or(s.first());
        let hi = s.iter().find(|(_, f)| *f >= 1.0 - TAIL).or(s.last());
        lo.into_iter().chain(hi).map(|(x, _)| *x)
    });
    let (lo, hi) = body
        .chain(location)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    let all = sides
        .iter()
        .flat_map(|s| s.iter().map(|(x, _)| *x))
        .fold((lo, hi), |(lo, hi), x| (lo.min(x), hi.max(x)));
    // Cut only tails long enough to matter: ones that would take over a fifth of the axis.
    if all.1 - all.0 > 1.25 * (hi - lo) {
        (padded(lo, hi), true)
    } else {
        (padded(all.0, all.1), false)
    }
}

fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        (0.0, 1.0)
    } else if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        let pad = (lo.abs() * 0.05).max(0.5);
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    }
}

fn ecdf_chart(
    out: &mut String,
    g: &Value,
    candidate: &[(f64, f64)],
    baseline: &[(f64, f64)],
) -> fmt::Result {
    const W: f64 = 540.0;
    const H: f64 = 320.0;
    let (left, right, top, bottom) = (50.0, W - 16.0, 14.0, H - 44.0);
    let location = num(g, "location");
    let ((x0, x1), cut) = x_domain(&[candidate, baseline], location);
    let sx = Scale {
        d0: x0,
        d1: x1,
        r0: left,
        r1: right,
    };
    let sy = Scale {
        d0: 0.0,
        d1: 1.0,
        r0: bottom,
        r1: top,
    };
    let column = text(g, "column").unwrap_or("value");

    writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-label=\"ECDF of {} for candidate and baseline\">",
        Esc(column)
    )?;
    writeln!(
        out,
        "<title>ECDF of {}: candidate vs baseline</title>",
        Esc(column)
    )?;

    // Grid and y axis.
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let y = sy.at(t);
        writeln!(
            out,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{right}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + 4.0,
            fmt_num(t)
        )?;
    }
    // x axis.
    writeln!(
        out,
        "<line class=\"axis\" x1=\"{left}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\"/>"
    )?;
    for t in ticks(x0, x1, 5.0) {
        let x = sx.at(t);
        writeln!(
            out,
            "<line class=\"axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{bottom}\" y2=\"{:.1}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 5.0,
            bottom + 18.0,
            fmt_num(t)
        )?;
    }
    writeln!(
        out,
        "<text class=\"axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        (left + right) / 2.0,
        H - 8.0,
        Esc(column)
    )?;
    writeln!(
        out,
        "<text class=\"axis-title\" transform=\"translate(14 {:.1}) rotate(-90)\" \
         text-anchor=\"middle\">ECDF</text>",
        (top + bottom) / 2.0
    )?;

    // Candidate solid underneath, baseline dashed on top: both stay visible where they coincide.
    if !candidate.is_empty() {
        step_path(out, candidate, sx, sy, "candidate")?;
    }
    if !baseline.is_empty() {
        step_path(out, baseline, sx, sy, "baseline")?;
    }
    if let Some(loc) = location {
        d_marker(out, g, loc, candidate, baseline, sx, sy)?;
    }
    legend(
        out,
        g,
        (right, bottom),
        !candidate.is_empty(),
        !baseline.is_empty(),
    )?;
    writeln!(out, "</svg>")?;
    if cut {
        writeln!(
            out,
            "<p class=\"note small\">The x axis shows the {}–{}% range of both curves; \
             the tails beyond run along its edges.</p>",
            fmt_num(TAIL * 100.0),
            fmt_num(100.0 - TAIL * 100.0)
        )?;
    }
    Ok(())
}

fn step_path(
    out: &mut String,
    pts: &[(f64, f64)],
    sx: Scale,
    sy: Scale,
    class: &str,
) -> fmt::Result {
    write!(
        out,
        "<path class=\"{class}\" d=\"M{:.1},{:.1}",
        sx.r0,
        sy.at(0.0)
    )?;
    for (x, f) in pts {
        write!(
            out,
            "H{:.1}V{:.1}",
            sx.at(*x).clamp(sx.r0, sx.r1),
            sy.at(*f)
        )?;
    }
    writeln!(out, "H{:.1}\"/>", sx.r1)
}

/// D as a vertical segment at `location`, from one curve's value there to the other's.
fn d_marker(
    out: &mut String,
    g: &Value,
    loc: f64,
    candidate: &[(f64, f64)],
    baseline: &[(f64, f64)],
    sx: Scale,
    sy: Scale,
) -> fmt::Result {
    let (fc, fb) = (step_at(candidate, loc), step_at(baseline, loc));
    let d = ks_num(g, "statistic").unwrap_or((fc - fb).abs());
    let x = sx.at(loc);
    let (ya, yb) = (sy.at(fc), sy.at(fb));
    writeln!(out, "<g class=\"d-marker\">")?;
    writeln!(
        out,
        "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{ya:.1}\" y2=\"{yb:.1}\"/>"
    )?;
    for y in [ya, yb] {
        writeln!(
            out,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>",
            x - 5.0,
            x + 5.0
        )?;
    }
    // Label beside the segment, on whichever side has more room.
    let on_right = x < (sx.r0 + sx.r1) * 0.6;
    let (lx, anchor) = if on_right {
        (x + 8.0, "start")
    } else {
        (x - 8.0, "end")
    };
    writeln!(
        out,
        "<text x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">D = {}</text>",
        (ya + yb) / 2.0 + 4.0,
        fmt_num(d)
    )?;
    writeln!(out, "</g>")
}

/// The legend, in the plot's bottom right corner: an ECDF is near 1 at the right edge, so that
/// corner stays clear of the curves.
fn legend(
    out: &mut String,
    g: &Value,
    corner: (f64, f64),
    candidate: bool,
    baseline: bool,
) -> fmt::Result {
    let n = |key: &str| {
        num(g, key)
            .map(|n| format!(" (n = {})", fmt_num(n)))
            .unwrap_or_default()
    };
    let mut entries = Vec::new();
    if candidate {
        entries.push(("candidate", format!("candidate{}", n("n_candidate"))));
    }
    if baseline {
        entries.push(("baseline", format!("baseline{}", n("n_baseline"))));
    }
    const WIDTH: f64 = 180.0;
    let height = entries.len() as f64 * 18.0 + 6.0;
    let (x, y) = (corner.0 - WIDTH - 4.0, corner.1 - height - 10.0);
    writeln!(out, "<g class=\"legend\">")?;
    writeln!(
        out,
        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{WIDTH}\" height=\"{height:.1}\" rx=\"4\"/>"
    )?;
    let (x, y) = (x + 8.0, y + 4.0);
    for (i, (class, text)) in entries.iter().enumerate() {
        let ly = y + 9.0 + i as f64 * 18.0;
        writeln!(
            out,
            "<line class=\"{class}\" x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 26.0,
            x + 32.0,
            ly + 4.0,
            Esc(text)
        )?;
    }
    writeln!(out, "</g>")
}

// ---------------------------------------------------------------------------------------------
// 4. Null rates.

/// One column's null rates, merged over every null-rate gate that checked it.
struct NullRow<'a> {
    column: &'a str,
    status: Status,
    gates: Vec<&'a str>,
    rate: Option<f64>,
    baseline: Option<f64>,
    nulls: Option<f64>,
    rows: Option<f64>,
    nans: Option<f64>,
    baseline_nans: Option<f64>,
}

fn null_rows<'a>(gates: &[&'a Value]) -> Vec<NullRow<'a>> {
    let mut rows: Vec<NullRow<'a>> = Vec::new();
    for g in of_kind(gates, "null_rate") {
        let column = text(g, "column").unwrap_or(DASH);
        let name = text(g, "name").unwrap_or(DASH);
        let status = Status::of(g);
        if let Some(row) = rows.iter_mut().find(|r| r.column == column) {
            if status.rank() < row.status.rank() {
                row.status = status;
            }
            if !row.gates.contains(&name) {
                row.gates.push(name);
            }
            continue;
        }
        let nulls = num(g, "null_count");
        let n = num(g, "rows");
        let computed = nulls.zip(n).filter(|(_, n)| *n > 0.0).map(|(c, n)| c / n);
        rows.push(NullRow {
            column,
            status,
            gates: vec![name],
            rate: num(g, "null_rate").or(computed),
            baseline: num(g, "baseline_null_rate"),
            nulls,
            rows: n,
            nans: num(g, "nan_count"),
            baseline_nans: num(g, "baseline_nan_count"),
        });
    }
    rows
}

/// A small horizontal bar, `value` of `scale` wide, with the number beside it.
fn bar(out: &mut String, class: &str, value: Option<f64>, scale: f64) -> fmt::Result {
    match value {
        Some(v) => {
            let width = if scale > 0.0 {
                (v / scale * 100.0).clamp(0.0, 100.0)
            } else {
                0.0
            };
            write!(
                out,
                "<span class=\"bar\">\
                 <span class=\"fill {class}\" style=\"width:{width:.1}%\"></span></span>\
                 <span class=\"num\">{}</span>",
                pct(v)
            )
        }
        None => write!(
            out,
            "<span class=\"bar empty\"></span><span class=\"num\">{DASH}</span>"
        ),
    }
}

fn null_rates(out: &mut String, gates: &[&Value]) -> fmt::Result {
    let rows = null_rows(gates);
    if rows.is_empty() {
        return Ok(());
    }
    let scale = rows
        .iter()
        .flat_map(|r| [r.rate, r.baseline])
        .flatten()
        .fold(0.0, f64::max);
    writeln!(out, "<section id=\"nulls\">\n<h2>Null rates</h2>")?;
    if scale > 0.0 {
        writeln!(
            out,
            "<p class=\"note\">Bars are drawn to the largest rate shown, {}.</p>",
            pct(scale)
        )?;
    } else {
        writeln!(
            out,
            "<p class=\"note\">No nulls in any checked column, here or in the baseline.</p>"
        )?;
    }
    table_head(
        out,
        "nulls",
        &[
            "Outcome",
            "Column",
            "Baseline",
            "Candidate",
            "Change",
            "Nulls",
            "NaN",
            "Gates",
        ],
    )?;
    for r in &rows {
        write!(out, "<tr class=\"{}\"><td>", r.status.class())?;
        badge(out, r.status)?;
        write!(
            out,
            "</td><td class=\"mono strong\">{}</td><td class=\"barcell\">",
            Esc(r.column)
        )?;
        bar(out, "base", r.baseline, scale)?;
        write!(out, "</td><td class=\"barcell\">")?;
        bar(out, "cand", r.rate, scale)?;
        let change = r.rate.zip(r.baseline).map(|(c, b)| pp(c - b));
        let counts = match (r.nulls, r.rows) {
            (Some(c), Some(n)) => format!("{} of {}", fmt_num(c), fmt_num(n)),
            (Some(c), None) => fmt_num(c),
            _ => DASH.to_string(),
        };
        let nans = match (r.nans, r.baseline_nans) {
            (Some(c), Some(b)) => format!("{} (baseline {})", fmt_num(c), fmt_num(b)),
            (Some(c), None) => fmt_num(c),
            (None, Some(b)) => format!("— (baseline {})", fmt_num(b)),
            (None, None) => DASH.to_string(),
        };
        writeln!(
            out,
            "</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            Esc(&change.unwrap_or_else(|| DASH.to_string())),
            Esc(&counts),
            Esc(&nans),
            Esc(&r.gates.join(", "))
        )?;
    }
    writeln!(out, "</tbody>\n</table>\n</section>")
}

// ---------------------------------------------------------------------------------------------
// 5. Category mix of distribution gates.

fn category_mix(out: &mut String, gates: &[&Value]) -> fmt::Result {
    let dists: Vec<&Value> = of_kind(gates, "distribution")
        .into_iter()
        .filter(|g| g.get("shares").is_some_and(Value::is_object))
        .collect();
    if dists.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"mix\">\n<h2>Category mix</h2>\n<div class=\"charts\">"
    )?;
    for g in dists {
        shares_card(out, g)?;
    }
    writeln!(out, "</div>\n</section>")
}

fn shares_card(out: &mut String, g: &Value) -> fmt::Result {
    let empty = Map::new();
    let cand = g.get("shares").and_then(Value::as_object).unwrap_or(&empty);
    let base = g
        .get("baseline_shares")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // Baseline's categories first, then any new ones, each once.
    let mut keys: Vec<&String> = base.keys().collect();
    keys.extend(cand.keys().filter(|k| !base.contains_key(*k)));
    let share = |m: &Map<String, Value>, k: &str| {
        m.get(k).and_then(Value::as_f64).filter(|x| x.is_finite())
    };
    let scale = keys
        .iter()
        .flat_map(|k| [share(cand, k), share(base, k)])
        .flatten()
        .fold(0.0, f64::max);

    card_open(out, g, true)?;
    table_head(
        out,
        "shares",
        &["Category", "Baseline", "Candidate", "Change"],
    )?;
    for k in keys {
        let (b, c) = (share(base, k), share(cand, k));
        write!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"barcell\">",
            Esc(k)
        )?;
        bar(out, "base", b, scale)?;
        write!(out, "</td><td class=\"barcell\">")?;
        bar(out, "cand", c, scale)?;
        let change = c
            .zip(b)
            .map(|(c, b)| pp(c - b))
            .unwrap_or_else(|| DASH.to_string());
        writeln!(out, "</td><td class=\"num\">{}</td></tr>", Esc(&change))?;
    }
    writeln!(out, "</tbody>\n</table>\n</figure>")
}

// ---------------------------------------------------------------------------------------------
// 5b. Per-key change of keyed gates: the histogram of candidate - baseline over the compared keys,
// with the tolerance band (i13-keyed's block).

fn keyed_change(out: &mut String, gates: &[&Value]) -> fmt::Result {
    let cards: Vec<&Value> = of_kind(gates, "keyed")
        .into_iter()
        .filter(|g| {
            g.get("change")
                .and_then(|c| c.get("histogram"))
                .is_some_and(Value::is_object)
        })
        .collect();
    if cards.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"keyed\">\n<h2>Per-key change</h2>\n<p class=\"note\">Each chart counts \
         the keys on one row of each side by candidate &minus; baseline; the shaded band is within \
         the tolerance (not moved).</p>\n<div class=\"charts\">"
    )?;
    for g in cards {
        change_card(out, g)?;
    }
    writeln!(out, "</div>\n</section>")
}

fn change_card(out: &mut String, g: &Value) -> fmt::Result {
    const W: f64 = 540.0;
    const H: f64 = 220.0;
    let (left, right, top, bottom) = (50.0, W - 16.0, 14.0, H - 40.0);
    let h = g
        .get("change")
        .and_then(|c| c.get("histogram"))
        .unwrap_or(&Value::Null);
    let nums = |k: &str| -> Vec<f64> {
        h.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let (edges, counts) = (nums("edges"), nums("counts"));
    card_open(out, g, true)?;
    let finite = edges.iter().all(|x| x.is_finite());
    if edges.len() != counts.len() + 1 || counts.is_empty() || !finite {
        return writeln!(out, "<p class=\"note\">No change to draw.</p>\n</figure>");
    }
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let most = counts.iter().cloned().fold(0.0, f64::max).max(1.0);
    let sx = Scale {
        d0: lo,
        d1: hi,
        r0: left,
        r1: right,
    };
    let sy = Scale {
        d0: 0.0,
        d1: most,
        r0: bottom,
        r1: top,
    };
    writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-label=\"Histogram of per-key change of {}\">",
        Esc(text(g, "column").unwrap_or("value"))
    )?;
    let tol = num(g.get("threshold").unwrap_or(&Value::Null), "tolerance").unwrap_or(0.0);
    if tol > 0.0 && tol.is_finite() {
        let (a, b) = (sx.at((-tol).max(lo)), sx.at(tol.min(hi)));
        if b > a {
            writeln!(
                out,
                "<rect x=\"{a:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" \
                 fill=\"#e5e7eb\"><title>within tolerance {}</title></rect>",
                b - a,
                bottom - top,
                Esc(&fmt_num(tol))
            )?;
        }
    }
    if edges.len() == 2 {
        // One value of change for every key: a single bar.
        let (x, y) = ((left + right) / 2.0 - 10.0, sy.at(counts[0]));
        writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"20\" height=\"{:.1}\" fill=\"var(--cand)\">\
             <title>{}: {}</title></rect>",
            bottom - y,
            Esc(&fmt_num(edges[0])),
            Esc(&fmt_num(counts[0]))
        )?;
    } else {
        for (i, c) in counts.iter().enumerate() {
            let (x0, x1, y) = (sx.at(edges[i]), sx.at(edges[i + 1]), sy.at(*c));
            writeln!(
                out,
                "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 fill=\"var(--cand)\"><title>[{}, {}): {}</title></rect>",
                (x1 - x0 - 0.5).max(0.5),
                bottom - y,
                Esc(&fmt_num(edges[i])),
                Esc(&fmt_num(edges[i + 1])),
                Esc(&fmt_num(*c))
            )?;
        }
    }
    writeln!(
        out,
        "<line class=\"grid\" x1=\"{left}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\"/>"
    )?;
    for t in ticks(lo, hi, 5.0) {
        writeln!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            sx.at(t),
            bottom + 16.0,
            Esc(&fmt_num(t))
        )?;
    }
    writeln!(
        out,
        "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
         <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">candidate &minus; baseline</text>",
        left - 6.0,
        top + 8.0,
        Esc(&fmt_num(most)),
        (left + right) / 2.0,
        H - 6.0
    )?;
    writeln!(out, "</svg>\n</figure>")
}

// ---------------------------------------------------------------------------------------------
// 6. Schema diff.

fn schema(out: &mut String, gates: &[&Value]) -> fmt::Result {
    let schemas = of_kind(gates, "schema");
    writeln!(out, "<section id=\"schema\">\n<h2>Schema</h2>")?;
    if schemas.is_empty() {
        return writeln!(
            out,
            "<p class=\"note\">No schema or contract gate ran.</p>\n</section>"
        );
    }
    writeln!(out, "<div class=\"charts\">")?;
    for g in schemas {
        schema_card(out, g)?;
    }
    writeln!(out, "</div>\n</section>")
}

fn schema_card(out: &mut String, g: &Value) -> fmt::Result {
    let status = Status::of(g);
    let against = match text(g, "against") {
        Some("contract") => "against the contract".to_string(),
        Some("baseline") => "against the baseline".to_string(),
        Some(other) => format!("against {other}"),
        None => String::new(),
    };
    write!(
        out,
        "<div class=\"card {}\">\n<p class=\"card-title\">",
        status.class()
    )?;
    badge(out, status)?;
    writeln!(
        out,
        " <strong>{}</strong> <span class=\"muted\">{}</span></p>",
        Esc(&label(g)),
        Esc(&against)
    )?;
    if let Some(m) = text(g, "message") {
        writeln!(out, "<p class=\"stats\">{}</p>", Esc(m))?;
    }
    let observed = g.get("observed").unwrap_or(&Value::Null);
    for (key, title) in [("added", "Added columns"), ("problems", "Problems")] {
        if let Some(items) = observed.get(key) {
            item_list(out, title, items)?;
        }
    }
    writeln!(out, "</div>")
}

fn item_list(out: &mut String, title: &str, items: &Value) -> fmt::Result {
    let items: Vec<&Value> = match items {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    if items.is_empty() {
        return writeln!(
            out,
            "<p class=\"list-title\">{title}: <span class=\"muted\">none</span></p>"
        );
    }
    writeln!(
        out,
        "<p class=\"list-title\">{title} ({})</p>\n<ul class=\"items\">",
        items.len()
    )?;
    for item in items {
        match item {
            Value::Object(m) => {
                write!(out, "<li>")?;
                for (k, v) in m {
                    write!(
                        out,
                        "<span class=\"field\"><span class=\"muted\">{}</span> {}</span> ",
                        Esc(k),
                        Esc(&show(v))
                    )?;
                }
                writeln!(out, "</li>")?;
            }
            other => writeln!(out, "<li class=\"mono\">{}</li>", Esc(&show(other)))?,
        }
    }
    writeln!(out, "</ul>")
}

/// `2026-11-22 06:08:45 UTC` from an RFC 3339 time; anything else as it is.
fn readable_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| crate::ops::versions::when(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| s.to_string())
}

// ---------------------------------------------------------------------------------------------
// 0. Consequence, and what the producer said.

fn consequence(out: &mut String, d: &crate::ops::versions::VersionDetail) -> fmt::Result {
    let c = d.consequence();
    let class = c.kind.css_class();
    writeln!(
        out,
        "<section class=\"consequence {class}\" id=\"consequence\"><p class=\"consequence-head\">{}</p><p class=\"consequence-line\">{}</p></section>",
        Esc(&c.headline),
        Esc(&c.line)
    )
}

fn about(out: &mut String, d: &crate::ops::versions::VersionDetail, report: &Value) -> fmt::Result {
    let m = &d.manifest;
    writeln!(out, "<dl class=\"facts about\">")?;
    let mut row = |term: &str, value: String, mono: bool| {
        let class = if mono { " class=\"mono\"" } else { "" };
        writeln!(
            out,
            "<div><dt>{term}</dt><dd{class}>{}</dd></div>",
            Esc(&value)
        )
    };
    row(
        "Sealed",
        format!(
            "{} by {}",
            crate::ops::versions::when(m.created_at),
            m.producer.actor
        ),
        false,
    )?;
    row(
        "Message",
        m.message.clone().unwrap_or_else(|| DASH.to_string()),
        false,
    )?;
    let meta: Vec<String> = m.meta.iter().map(|(k, v)| format!("{k}={v}")).collect();
    row(
        "Meta",
        if meta.is_empty() {
            DASH.to_string()
        } else {
            meta.join("  ")
        },
        true,
    )?;
    row(
        "Rows",
        format!("{} in {} files", m.rows, m.files.len()),
        false,
    )?;
    let label = |vals: &std::collections::BTreeMap<String, String>| {
        vals.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("/")
    };
    if !d.partitions.is_empty() {
        let own: Vec<String> = d
            .partitions
            .iter()
            .filter(|p| p.version.as_deref() == Some(d.version.as_str()))
            .map(|p| label(&p.values))
            .collect();
        row(
            "Partitions",
            format!(
                "{} in all; written by this version: {}",
                d.partitions.len(),
                if own.is_empty() {
                    "none".to_string()
                } else {
                    own.join(", ")
                }
            ),
            true,
        )?;
    }
    if let Some(why) = report.get("scope").and_then(|s| text(s, "why")) {
        row("Compared", why.to_string(), false)?;
    }
    writeln!(out, "</dl>")
}

// ---------------------------------------------------------------------------------------------
// 7. Columns: summary statistics side by side.

fn columns(out: &mut String, stats: &[crate::ops::report::ColumnStats]) -> fmt::Result {
    if stats.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"columns\">\n<h2>Columns</h2>\n<p class=\"note\">Baseline above candidate for each column; percentiles and distinct counts are approximate.</p>"
    )?;
    table_head(
        out,
        "columns",
        &[
            "Column", "Version", "Mean", "p5", "p50", "p95", "Nulls", "Distinct",
        ],
    )?;
    let f = |x: Option<f64>| x.map(fmt_num).unwrap_or_else(|| DASH.to_string());
    for c in stats {
        let sides = [
            ("baseline", c.baseline.as_ref()),
            ("candidate", c.candidate.as_ref()),
        ];
        let shown: Vec<_> = sides.iter().filter(|(_, s)| s.is_some()).collect();
        for (i, (side, s)) in shown.iter().enumerate() {
            let Some(s) = s else { continue };
            let nulls = if s.rows > 0 {
                format!("{} ({})", s.nulls, pct(s.nulls as f64 / s.rows as f64))
            } else {
                s.nulls.to_string()
            };
            write!(out, "<tr class=\"{side}\">")?;
            if i == 0 {
                write!(
                    out,
                    "<td rowspan=\"{}\" class=\"mono strong\">{}<br><span class=\"small muted\">{}</span></td>",
                    shown.len(),
                    Esc(&c.column),
                    Esc(&c.data_type)
                )?;
            }
            writeln!(
                out,
                "<td class=\"small\">{side}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                f(s.mean),
                f(s.p5),
                f(s.p50),
                f(s.p95),
                Esc(&nulls),
                s.distinct
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| DASH.to_string())
            )?;
        }
    }
    writeln!(out, "</tbody>\n</table>\n</section>")
}

// ---------------------------------------------------------------------------------------------
// 8. Footer.

fn footer(out: &mut String, report: &Value, ctx: &PageContext) -> fmt::Result {
    let null = Value::Null;
    let validations = report.get("validations").unwrap_or(&null);
    let contract = report.get("contract").unwrap_or(&null);
    let with_checksum = |v: &Value, key: &str| {
        text(v, key).map(|p| match text(v, "checksum") {
            Some(c) => format!("{p} ({c})"),
            None => p.to_string(),
        })
    };
    let format = match (text(report, "format"), num(report, "format_version")) {
        (Some(f), Some(v)) => Some(format!("{f} v{}", fmt_num(v))),
        (Some(f), None) => Some(f.to_string()),
        _ => None,
    };
    writeln!(out, "<footer>\n<dl>")?;
    for (term, value) in [
        ("Report", ctx.origin.map(str::to_string)),
        ("Format", format),
        ("Validations", with_checksum(validations, "source")),
        ("Contract", with_checksum(contract, "path")),
    ] {
        if let Some(v) = value {
            writeln!(
                out,
                "<div><dt>{term}</dt><dd class=\"mono\">{}</dd></div>",
                Esc(&v)
            )?;
        }
    }
    writeln!(out, "</dl>\n<p>Generated by lastgood.</p>\n</footer>")
}

const CSS: &str = r#"
.consequence { border-radius: 10px; padding: 14px 24px; margin: 0 0 14px; color: #fff; }
.consequence p { margin: 0; }
.consequence-head { font-size: 26px; font-weight: 800; letter-spacing: 0.05em; }
.consequence-line { font-size: 16px; margin-top: 4px !important; }
.consequence.live { background: #067647; }
.consequence.forced { background: #7a0916; }
.consequence.reverted { background: #9a3412; }
.consequence.held { background: #344054; }
.facts.about { margin-top: 0; }
table.columns td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.columns tr.candidate td { border-bottom: 2px solid var(--line); }
:root {
  --ink: #101828; --muted: #5d6778; --line: #d9dee7; --page: #f4f5f7; --card: #fff;
  --fail: #b42318; --fail-bg: #fef3f2; --warn: #9a3412; --warn-bg: #fff7e6;
  --pass: #067647; --pass-bg: #ecfdf3; --skip: #475467; --skip-bg: #f2f4f7;
  --cand: #d9480f; --base: #1d4ed8;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 24px; }
h2 { font-size: 19px; margin: 32px 0 10px; }
code, .mono { font-size: 0.93em;
  font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.small { font-size: 12px; }
.strong { font-weight: 600; }
.muted { color: var(--muted); }
.note { color: var(--muted); margin: 4px 0 12px; }

.verdict { color: #fff; border-radius: 10px 10px 0 0; padding: 18px 24px 16px; }
.verdict.fail { background: var(--fail); }
.verdict.pass { background: var(--pass); }
.verdict.skip { background: var(--skip); }
.verdict-head { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; }
.verdict-icon { font-size: 40px; line-height: 1; font-weight: 700; }
.verdict h1 { font-size: 44px; line-height: 1; margin: 0; letter-spacing: 0.04em; }
.verdict-sub { font-size: 16px; opacity: 0.92; }
.verdict-list { margin: 10px 0 0; font-size: 16px; }
.verdict code { background: rgba(255,255,255,0.18); padding: 1px 6px; border-radius: 4px; }
.facts { margin: 0; background: var(--card); border: 1px solid var(--line); border-top: 0;
  border-radius: 0 0 10px 10px; padding: 14px 24px; display: grid; gap: 10px 28px;
  grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); }
.facts dt, footer dt { font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em;
  color: var(--muted); }
.facts dd, footer dd { margin: 0; overflow-wrap: anywhere; }

table { width: 100%; border-collapse: collapse; background: var(--card);
  border: 1px solid var(--line); }
th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em;
  color: var(--muted); background: #fafbfc; border-bottom: 1px solid var(--line);
  padding: 7px 8px; }
td { padding: 6px 8px; border-bottom: 1px solid #eceff3; vertical-align: top; }
td.nowrap, td:first-child { white-space: nowrap; }
td.wrap { overflow-wrap: anywhere; }
table.gates td.mono.wrap { min-width: 150px; max-width: 260px; }
table.gates td:last-child { min-width: 220px; }
tr.fail td { background: var(--fail-bg); }
tr.warn td { background: var(--warn-bg); }
tr.fail td:first-child { box-shadow: inset 4px 0 var(--fail); }
tr.warn td:first-child { box-shadow: inset 4px 0 var(--warn); }
td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; white-space: nowrap; font-size: 11px; font-weight: 700;
  letter-spacing: 0.03em; padding: 2px 7px; border-radius: 10px; border: 1px solid; }
.badge.fail { color: #fff; background: var(--fail); border-color: var(--fail); }
.badge.warn { color: var(--warn); background: #ffedd5; border-color: #fdba74; }
.badge.pass { color: var(--pass); background: var(--pass-bg); border-color: #abefc6; }
.badge.skip { color: var(--skip); background: var(--skip-bg); border-color: var(--line); }

.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
.card { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; }
.card.fail { border-color: var(--fail); box-shadow: 0 0 0 1px var(--fail); }
.card.warn { border-color: #fdba74; }
.card figcaption, .card-title { margin: 0; font-size: 15px; }
.stats { margin: 4px 0 6px; color: var(--muted); font-variant-numeric: tabular-nums; }
.chart { width: 100%; height: auto; display: block; }
.chart text { font-size: 11px; fill: var(--ink); font-family: inherit; }
.chart .tick { fill: var(--muted); }
.chart .axis-title { font-size: 12px; fill: var(--muted); }
.chart .grid { stroke: #e7eaf0; }
.chart .axis { stroke: #98a2b3; }
.chart path { fill: none; stroke-linejoin: round; }
.chart .candidate { stroke: var(--cand); stroke-width: 2.5; }
.chart .baseline { stroke: var(--base); stroke-width: 1.6; stroke-dasharray: 6 3; }
.chart .legend rect { fill: rgba(255,255,255,0.9); stroke: var(--line); }
.chart .d-marker line { stroke: var(--ink); stroke-width: 2; }
.chart .d-marker text { font-size: 13px; font-weight: 700;
  paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }

.barcell { white-space: nowrap; }
.bar { display: inline-block; vertical-align: middle; width: 140px; height: 10px;
  background: #eef1f5; border-radius: 2px; margin-right: 8px; overflow: hidden; }
.bar .fill { display: block; height: 100%; }
.fill.base { background: var(--base); opacity: 0.75; }
.fill.cand { background: var(--cand); }
.barcell .num { font-variant-numeric: tabular-nums; }
table.shares { border: 0; }
table.shares td, table.shares th { padding: 5px 6px; }
table.shares .bar { width: 84px; margin-right: 6px; }

.list-title { margin: 8px 0 2px; font-weight: 600; }
.items { margin: 0; padding-left: 20px; }
.items .field { margin-right: 10px; }

footer { margin-top: 36px; padding-top: 12px; border-top: 1px solid var(--line);
  color: var(--muted); font-size: 13px; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 8px; }
footer dl div { display: contents; }
footer dt { padding-top: 2px; }
@media print { body { background: #fff; } .card, table { break-inside: avoid; } }
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ks(column: &str, d: f64, ecdf: bool) -> Value {
        let mut g = json!({
            "name": "drift", "kind": "ks", "column": column, "severity": "fail",
            "outcome": if d > 0.1 { "fail" } else { "pass" }, "passed": d <= 0.1,
            "observed": {"statistic": d, "p_value": 0.5}, "threshold": {"max_statistic": 0.1},
            "message": format!("D={d}"), "location": 0.5, "statistic": d, "p_value": 0.5,
            "n_candidate": 100, "n_baseline": 100,
        });
        if ecdf {
            g["ecdf"] = json!({
                "candidate": [[0.1, 0.1], [0.5, 0.3], [0.9, 1.0]],
                "baseline": [[0.1, 0.2], [0.5, 0.3 + d], [0.9, 1.0]],
            });
        }
        g
    }

    fn report(gates: Vec<Value>, passed: bool) -> Value {
        json!({
            "format": "lastgood.gate-report", "format_version": 1,
            "dataset": "churn_scores", "version": "v2", "baseline": "v1", "passed": passed,
            "purpose": "publish", "at": "2026-11-19T02:00:00Z", "actor": "me", "duration_ms": 12,
            "validations": {"source": "validations/churn_scores.toml"}, "gates": gates,
        })
    }

    #[test]
    fn escapes_every_string_from_the_report() {
        let evil = "<script>alert('x')</script>&\"";
        let mut r = report(vec![ks(evil, 0.2, true)], false);
        r["dataset"] = json!(evil);
        r["actor"] = json!(evil);
        r["gates"][0]["message"] = json!(evil);
        r["gates"].as_array_mut().unwrap().push(json!({
            "name": evil, "kind": "schema", "outcome": "fail", "severity": "fail",
            "observed": {"problems": [evil, {"column": evil}], "added": [evil]},
        }));
        let html = render_with(
            &r,
            &PageContext {
                origin: Some(evil),
                ..Default::default()
            },
        );
        assert!(!html.contains("<script"), "unescaped markup in:\n{html}");
        assert!(!html.contains("alert('x')"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
        assert_eq!(Esc("a<b>&\"'c").to_string(), "a&lt;b&gt;&amp;&quot;&#39;c");
        assert_eq!(Esc("plain ünïcode").to_string(), "plain ünïcode");
    }

    #[test]
    fn verdict_comes_first_and_names_the_blocking_gates() {
        let html = render(&report(
            vec![ks("spend", 0.01, true), ks("score", 0.25, true)],
            false,
        ));
        let verdict = html.find("FAILED").expect("verdict");
        assert!(verdict < html.find("<table").unwrap());
        assert!(verdict < html.find("<svg").unwrap());
        assert!(html[..html.find("id=\"gates\"").unwrap()].contains("<code>drift(score)</code>"));
        assert!(render(&report(vec![], true)).contains("<h1>PASSED</h1>"));
    }

    fn sql(name: &str, severity: &str, outcome: &str) -> Value {
        json!({"name": name, "kind": "sql", "severity": severity, "outcome": outcome})
    }

    #[test]
    fn failures_come_before_warnings_before_passes() {
        let pass = sql("p", "fail", "pass");
        let warn = sql("w", "warn", "fail");
        let fail = sql("f", "fail", "error");
        let html = render(&report(vec![pass, warn, fail], false));
        let table = &html[html.find("<tbody>").unwrap()..];
        let at = |s: &str| table.find(s).unwrap();
        assert!(at("✗ ERROR") < at("⚠ WARN") && at("⚠ WARN") < at("✓ PASS"));
    }

    #[test]
    fn one_chart_per_ks_gate_with_an_ecdf() {
        let html = render(&report(
            vec![
                ks("a", 0.2451, true),
                ks("b", 0.01, true),
                ks("c", 0.01, false),
            ],
            false,
        ));
        assert_eq!(html.matches("<svg").count(), 2);
        assert_eq!(html.matches("</svg>").count(), 2);
        assert!(html.contains("D = 0.2451"));
        assert!(html.contains("stores no ECDF"));
    }

    #[test]
    fn null_rates_show_baseline_beside_candidate() {
        let g = json!({"name": "nulls", "kind": "null_rate", "column": "score", "severity": "fail",
            "outcome": "pass", "null_rate": 0.02, "baseline_null_rate": 0.01,
            "null_count": 2, "rows": 100});
        let html = render(&report(vec![g], true));
        assert!(html.contains("1.00%") && html.contains("2.00%") && html.contains("+1.00 pp"));
        assert!(html.contains("2 of 100"));
    }

    #[test]
    fn keyed_change_is_a_histogram_with_the_tolerance_band() {
        let g = json!({"name": "same", "kind": "keyed", "column": "score", "severity": "fail",
            "outcome": "fail", "passed": false, "message": "4.00% of 100 keys moved",
            "threshold": {"key": ["id"], "tolerance": 0.2},
            "change": {"type": "numeric", "histogram": {"edges": [-1.0, 0.0, 1.0], "counts": [3, 97]}}});
        let html = render(&report(vec![g], false));
        assert!(html.contains("Per-key change"), "{html}");
        assert!(html.contains("[0, 1): 97"), "{html}");
        assert!(html.contains("within tolerance 0.2"), "{html}");
        for odd in [
            json!({"kind": "keyed", "change": {"histogram": {"edges": [1.0], "counts": [1, 2]}}}),
            json!({"kind": "keyed", "change": {"histogram": {"edges": [2.0, 2.0], "counts": [5]}}}),
            json!({"kind": "keyed", "change": {"histogram": {"edges": ["x", null], "counts": []}}}),
            json!({"kind": "keyed", "change": {"histogram": {}}}),
        ] {
            let html = render(&report(vec![odd], true));
            assert!(html.contains("Per-key change"));
        }
    }

    #[test]
    fn never_panics_on_odd_shapes() {
        for v in [
            json!({}),
            json!([]),
            json!(null),
            json!("report"),
            json!(42),
            json!({"passed": "yes", "gates": {"a": 1}, "baseline": 3, "validations": [],
                   "contract": "x"}),
            json!({"gates": [1, "x", null, [], {}, {"kind": 5, "outcome": []}]}),
            json!({"gates": [
                {"kind": "ks", "location": "here",
                 "ecdf": {"candidate": [[1], "x", [null, 2], [1e308, 2.0]]}},
                {"kind": "ks", "location": 1.0,
                 "ecdf": {"candidate": [[1.0, 0.5]], "baseline": [[1.0, 0.5]]}},
                {"kind": "ks", "location": 1.7e308,
                 "ecdf": {"candidate": [[-1.7e308, 0.5]], "baseline": [[1.7e308, 1.0]]}},
                {"kind": "ks", "ecdf": []},
                {"kind": "null_rate", "null_rate": "high", "rows": 0, "null_count": 3},
                {"kind": "distribution", "shares": {"a": "x", "b": 0.5}, "baseline_shares": 7},
                {"kind": "schema",
                 "observed": {"added": "x", "problems": [{"a": {"b": [1, {"c": null}]}}, 3]}},
                {"kind": "schema", "observed": 1},
            ]}),
        ] {
            let html = render(&v);
            assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
        }
    }

    #[test]
    fn sliced_gates_show_every_slice_escaped_worst_first() {
        let evil = "<b>x</b>";
        let g = json!({"name": "drift_by_segment", "kind": "ks", "column": "score",
        "severity": "fail", "outcome": "fail", "passed": false, "message": "1 of 3 slices failed",
        "observed": {"statistic": 0.4, "p_value": 0.0}, "threshold": {"max_statistic": 0.2},
        "slices": [
            {"slice": {"segment": evil}, "slice_rows": 250, "baseline_slice_rows": 200,
             "judged": true, "kind": "ks", "outcome": "fail", "passed": false,
             "observed": {"statistic": 0.4, "p_value": 0.0}, "threshold": null, "message": "D=0.4"},
            {"slice": {"segment": null}, "slice_rows": 30, "baseline_slice_rows": 30,
             "judged": true, "kind": "ks", "outcome": "pass", "passed": true,
             "observed": null, "threshold": null, "message": "D=0"},
            {"slice": {"segment": "d"}, "slice_rows": 1, "baseline_slice_rows": 0,
             "judged": false, "kind": "ks", "outcome": "skipped", "passed": true,
             "observed": null, "threshold": null, "message": "1 rows: under min_slice_rows"}
        ]});
        let html = render(&report(vec![g, json!({"slices": "odd"})], false));
        assert!(html.contains("<section id=\"slices\">"), "{html}");
        assert!(html.contains("segment=&lt;b&gt;x&lt;/b&gt;"));
        assert!(!html.contains(evil));
        assert!(html.contains("segment=null"));
        assert!(html.contains("not judged"));
        let (bad, null) = (
            html.find("segment=&lt;b&gt;").unwrap(),
            html.find("segment=null").unwrap(),
        );
        assert!(bad < null, "the report's order, worst first");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(0.24510000000000004), "0.2451");
        assert_eq!(fmt_num(50000.0), "50000");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(0.00025294), "2.529e-4");
        assert_eq!(ticks(0.0, 1.0, 5.0), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(ticks(3.0, 3.0, 5.0), vec![3.0]);
        assert_eq!(step_at(&[(1.0, 0.2), (2.0, 0.7)], 1.5), 0.2);
        assert_eq!(step_at(&[(1.0, 0.2), (2.0, 0.7)], 0.5), 0.0);
    }
}
