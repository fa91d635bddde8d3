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
//! renders the typed [`Report`]: each section matches on its kind's [`Facts`] and reads their
//! fields, so a fact renamed in a kind's file is a compile error here, and reports in the shapes
//! earlier versions wrote are read by the report's own deserializer. Only the gate and slice
//! tables show every kind alike, from the facts' `observed` and `threshold` as JSON. A value that
//! is not a finite number shows as "—" or is left out, never a panic. Every string taken from the
//! report is escaped.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Write};

use serde_json::{Map, Value};

use crate::gates::ks::{KsFacts, KsTest};
use crate::gates::{Facts, GateResult, Outcome, Report, Severity, report_label as label};
use crate::stats::keyed::{ChangeHistogram, ColumnChange};

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
pub fn render(report: &Report) -> String {
    render_with(report, &PageContext::default())
}

/// The report as a complete HTML5 document, with what the caller knows about it.
pub fn render_with(report: &Report, ctx: &PageContext) -> String {
    let mut out = String::with_capacity(64 * 1024);
    // Writing to a String cannot fail.
    let _ = page(&mut out, report, ctx);
    out
}

fn page(out: &mut String, report: &Report, ctx: &PageContext) -> fmt::Result {
    let gates = sorted_gates(report);
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
        Esc(&report.dataset),
        Esc(&report.version)
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
// Reading the report.

/// A number the page can draw or print: finite, else nothing.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// How a gate result reads on the page; `Fail` and `Error` are what block a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Fail,
    Error,
    Warn,
    Pass,
    Skipped,
}

impl Status {
    /// An outcome under a gate's severity (a slice has none of its own: its outcome says it).
    fn new(outcome: Outcome, severity: Option<Severity>) -> Status {
        match outcome {
            Outcome::Fail | Outcome::Error if severity == Some(Severity::Warn) => Status::Warn,
            Outcome::Error => Status::Error,
            Outcome::Fail => Status::Fail,
            Outcome::Skipped => Status::Skipped,
            Outcome::Pass => Status::Pass,
        }
    }

    fn of(g: &GateResult) -> Status {
        Status::new(g.outcome, Some(g.severity))
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
        }
    }

    fn class(self) -> &'static str {
        match self {
            Status::Fail | Status::Error => "fail",
            Status::Warn => "warn",
            Status::Pass => "pass",
            Status::Skipped => "skip",
        }
    }
}

/// The report's gate results, failures first (a stable sort keeps report order within a group).
fn sorted_gates(report: &Report) -> Vec<&GateResult> {
    let mut gates: Vec<&GateResult> = report.gates.iter().collect();
    gates.sort_by_key(|g| Status::of(g).rank());
    gates
}

/// The results whose facts `pick` takes (one kind's), with those facts.
fn of_kind<'a, F>(
    gates: &[&'a GateResult],
    pick: impl Fn(&'a Facts) -> Option<&'a F>,
) -> Vec<(&'a GateResult, &'a F)> {
    gates
        .iter()
        .filter_map(|g| pick(&g.facts).map(|f| (*g, f)))
        .collect()
}

fn labels_with(gates: &[&GateResult], pred: impl Fn(Status) -> bool) -> Vec<String> {
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

/// One line of text cut short when long (escape it when writing).
fn cut(s: String) -> String {
    const MAX: usize = 240;
    if s.chars().count() > MAX {
        s.chars().take(MAX).chain(std::iter::once('…')).collect()
    } else {
        s
    }
}

/// Any JSON value as one line of plain text (escape it when writing): nulls left out of objects,
/// empty lists as "none", long results cut short.
fn show(v: &Value) -> String {
    cut(show_inner(v))
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

/// A kind's `observed` or `threshold` for a table cell, escaped: an object one field a line,
/// anything else as [`show`] has it.
fn fields_html(v: &Value) -> String {
    match v {
        Value::Object(m) if m.values().any(|v| !v.is_null()) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}: {}", Esc(k), Esc(&show(v))))
            .collect::<Vec<_>>()
            .join("<br>"),
        v => Esc(&show(v)).to_string(),
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

fn verdict_word(report: &Report) -> &'static str {
    if report.passed { "PASSED" } else { "FAILED" }
}

fn verdict(out: &mut String, report: &Report, gates: &[&GateResult]) -> fmt::Result {
    let (class, icon) = if report.passed {
        ("pass", "✓")
    } else {
        ("fail", "✗")
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
fn summary(gates: &[&GateResult]) -> String {
    let count =
        |pred: &dyn Fn(Status) -> bool| gates.iter().filter(|g| pred(Status::of(g))).count();
    let parts: Vec<String> = [
        (count(&|s| s == Status::Fail), "failed"),
        (count(&|s| s == Status::Error), "errored"),
        (count(&|s| s == Status::Warn), "warned"),
        (count(&|s| s == Status::Pass), "passed"),
        (count(&|s| s == Status::Skipped), "skipped"),
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

fn facts(out: &mut String, report: &Report) -> fmt::Result {
    let baseline = match &report.baseline {
        None => "none (first publish)".to_string(),
        Some(b) => cut(b.clone()),
    };
    let rows: [(&str, String, bool); 7] = [
        ("Dataset", report.dataset.clone(), true),
        ("Version", report.version.clone(), true),
        ("Baseline", baseline, true),
        ("When", crate::ops::versions::when(report.at), false),
        ("Who", report.actor.clone(), false),
        ("Purpose", report.purpose.clone(), false),
        (
            "Took",
            format!("{} ms", fmt_num(report.duration_ms as f64)),
            false,
        ),
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

fn gate_table(out: &mut String, gates: &[&GateResult]) -> fmt::Result {
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
        write!(out, "<tr class=\"{}\"><td>", status.class())?;
        badge(out, status)?;
        writeln!(
            out,
            "</td><td class=\"strong\">{}</td><td class=\"nowrap\">{}</td>\
             <td class=\"mono nowrap\">{}</td><td>{}</td>\
             <td class=\"mono small wrap\">{}</td><td class=\"mono small wrap\">{}</td>\
             <td class=\"wrap\">{}</td></tr>",
            Esc(&cut(g.name.clone())),
            Esc(g.kind()),
            Esc(&g
                .column
                .clone()
                .map(cut)
                .unwrap_or_else(|| DASH.to_string())),
            match g.severity {
                Severity::Fail => "blocking",
                Severity::Warn => "warning",
            },
            fields_html(&g.observed()),
            fields_html(&g.threshold()),
            Esc(&cut(g.message.clone())),
        )?;
    }
    writeln!(out, "</tbody>\n</table>\n</section>")
}

// ---------------------------------------------------------------------------------------------
// Slices: each sliced gate's verdict per slice, the worst first (as the report orders them).

fn slices(out: &mut String, gates: &[&GateResult]) -> fmt::Result {
    let sliced: Vec<&GateResult> = gates
        .iter()
        .copied()
        .filter(|g| !g.slices.is_empty())
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
        for s in &g.slices {
            let status = if s.judged {
                Status::new(s.outcome, None)
            } else {
                Status::Skipped
            };
            write!(out, "<tr class=\"{}\"><td>", status.class())?;
            badge(out, status)?;
            writeln!(
                out,
                "{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"mono small wrap\">{}</td><td class=\"wrap\">{}</td></tr>",
                if s.judged {
                    ""
                } else {
                    " <span class=\"muted\">not judged</span>"
                },
                Esc(&s.label()),
                Esc(&s
                    .baseline_rows
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| DASH.to_string())),
                Esc(&s.rows.to_string()),
                fields_html(&s.facts.observed_json()),
                Esc(&s.message),
            )?;
        }
        writeln!(out, "</tbody>\n</table>\n</div>")?;
    }
    writeln!(out, "</section>")
}

// ---------------------------------------------------------------------------------------------
// 3. Drift: KS gates with their ECDFs.

fn drift(out: &mut String, gates: &[&GateResult]) -> fmt::Result {
    let ks = of_kind(gates, |f| match f {
        Facts::Ks(f) => Some(f),
        _ => None,
    });
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
    for (g, f) in ks {
        ks_card(out, g, f)?;
    }
    writeln!(out, "</div>\n</section>")
}

/// What a KS card shows of a result: the test's numbers (D and p from `observed` when the test
/// is missing), and the column drawn.
struct KsView<'a> {
    column: &'a str,
    statistic: Option<f64>,
    p_value: Option<f64>,
    location: Option<f64>,
    n: Option<(u64, u64)>,
}

impl<'a> KsView<'a> {
    fn new(g: &'a GateResult, f: &'a KsFacts) -> Self {
        let test = f.test.as_ref();
        let observed = f.observed.as_ref();
        KsView {
            column: g.column.as_deref().unwrap_or("value"),
            statistic: test
                .and_then(|t| finite(t.statistic))
                .or_else(|| observed.and_then(|o| finite(o.statistic))),
            p_value: test
                .and_then(|t| finite(t.p_value))
                .or_else(|| observed.and_then(|o| finite(o.p_value))),
            location: test.and_then(|t| finite(t.location)),
            n: test.map(|t| (t.n_candidate, t.n_baseline)),
        }
    }
}

/// A gate's card: its status class, badge and label, and (with `message`) its one line.
fn card_open(out: &mut String, g: &GateResult, message: bool) -> fmt::Result {
    let status = Status::of(g);
    write!(
        out,
        "<figure class=\"card {}\">\n<figcaption>",
        status.class()
    )?;
    badge(out, status)?;
    writeln!(out, " <strong>{}</strong></figcaption>", Esc(&label(g)))?;
    if message {
        writeln!(out, "<p class=\"stats\">{}</p>", Esc(&g.message))?;
    }
    Ok(())
}

fn ks_card(out: &mut String, g: &GateResult, f: &KsFacts) -> fmt::Result {
    card_open(out, g, false)?;

    let view = KsView::new(g, f);
    let ecdf = f.test.as_ref().and_then(|t: &KsTest| t.ecdf.as_ref());
    let candidate = ecdf.map(|e| points(&e.candidate)).unwrap_or_default();
    let baseline = ecdf.map(|e| points(&e.baseline)).unwrap_or_default();
    let chart = !(candidate.is_empty() && baseline.is_empty());

    let limit = |t: Option<f64>, word: &str| {
        t.and_then(finite)
            .map(|t| format!(" ({word} {})", fmt_num(t)))
    };
    let threshold = f.threshold.as_ref();
    let mut stats = Vec::new();
    if let Some(d) = view.statistic {
        stats.push(format!(
            "D = {}{}",
            fmt_num(d),
            limit(threshold.and_then(|t| t.max_statistic), "max").unwrap_or_default()
        ));
    }
    if let Some(p) = view.p_value {
        stats.push(format!(
            "p = {}{}",
            fmt_num(p),
            limit(threshold.and_then(|t| t.min_p_value), "min").unwrap_or_default()
        ));
    }
    if let Some(x) = view.location {
        stats.push(format!("at {}", fmt_num(x)));
    }
    if let (Some((c, b)), false) = (view.n, chart) {
        stats.push(format!("n = {c} vs {b}"));
    }
    if !stats.is_empty() {
        writeln!(out, "<p class=\"stats\">{}</p>", Esc(&stats.join(" · ")))?;
    }

    if !chart {
        let why = match g.outcome {
            Outcome::Skipped | Outcome::Error => g.message.as_str(),
            _ => "this report stores no ECDF (it was written before lastgood recorded them)",
        };
        writeln!(out, "<p class=\"note\">No chart: {}.</p>", Esc(why))?;
    } else {
        ecdf_chart(out, &view, &candidate, &baseline)?;
    }
    writeln!(out, "</figure>")
}

/// `[x, F]` points that are finite, F clamped to [0, 1]; others are dropped.
fn points(pts: &[[f64; 2]]) -> Vec<(f64, f64)> {
    pts.iter()
        .filter(|[x, f]| x.is_finite() && f.is_finite())
        .map(|[x, f]| (*x, f.clamp(0.0, 1.0)))
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
    view: &KsView,
    candidate: &[(f64, f64)],
    baseline: &[(f64, f64)],
) -> fmt::Result {
    const W: f64 = 540.0;
    const H: f64 = 320.0;
    let (left, right, top, bottom) = (50.0, W - 16.0, 14.0, H - 44.0);
    let location = view.location;
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
    let column = view.column;

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
        d_marker(out, view, loc, candidate, baseline, sx, sy)?;
    }
    legend(
        out,
        view,
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
    view: &KsView,
    loc: f64,
    candidate: &[(f64, f64)],
    baseline: &[(f64, f64)],
    sx: Scale,
    sy: Scale,
) -> fmt::Result {
    let (fc, fb) = (step_at(candidate, loc), step_at(baseline, loc));
    let d = view.statistic.unwrap_or((fc - fb).abs());
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
    view: &KsView,
    corner: (f64, f64),
    candidate: bool,
    baseline: bool,
) -> fmt::Result {
    let n = |n: Option<u64>| n.map(|n| format!(" (n = {n})")).unwrap_or_default();
    let mut entries = Vec::new();
    if candidate {
        entries.push(("candidate", format!("candidate{}", n(view.n.map(|n| n.0)))));
    }
    if baseline {
        entries.push(("baseline", format!("baseline{}", n(view.n.map(|n| n.1)))));
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
    nulls: Option<u64>,
    rows: Option<u64>,
    nans: Option<u64>,
    baseline_nans: Option<u64>,
}

fn null_rows<'a>(gates: &[&'a GateResult]) -> Vec<NullRow<'a>> {
    let mut rows: Vec<NullRow<'a>> = Vec::new();
    let null_rates = of_kind(gates, |f| match f {
        Facts::NullRate(f) => Some(f),
        _ => None,
    });
    for (g, f) in null_rates {
        let column = g.column.as_deref().unwrap_or(DASH);
        let name = g.name.as_str();
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
        let c = f.counts.as_ref();
        let computed = c
            .filter(|c| c.rows > 0)
            .map(|c| c.null_count as f64 / c.rows as f64);
        rows.push(NullRow {
            column,
            status,
            gates: vec![name],
            rate: c.and_then(|c| finite(c.null_rate)).or(computed),
            baseline: c.and_then(|c| c.baseline_null_rate).and_then(finite),
            nulls: c.map(|c| c.null_count),
            rows: c.map(|c| c.rows),
            nans: c.and_then(|c| c.nan_count).flatten(),
            baseline_nans: c.and_then(|c| c.baseline_nan_count).flatten(),
        });
    }
    rows
}

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

fn null_rates(out: &mut String, gates: &[&GateResult]) -> fmt::Result {
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
            (Some(c), Some(n)) => format!("{c} of {n}"),
            (Some(c), None) => c.to_string(),
            _ => DASH.to_string(),
        };
        let nans = match (r.nans, r.baseline_nans) {
            (Some(c), Some(b)) => format!("{c} (baseline {b})"),
            (Some(c), None) => c.to_string(),
            (None, Some(b)) => format!("— (baseline {b})"),
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

/// Shares of each category, candidate and baseline.
type Shares<'a> = (&'a BTreeMap<String, f64>, Option<&'a BTreeMap<String, f64>>);

fn category_mix(out: &mut String, gates: &[&GateResult]) -> fmt::Result {
    let dists = of_kind(gates, |f| match f {
        Facts::Distribution(f) => f.shift.as_ref(),
        _ => None,
    });
    let cards: Vec<(&GateResult, Shares)> = dists
        .into_iter()
        .filter_map(|(g, s)| Some((g, (s.shares.as_ref()?, s.baseline_shares.as_ref()))))
        .collect();
    if cards.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"mix\">\n<h2>Category mix</h2>\n<div class=\"charts\">"
    )?;
    for (g, shares) in cards {
        shares_card(out, g, shares)?;
    }
    writeln!(out, "</div>\n</section>")
}

fn shares_card(out: &mut String, g: &GateResult, (cand, base): Shares) -> fmt::Result {
    let empty = BTreeMap::new();
    let base = base.unwrap_or(&empty);
    // Baseline's categories first, then any new ones, each once.
    let mut keys: Vec<&String> = base.keys().collect();
    keys.extend(cand.keys().filter(|k| !base.contains_key(*k)));
    let share = |m: &BTreeMap<String, f64>, k: &str| m.get(k).copied().and_then(finite);
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
// with the tolerance band.

fn keyed_change(out: &mut String, gates: &[&GateResult]) -> fmt::Result {
    let cards: Vec<(&GateResult, &ChangeHistogram, Option<f64>)> = gates
        .iter()
        .filter_map(|g| match &g.facts {
            Facts::Keyed(f) => match f.change.as_deref() {
                Some(ColumnChange::Numeric(n)) => n.histogram.as_ref().map(|h| {
                    let tolerance = f.threshold.as_ref().and_then(|t| t.tolerance);
                    (*g, h, tolerance)
                }),
                _ => None,
            },
            _ => None,
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
    for (g, h, tolerance) in cards {
        change_card(out, g, h, tolerance)?;
    }
    writeln!(out, "</div>\n</section>")
}

fn change_card(
    out: &mut String,
    g: &GateResult,
    h: &ChangeHistogram,
    tolerance: Option<f64>,
) -> fmt::Result {
    const W: f64 = 540.0;
    const H: f64 = 220.0;
    let (left, right, top, bottom) = (50.0, W - 16.0, 14.0, H - 40.0);
    let edges = &h.edges;
    let counts: Vec<f64> = h.counts.iter().map(|c| *c as f64).collect();
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
        Esc(g.column.as_deref().unwrap_or("value"))
    )?;
    let tol = tolerance.filter(|t| t.is_finite()).unwrap_or(0.0);
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

fn schema(out: &mut String, gates: &[&GateResult]) -> fmt::Result {
    let schemas = of_kind(gates, |f| match f {
        Facts::SchemaGate(f) => Some(f),
        _ => None,
    });
    writeln!(out, "<section id=\"schema\">\n<h2>Schema</h2>")?;
    if schemas.is_empty() {
        return writeln!(
            out,
            "<p class=\"note\">No schema or contract gate ran.</p>\n</section>"
        );
    }
    writeln!(out, "<div class=\"charts\">")?;
    for (g, f) in schemas {
        schema_card(out, g, f)?;
    }
    writeln!(out, "</div>\n</section>")
}

fn schema_card(
    out: &mut String,
    g: &GateResult,
    f: &crate::gates::schema::SchemaFacts,
) -> fmt::Result {
    let status = Status::of(g);
    let against = match f.against.as_deref() {
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
    writeln!(out, "<p class=\"stats\">{}</p>", Esc(&g.message))?;
    if let Some(o) = &f.observed {
        if let Some(added) = &o.added {
            item_list(out, "Added columns", added)?;
        }
        item_list(out, "Problems", &o.problems)?;
    }
    writeln!(out, "</div>")
}

fn item_list(out: &mut String, title: &str, items: &[String]) -> fmt::Result {
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
        writeln!(out, "<li class=\"mono\">{}</li>", Esc(&cut(item.clone())))?;
    }
    writeln!(out, "</ul>")
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

fn about(
    out: &mut String,
    d: &crate::ops::versions::VersionDetail,
    report: &Report,
) -> fmt::Result {
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
    if let Some(scope) = &report.scope {
        row("Compared", scope.why.clone(), false)?;
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

fn footer(out: &mut String, report: &Report, ctx: &PageContext) -> fmt::Result {
    let with_checksum = |path: &str, checksum: Option<&str>| match checksum {
        Some(c) => format!("{path} ({c})"),
        None => path.to_string(),
    };
    let v = &report.validations;
    writeln!(out, "<footer>\n<dl>")?;
    for (term, value) in [
        ("Report", ctx.origin.map(str::to_string)),
        (
            "Format",
            Some(format!("{} v{}", report.format, report.format_version)),
        ),
        (
            "Validations",
            Some(with_checksum(&v.source, v.checksum.as_deref())),
        ),
        (
            "Contract",
            report
                .contract
                .as_ref()
                .map(|c| with_checksum(&c.path, Some(&c.checksum))),
        ),
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

    /// A result of `kind` with `fields` over a passing default.
    fn result(kind: &str, fields: Value) -> Value {
        let mut g = json!({
            "name": kind, "kind": kind, "column": null, "severity": "fail", "outcome": "pass",
            "passed": true, "observed": null, "threshold": null, "message": "",
        });
        for (k, v) in fields.as_object().unwrap() {
            g[k] = v.clone();
        }
        g
    }

    fn ks(column: &str, d: f64, ecdf: bool) -> Value {
        let mut g = result(
            "ks",
            json!({
                "name": "drift", "column": column,
                "outcome": if d > 0.1 { "fail" } else { "pass" }, "passed": d <= 0.1,
                "observed": {"statistic": d, "p_value": 0.5}, "threshold": {"max_statistic": 0.1},
                "message": format!("D={d}"), "location": 0.5, "statistic": d, "p_value": 0.5,
                "n_candidate": 100, "n_baseline": 100, "method": "exact", "scans": 1,
            }),
        );
        if ecdf {
            g["ecdf"] = json!({
                "candidate": [[0.1, 0.1], [0.5, 0.3], [0.9, 1.0]],
                "baseline": [[0.1, 0.2], [0.5, 0.3 + d], [0.9, 1.0]],
            });
        }
        g
    }

    fn report_json(gates: Vec<Value>, passed: bool) -> Value {
        json!({
            "format": "lastgood.gate-report", "format_version": 1,
            "dataset": "churn_scores", "version": "v2", "baseline": "v1", "passed": passed,
            "purpose": "publish", "at": "2026-11-19T02:00:00Z", "actor": "me", "duration_ms": 12,
            "validations": {"source": "validations/churn_scores.toml", "checksum": null, "gates": []},
            "contract": null, "gates": gates,
        })
    }

    fn report(gates: Vec<Value>, passed: bool) -> Report {
        serde_json::from_value(report_json(gates, passed)).unwrap()
    }

    #[test]
    fn escapes_every_string_from_the_report() {
        let evil = "<script>alert('x')</script>&\"";
        let mut r = report_json(vec![ks(evil, 0.2, true)], false);
        r["dataset"] = json!(evil);
        r["actor"] = json!(evil);
        r["gates"][0]["message"] = json!(evil);
        r["gates"].as_array_mut().unwrap().push(result(
            "schema",
            json!({"name": evil, "outcome": "fail", "passed": false,
                   "observed": {"problems": [evil], "added": [evil]}}),
        ));
        r["validations"]["source"] = json!(evil);
        let r: Report = serde_json::from_value(r).unwrap();
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
        let passed = matches!(outcome, "pass" | "skipped");
        result(
            "sql",
            json!({"name": name, "severity": severity, "outcome": outcome, "passed": passed}),
        )
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
        assert!(html.contains("3 gate results: 1 errored, 1 warned, 1 passed"));
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
        assert!(html.contains("n = 100 vs 100"));
    }

    #[test]
    fn null_rates_show_baseline_beside_candidate() {
        let g = result(
            "null_rate",
            json!({"name": "nulls", "column": "score", "observed": 0.02,
                   "null_rate": 0.02, "baseline_null_rate": 0.01, "null_count": 2, "rows": 100,
                   "null_count_source": "footer", "baseline_null_count": 1,
                   "baseline_null_count_source": "footer", "nan_count": 3, "baseline_nan_count": null}),
        );
        let html = render(&report(vec![g], true));
        assert!(html.contains("1.00%") && html.contains("2.00%") && html.contains("+1.00 pp"));
        assert!(html.contains("2 of 100"));
        assert!(html.contains("<td class=\"num\">3</td>"), "{html}");
    }

    fn keyed(histogram: Value) -> Value {
        result(
            "keyed",
            json!({"name": "same", "column": "score", "outcome": "fail", "passed": false,
                   "message": "4.00% of 100 keys moved",
                   "threshold": {"key": ["id"], "tolerance": 0.2},
                   "change": {"type": "numeric", "column": "score", "pairs": 100, "moved": 4,
                       "moved_share": 0.04, "unchanged": 96, "unchanged_share": 0.96,
                       "finite_pairs": 100, "spearman": 0.9, "pearson": 0.9,
                       "mean_abs_change": 0.1,
                       "missing": {"both_null": 0, "null_to_value": 0, "value_to_null": 0,
                           "both_nan": 0, "nan_to_value": 0, "value_to_nan": 0,
                           "null_to_nan": 0, "nan_to_null": 0},
                       "histogram": histogram}}),
        )
    }

    #[test]
    fn keyed_change_is_a_histogram_with_the_tolerance_band() {
        let g = keyed(json!({"edges": [-1.0, 0.0, 1.0], "counts": [3, 97]}));
        let html = render(&report(vec![g], false));
        assert!(html.contains("Per-key change"), "{html}");
        assert!(html.contains("[0, 1): 97"), "{html}");
        assert!(html.contains("within tolerance 0.2"), "{html}");
        for odd in [
            json!({"edges": [1.0], "counts": [1, 2]}),
            json!({"edges": [2.0, 2.0], "counts": [5]}),
            json!({"edges": [], "counts": []}),
        ] {
            let html = render(&report(vec![keyed(odd)], true));
            assert!(html.contains("Per-key change"));
        }
    }

    /// Numbers the writer never writes (NaN, infinities, points out of order or out of [0, 1]):
    /// the page leaves them out and still draws.
    #[test]
    fn never_panics_on_odd_numbers() {
        let mut r = report(
            vec![
                ks("a", 0.2, true),
                ks("b", 0.2, true),
                result(
                    "null_rate",
                    json!({"column": "x", "null_count": 3, "rows": 0,
                    "null_rate": 0.0, "null_count_source": "scan", "baseline_null_count": null,
                    "baseline_null_rate": null, "baseline_null_count_source": null}),
                ),
                result(
                    "distribution",
                    json!({"column": "s", "max_change": 0.1, "psi": 0.0,
                    "most_changed": "a", "new_categories": [], "vanished_categories": [],
                    "shares": {"a": 0.5, "b": 0.5}}),
                ),
                keyed(json!({"edges": [0.0, 1.0], "counts": [2]})),
            ],
            false,
        );
        let nan = f64::NAN;
        let Facts::Ks(a) = &mut r.gates[0].facts else {
            panic!()
        };
        let t = a.test.as_mut().unwrap();
        (t.location, t.statistic) = (f64::INFINITY, nan);
        t.ecdf.as_mut().unwrap().candidate = vec![[1.0, nan], [f64::NEG_INFINITY, 0.5], [2.0, 7.0]];
        let Facts::Ks(b) = &mut r.gates[1].facts else {
            panic!()
        };
        let t = b.test.as_mut().unwrap();
        t.location = 1.7e308;
        t.ecdf.as_mut().unwrap().candidate = vec![[-1.7e308, 0.5], [1.7e308, 1.0]];
        let Facts::NullRate(n) = &mut r.gates[2].facts else {
            panic!()
        };
        n.counts.as_mut().unwrap().null_rate = nan;
        let Facts::Distribution(d) = &mut r.gates[3].facts else {
            panic!()
        };
        d.shift
            .as_mut()
            .unwrap()
            .shares
            .as_mut()
            .unwrap()
            .insert("c".into(), nan);
        let html = render(&r);
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
        // Nothing that is not a number is printed (an x axis of ±1.7e308 overflows its scale to
        // NaN coordinates, which a browser ignores).
        for shown in ["D = NaN", "at inf", "NaN%", "NaN pp", "inf%", "nan"] {
            assert!(!html.contains(shown), "{shown} in {html}");
        }
        assert!(html.contains("at 1.700e308"));
    }

    #[test]
    fn sliced_gates_show_every_slice_escaped_worst_first() {
        let evil = "<b>x</b>";
        let slice = |value: Option<&str>, rows: u64, judged: bool, outcome: &str| {
            json!({"slice": {"segment": value}, "slice_rows": rows, "baseline_slice_rows": rows,
                   "judged": judged, "kind": "ks", "outcome": outcome,
                   "passed": outcome != "fail", "observed": null, "threshold": null,
                   "message": format!("{outcome} slice")})
        };
        let mut g = ks("score", 0.4, false);
        g["name"] = json!("drift_by_segment");
        g["slices"] = json!([
            slice(Some(evil), 250, true, "fail"),
            slice(None, 30, true, "pass"),
            slice(Some("d"), 1, false, "skipped"),
        ]);
        g["slices"][0]["observed"] = json!({"statistic": 0.4, "p_value": 0.0});
        let html = render(&report(vec![g], false));
        assert!(html.contains("<section id=\"slices\">"), "{html}");
        assert!(html.contains("segment=&lt;b&gt;x&lt;/b&gt;"));
        assert!(!html.contains(evil));
        assert!(html.contains("segment=null"));
        assert!(html.contains("not judged"));
        assert!(html.contains("p_value: 0<br>statistic: 0.4"));
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
