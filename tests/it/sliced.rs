//! Issue 13's gates on the library, on a local store: `range`, `freshness` and sliced gates (`by`),
//! on every edge (a slice of one row, nulls, a slice on one side only, an empty side, a column
//! missing on one side, no baseline), with the exact numbers checked against DuckDB on the same
//! Parquet files.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use arrow::array::TimestampMicrosecondArray;
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{Field, Schema};
use lastgood::gates::range::RangeFacts;
use lastgood::gates::{Facts, GateResult, Outcome, Validations};
use lastgood::ops::publish::{PublishOptions, PublishOutcome, publish};
use lastgood::ops::validate::Rules;
use lastgood::{Context, Dataset, DatasetName, Store, VersionId};

use crate::util::python_with;

const HOUR_US: i64 = 3_600_000_000;
/// 2025-12-01T00:00:00Z.
const T0: i64 = 1_764_547_200_000_000;

/// One night: `n` rows, score from `score(i)`, segment from `segment(i)`, scored_at at `t`.
struct Night {
    score: Vec<Option<f64>>,
    segment: Vec<Option<String>>,
    scored_at: Vec<Option<i64>>,
}

impl Night {
    fn new(
        n: usize,
        score: impl Fn(usize) -> Option<f64>,
        segment: impl Fn(usize) -> Option<&'static str>,
        t: i64,
    ) -> Night {
        Night {
            score: (0..n).map(score).collect(),
            segment: (0..n).map(|i| segment(i).map(str::to_string)).collect(),
            scored_at: (0..n)
                .map(|i| Some(t - (i as i64 % 7) * 1_000_000))
                .collect(),
        }
    }

    /// Writes `dir/part-0.parquet`; `without` leaves a column out.
    fn write(&self, dir: &Path, without: Option<&str>) -> String {
        let n = self.score.len();
        let cols: Vec<(&str, ArrayRef)> = vec![
            (
                "id",
                Arc::new(Int64Array::from((0..n as i64).collect::<Vec<_>>())),
            ),
            ("score", Arc::new(Float64Array::from(self.score.clone()))),
            ("segment", Arc::new(StringArray::from(self.segment.clone()))),
            (
                "scored_at",
                Arc::new(
                    TimestampMicrosecondArray::from(self.scored_at.clone()).with_timezone("UTC"),
                ),
            ),
        ];
        let cols: Vec<(&str, ArrayRef)> = cols
            .into_iter()
            .filter(|(c, _)| Some(*c) != without)
            .collect();
        let schema = Arc::new(Schema::new(
            cols.iter()
                .map(|(c, a)| Field::new(*c, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let batch =
            RecordBatch::try_new(schema.clone(), cols.into_iter().map(|(_, a)| a).collect())
                .unwrap();
        std::fs::create_dir_all(dir).unwrap();
        let file = std::fs::File::create(dir.join("part-0.parquet")).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        dir.join("part-0.parquet").display().to_string()
    }
}

const GATES: &str = r#"
[[gate]]
name = "probabilities"
kind = "range"
column = "score"
min = 0.0
max = 1.0

[[gate]]
name = "known_segments"
kind = "range"
column = "segment"
allowed = ["a", "b", "c"]

[[gate]]
name = "scored_recently"
kind = "freshness"
column = "scored_at"
min_advance = "1h"
max_advance = "8d"

[[gate]]
name = "drift_by_segment"
kind = "ks"
column = "score"
by = ["segment"]
min_slice_rows = 2
max_statistic = 0.2

[[gate]]
name = "nulls_by_segment"
kind = "null_rate"
columns = ["score"]
by = ["segment"]
max_increase_pp = 5.0

[[gate]]
name = "range_by_segment"
kind = "range"
column = "score"
by = "segment"
min = 0.0
max = 1.0
"#;

fn rules(text: &str) -> Rules {
    Rules {
        validations: Validations::parse(text, Path::new("v.toml")).unwrap(),
        contract: None,
    }
}

async fn judge(ds: &Dataset, src: String, id: &str, rules: &Rules) -> PublishOutcome {
    let opts = PublishOptions {
        sources: vec![src],
        version: Some(VersionId::new(id).unwrap()),
        rules: rules.clone(),
        no_promote: false,
        ..Default::default()
    };
    publish(ds, &Context::new("t"), opts).await.unwrap()
}

fn find<'a>(out: &'a PublishOutcome, name: &str) -> &'a GateResult {
    out.gates
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no gate {name}: {:#?}", out.gates))
}

/// DuckDB's answer to `sql` over the Parquet file `file` (as table `t`), as JSON rows.
/// A range gate's facts.
fn range(g: &GateResult) -> &RangeFacts {
    match &g.facts {
        Facts::Range(f) => f,
        other => panic!("not a range result: {other:#?}"),
    }
}

fn duckdb(file: &str, sql: &str) -> serde_json::Value {
    let python = python_with("duckdb");
    let script = r#"
import duckdb, json, sys
con = duckdb.connect()
con.execute("CREATE VIEW t AS SELECT * FROM read_parquet('%s')" % sys.argv[1].replace("'", "''"))
cur = con.execute(sys.argv[2])
names = [d[0] for d in cur.description]
print(json.dumps([dict(zip(names, [None if v is None else (v if isinstance(v, (int, float, str)) else str(v)) for v in row])) for row in cur.fetchall()]))
"#;
    let out = Command::new(python)
        .args(["-c", script, file, sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn slice<'a>(g: &'a GateResult, value: Option<&str>) -> &'a lastgood::gates::SliceResult {
    g.slices
        .iter()
        .find(|s| s.slice.get("segment").map(|v| v.as_deref()) == Some(value))
        .unwrap_or_else(|| panic!("no slice {value:?}: {:#?}", g.slices))
}

/// The baseline: segments a (200 rows), b (200), c (50), null (30); scores in [0, 1).
fn baseline() -> Night {
    Night::new(
        480,
        |i| Some((i % 97) as f64 / 97.0),
        |i| match i {
            0..200 => Some("a"),
            200..400 => Some("b"),
            400..450 => Some("c"),
            _ => None,
        },
        T0,
    )
}

/// A bad candidate: segment b shifted up by 0.5 (so some scores above 1), segment c gone, a new
/// segment d of one row, one score below 0, nulls in segment a, a NaN; two hours newer.
fn candidate() -> Night {
    Night::new(
        481,
        |i| match i {
            3 => Some(-0.25),
            5 | 7 | 9 | 11 | 13 | 15 | 17 | 19 | 21 | 23 | 25 | 27 => None,
            30 => Some(f64::NAN),
            200..400 => Some((i % 97) as f64 / 97.0 + 0.5),
            _ => Some((i % 97) as f64 / 97.0),
        },
        |i| match i {
            0..200 => Some("a"),
            200..450 => Some("b"),
            450..480 => None,
            _ => Some("d"),
        },
        T0 + 2 * HOUR_US,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_freshness_and_slices_match_duckdb() {
    let t = tempfile::tempdir().unwrap();
    let ds = Dataset::new(
        Store::open(t.path().join("lake").to_str().unwrap()).unwrap(),
        DatasetName::new("scores").unwrap(),
    );
    let rules = rules(GATES);
    let base_file = baseline().write(&t.path().join("base"), None);
    let first = judge(
        &ds,
        t.path().join("base").display().to_string(),
        "base",
        &rules,
    )
    .await;
    // No baseline: range judges (from the footers: nothing out of bounds), freshness skips,
    // sliced gates judge each slice as a first publish (ks skipped), never fail.
    assert!(first.passed, "{:#?}", first.gates);
    let p = find(&first, "probabilities");
    assert_eq!(p.outcome, Outcome::Pass);
    assert_eq!(range(p).source.as_deref(), Some("footer"), "{p:#?}");
    assert_eq!(find(&first, "scored_recently").outcome, Outcome::Skipped);
    let ks = find(&first, "drift_by_segment");
    assert_eq!(ks.outcome, Outcome::Skipped, "{ks:#?}");
    assert_eq!(ks.slices.len(), 4, "a, b, c and null");
    assert!(ks.slices.iter().all(|s| s.baseline_rows.is_none()));
    let _ = base_file;

    let cand_file = candidate().write(&t.path().join("cand"), None);
    let out = judge(
        &ds,
        t.path().join("cand").display().to_string(),
        "cand",
        &rules,
    )
    .await;
    assert!(!out.passed);

    // range: violations counted by a scan, exactly as DuckDB counts them (NaN and null excluded).
    let p = find(&out, "probabilities");
    assert_eq!(p.outcome, Outcome::Fail, "{p:#?}");
    let r = range(p);
    assert_eq!(r.source.as_deref(), Some("scan"));
    let want = duckdb(
        &cand_file,
        "SELECT count(*) FILTER (WHERE NOT isnan(score) AND (score < 0 OR score > 1)) AS v, \
         count(*) FILTER (WHERE NOT isnan(score)) AS checked, \
         min(score) FILTER (WHERE NOT isnan(score)) AS lo, max(score) FILTER (WHERE NOT isnan(score)) AS hi FROM t",
    );
    let o = r.observed.as_ref().unwrap();
    assert_eq!(Some(o.violations), want[0]["v"].as_u64(), "{o:?}");
    assert_eq!(r.checked, want[0]["checked"].as_u64());
    assert_eq!(o.min, want[0]["lo"].as_f64());
    assert_eq!(o.max, want[0]["hi"].as_f64());
    assert!(p.message.contains("outside [0, 1]"), "{}", p.message);

    // allowed: the unexpected value named.
    let k = find(&out, "known_segments");
    assert_eq!(k.outcome, Outcome::Fail);
    let want = duckdb(
        &cand_file,
        "SELECT count(*) AS v FROM t WHERE segment IS NOT NULL AND segment NOT IN ('a', 'b', 'c')",
    );
    let r = range(k);
    assert_eq!(
        r.observed.as_ref().map(|o| o.violations),
        want[0]["v"].as_u64()
    );
    assert_eq!(r.unexpected, Some(vec!["d".to_string()]));

    // freshness: +2h within [1h, 8d]; the maxima as DuckDB reads them.
    let f = find(&out, "scored_recently");
    assert_eq!(f.outcome, Outcome::Pass, "{f:#?}");
    let Facts::Freshness(fresh) = &f.facts else {
        panic!("{f:#?}")
    };
    assert_eq!(
        fresh.observed.as_ref().map(|o| o.advance_seconds),
        Some(7200.0)
    );
    assert_eq!(fresh.source.as_deref(), Some("footer"));
    let want = duckdb(
        &cand_file,
        "SELECT strftime(max(scored_at) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS m FROM t",
    );
    assert_eq!(fresh.max.as_deref(), want[0]["m"].as_str());

    // ks by segment: b fails (shifted), the worst first; c vanished (a failure: 50 rows in the
    // baseline); d (one row, new) and the nulls reported; rows per slice as DuckDB groups them.
    let ks = find(&out, "drift_by_segment");
    assert_eq!(ks.outcome, Outcome::Fail, "{ks:#?}");
    let counts = duckdb(
        &cand_file,
        "SELECT segment, count(*) AS n FROM t GROUP BY segment ORDER BY segment",
    );
    for row in counts.as_array().unwrap() {
        let s = slice(ks, row["segment"].as_str());
        assert_eq!(serde_json::json!(s.rows), row["n"], "{s:#?}");
    }
    let b = slice(ks, Some("b"));
    assert_eq!(b.outcome, Outcome::Fail, "{b:#?}");
    assert_eq!((b.rows, b.baseline_rows), (250, Some(200)));
    let c = slice(ks, Some("c"));
    assert_eq!(
        (c.outcome, c.rows, c.baseline_rows),
        (Outcome::Fail, 0, Some(50))
    );
    assert!(c.message.starts_with("vanished"), "{}", c.message);
    let d = slice(ks, Some("d"));
    assert!(!d.judged, "one row is under min_slice_rows 2: {d:#?}");
    assert_eq!((d.rows, d.baseline_rows), (1, Some(0)));
    let null = slice(ks, None);
    assert!(null.judged);
    assert_eq!((null.rows, null.baseline_rows), (30, Some(30)));
    assert_eq!(
        ks.slices.last().map(|s| s.judged),
        Some(false),
        "not judged last"
    );
    assert!(
        [Outcome::Fail].contains(&ks.slices[0].outcome),
        "worst first: {:#?}",
        ks.slices
    );
    assert!(
        ks.message.contains("slices by segment failed"),
        "{}",
        ks.message
    );

    // null_rate by segment: a's nulls as DuckDB counts them.
    let nr = find(&out, "nulls_by_segment");
    assert_eq!(nr.outcome, Outcome::Fail);
    let a = slice(nr, Some("a"));
    let want = duckdb(
        &cand_file,
        "SELECT count(*) FILTER (WHERE score IS NULL) AS nulls FROM t WHERE segment = 'a'",
    );
    assert_eq!(a.outcome, Outcome::Fail, "{a:#?}");
    let details = serde_json::to_value(&a.facts).unwrap();
    assert_eq!(details["null_count"], want[0]["nulls"]);
    assert_eq!(details["null_count_source"], "scan");
    assert_eq!(
        nr.slices[0].slice.get("segment"),
        Some(&Some("a".to_string())),
        "a is worst"
    );

    // range by segment: only b has values above 1; the slice a has the -0.25.
    let r = find(&out, "range_by_segment");
    let want = duckdb(
        &cand_file,
        "SELECT segment, count(*) FILTER (WHERE NOT isnan(score) AND (score < 0 OR score > 1)) AS v \
         FROM t GROUP BY segment",
    );
    for row in want.as_array().unwrap() {
        let s = slice(r, row["segment"].as_str());
        if s.judged {
            let f = serde_json::to_value(&s.facts).unwrap();
            assert_eq!(f["observed"]["violations"], row["v"], "{s:#?}");
        }
    }
    assert_eq!(
        r.slices[0].slice.get("segment"),
        Some(&Some("b".to_string())),
        "most violations first"
    );

    // The stored report validates against the schema and reads back typed.
    let report_file = t
        .path()
        .join("lake/scores")
        .join(out.report.as_deref().unwrap());
    crate::schemas::check(
        &crate::schemas::validator("gate-report.schema.json"),
        &report_file,
    );
    let back: lastgood::gates::Report =
        serde_json::from_slice(&std::fs::read(&report_file).unwrap()).unwrap();
    // Typed and back loses nothing (compared as parsed JSON: serde_json's float parsing may
    // differ from the writer's value in the last bit, the same on both sides here).
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_file).unwrap()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), raw);
    assert_eq!(back.gates.len(), out.gates.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edges_give_a_verdict_or_a_one_line_error() {
    let t = tempfile::tempdir().unwrap();
    let ds = Dataset::new(Store::memory(), DatasetName::new("edges").unwrap());
    let rules = rules(GATES);
    baseline().write(&t.path().join("base"), None);
    judge(
        &ds,
        t.path().join("base").display().to_string(),
        "base",
        &rules,
    )
    .await;

    // An empty candidate: range has nothing to check, freshness has no time, every slice vanished.
    let empty = Night::new(0, |_| None, |_| None, T0);
    empty.write(&t.path().join("empty"), None);
    let out = judge(
        &ds,
        t.path().join("empty").display().to_string(),
        "empty",
        &rules,
    )
    .await;
    assert!(!out.passed);
    assert_eq!(find(&out, "probabilities").outcome, Outcome::Pass);
    let f = find(&out, "scored_recently");
    assert_eq!(f.outcome, Outcome::Fail);
    assert!(
        f.message.contains("no scored_at in the candidate"),
        "{}",
        f.message
    );
    let ks = find(&out, "drift_by_segment");
    assert_eq!(ks.outcome, Outcome::Fail);
    assert!(
        ks.slices
            .iter()
            .all(|s| s.rows == 0 && s.message.starts_with("vanished"))
    );

    // A column missing on one side: one-line errors naming the side, no panic.
    let night = Night::new(
        100,
        |i| Some(i as f64 / 100.0),
        |_| Some("a"),
        T0 + 3 * HOUR_US,
    );
    night.write(&t.path().join("noseg"), Some("segment"));
    let out = judge(
        &ds,
        t.path().join("noseg").display().to_string(),
        "noseg",
        &rules,
    )
    .await;
    let ks = find(&out, "drift_by_segment");
    assert_eq!(ks.outcome, Outcome::Error);
    assert_eq!(
        ks.message, "cannot slice by \"segment\": no such column in the candidate",
        "{ks:#?}"
    );
    assert_eq!(find(&out, "known_segments").outcome, Outcome::Error);
    night.write(&t.path().join("notime"), Some("scored_at"));
    let out = judge(
        &ds,
        t.path().join("notime").display().to_string(),
        "notime",
        &rules,
    )
    .await;
    let f = find(&out, "scored_recently");
    assert_eq!(f.outcome, Outcome::Error);
    assert_eq!(f.message, "no column \"scored_at\" in the candidate");

    // Backwards in time, and too far forward.
    for (id, t_at, needle) in [
        ("old", T0 - HOUR_US, "not fresh, want at least 1h"),
        ("future", T0 + 24 * 9 * HOUR_US, "beyond max_advance 8d"),
    ] {
        Night::new(100, |i| Some(i as f64 / 100.0), |_| Some("a"), t_at)
            .write(&t.path().join(id), None);
        let out = judge(&ds, t.path().join(id).display().to_string(), id, &rules).await;
        let f = find(&out, "scored_recently");
        assert_eq!(f.outcome, Outcome::Fail, "{f:#?}");
        assert!(f.message.contains(needle), "{}", f.message);
    }

    // Strict configuration: one-line errors.
    for (text, needle) in [
        (
            "[[gate]]\nkind = \"range\"\ncolumn = \"x\"\n",
            "set min and/or max, or allowed",
        ),
        (
            "[[gate]]\nkind = \"range\"\ncolumn = \"x\"\nmin = 2.0\nmax = 1.0\n",
            "min 2 is above max 1",
        ),
        (
            "[[gate]]\nkind = \"range\"\ncolumn = \"x\"\nallowed = [\"a\", 1]\n",
            "allowed must be",
        ),
        (
            "[[gate]]\nkind = \"range\"\ncolumn = \"x\"\nmin = 0.0\nmaxx = 1.0\n",
            "unknown field `maxx`",
        ),
        (
            "[[gate]]\nkind = \"freshness\"\ncolumn = \"t\"\nmin_advance = \"soon\"\n",
            "min_advance \"soon\"",
        ),
        (
            "[[gate]]\nkind = \"ks\"\ncolumn = \"x\"\nmax_statistic = 0.1\nmin_slice_rows = 5\n",
            "min_slice_rows without `by`",
        ),
        (
            "[[gate]]\nkind = \"ks\"\ncolumn = \"x\"\nmax_statistic = 0.1\nby = [1]\n",
            "`by` must be column names",
        ),
    ] {
        let e = Validations::parse(text, Path::new("v.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{text}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}

/// A gate spec with `by` survives the dataset's rules on the store (serialized flat, read back
/// through the strict parser).
#[test]
fn sliced_specs_round_trip() {
    let v = Validations::parse(GATES, Path::new("v.toml")).unwrap();
    let json = serde_json::to_string(&v.gates).unwrap();
    let back: Vec<lastgood::gates::GateSpec> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, v.gates);
    assert_eq!(back[3].by, vec!["segment".to_string()]);
    assert_eq!(back[3].min_slice_rows, Some(2));
}
