//! The on-store records (`src/spec/`) against golden files written by the real binary
//! (`tests/fixtures/spec/generate.sh`) and by earlier versions (`tests/fixtures/spec/old/`): each
//! parses into its type and serializes back to the same bytes, validates against its JSON Schema,
//! and the log's states replay. A reader that refuses what an earlier version wrote, or a writer
//! whose bytes drift (key order, a field added), fails here.

use std::path::{Path, PathBuf};

use lastgood::gates::RecordedGate;
use lastgood::rules::DatasetRules;
use lastgood::spec::{Action, ContentMarker, Detail, LogEntry, Manifest, PointerFile, State};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec");
    let mut out = Vec::new();
    for dir in [root.join(kind), root.join("old").join(kind)] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            out.extend(rd.map(|e| e.unwrap().path()));
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no {kind} fixtures");
    out
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// Parses `p` as `T` and serializes it back with `to_bytes`: the same bytes.
fn round_trip<T>(p: &Path, parse: impl Fn(&[u8]) -> T, to_bytes: impl Fn(&T) -> bytes::Bytes) -> T {
    let bytes = read(p);
    let t = parse(&bytes);
    let again = to_bytes(&t);
    let (got, want) = (
        floats_as_read(&String::from_utf8_lossy(&again)),
        floats_as_read(&String::from_utf8_lossy(&bytes)),
    );
    if got != want {
        // The first line that differs: a report is thousands of lines long.
        let (n, (g, w)) = got
            .lines()
            .zip(want.lines())
            .enumerate()
            .find(|(_, (g, w))| g != w)
            .unwrap_or((0, ("(lengths differ)", "")));
        panic!(
            "{} does not round-trip byte for byte: line {}\n got: {g}\nwant: {w}",
            p.display(),
            n + 1
        );
    }
    t
}

/// `text` with each decimal number as serde_json reads it and writes it back. Without its
/// `float_roundtrip` feature (which would rebuild DataFusion) serde_json may read the last digit of
/// a 17-digit float one unit off, so the stored ECDF point `0.9999324508116627` comes back as
/// `…628`: the same for every reader of the file, and no change of what the writer writes.
fn floats_as_read(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        match serde_json::from_str::<f64>(token) {
            Ok(x) if token.contains(['.', 'e', 'E']) => {
                out.push_str(&serde_json::to_string(&x).unwrap())
            }
            _ => out.push_str(token),
        }
        token.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn entries() -> Vec<(PathBuf, LogEntry)> {
    fixtures("log-entry")
        .into_iter()
        .map(|p| {
            let e = round_trip(
                &p,
                |b| {
                    serde_json::from_slice::<LogEntry>(b)
                        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                },
                LogEntry::to_bytes,
            );
            (p, e)
        })
        .collect()
}

#[test]
fn log_entries_round_trip_and_cover_every_action() {
    let all = entries();
    for a in Action::ALL {
        assert!(
            all.iter().any(|(_, e)| e.action == a),
            "no fixture for action {a}"
        );
    }
    // The detail is typed by the action.
    for (p, e) in &all {
        match (e.action, &e.detail) {
            (Action::Gc, Some(Detail::Gc(d))) => assert!(!d.deleted.is_empty(), "{}", p.display()),
            (Action::Configure, Some(Detail::Configure(d))) => {
                assert!(!d.changes.is_empty())
            }
            (Action::Revert, Some(Detail::PartitionRevert(d))) => {
                assert_eq!(e.replaced().len(), d.partitions.len())
            }
            (Action::Revert, None) => {}
            (a, Some(d)) => panic!("{}: a {a} entry with {d:?}", p.display()),
            (_, None) => {}
        }
        if e.action == Action::Promote {
            assert!(
                e.verdict.is_some(),
                "{}: a promote carries its verdict",
                p.display()
            );
        }
    }
    // Entries in the shapes earlier versions wrote read as they did.
    let old_gc = all
        .iter()
        .find(|(p, _)| p.ends_with("old/log-entry/2026-11-22-gc-marks.json"))
        .map(|(_, e)| e)
        .expect("the first gc shape");
    assert_eq!(old_gc.kept_files(), Vec::<String>::new());
    assert_eq!(old_gc.deleted().len(), 1);
    assert!(old_gc.state.collecting.is_none());
}

#[test]
fn logged_states_replay() {
    for ds in ["churn", "daily"] {
        let mut state = State::default();
        let mut prev: Option<String> = None;
        for (p, e) in entries().into_iter().filter(|(p, _)| {
            p.parent().unwrap().ends_with("spec/log-entry")
                && p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with(&format!("{ds}-"))
        }) {
            assert_eq!(e.prev, prev, "{}: the hash chain", p.display());
            assert_eq!(e.from, state.version, "{}", p.display());
            let next = state
                .after(&e)
                .expect("the entry has what its action needs");
            assert_eq!(
                next,
                e.state,
                "{}: the state follows from the one before",
                p.display()
            );
            state = next;
            prev = Some(lastgood::spec::checksum(&read(&p)));
        }
        assert!(
            state.version.is_some(),
            "{ds}: the fixtures moved the pointer"
        );
    }
}

#[test]
fn readers_refuse_what_the_format_does_not_allow() {
    let good: serde_json::Value = serde_json::from_slice(&read(&fixtures("log-entry")[0])).unwrap();
    let refused = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::from_value::<LogEntry>(v)
            .unwrap_err()
            .to_string()
    };
    let gc: serde_json::Value = serde_json::from_slice(&read(
        fixtures("log-entry")
            .iter()
            .find(|p| p.ends_with("churn-10-gc.json"))
            .unwrap(),
    ))
    .unwrap();
    // A detail on an action that has none; an unknown action; an unknown field, at the top or in
    // a detail.
    let e = refused(&|v| v["detail"] = serde_json::json!({"deleted": []}));
    assert!(e.contains("has no detail"), "{e}");
    let e = refused(&|v| v["action"] = serde_json::json!("rename"));
    assert!(e.contains("unknown variant"), "{e}");
    let e = refused(&|v| v["extra"] = serde_json::json!(1));
    assert!(e.contains("unknown field"), "{e}");
    let mut bad_gc = gc.clone();
    bad_gc["detail"]["surprise"] = serde_json::json!(true);
    let e = serde_json::from_value::<LogEntry>(bad_gc)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field") && e.contains("gc"), "{e}");
}

#[test]
fn manifests_pointer_files_rules_and_markers_round_trip() {
    for p in fixtures("manifest") {
        let m = round_trip(
            &p,
            |b| serde_json::from_slice::<Manifest>(b).unwrap(),
            Manifest::to_bytes,
        );
        assert_eq!(m.rows, m.files.iter().map(|f| f.rows).sum::<u64>());
        // What the manifest records follows from its files.
        assert_eq!(m.clone().tally(), m, "{}", p.display());
    }
    for p in fixtures("pointer") {
        let name = p.file_stem().unwrap().to_str().unwrap();
        let ds = lastgood::DatasetName::new(name).unwrap();
        round_trip(
            &p,
            |b| PointerFile::parse(b, &ds).unwrap(),
            PointerFile::to_bytes,
        );
    }
    for p in fixtures("rules") {
        let r = round_trip(
            &p,
            |b| serde_json::from_slice::<DatasetRules>(b).unwrap(),
            DatasetRules::to_bytes,
        );
        // Named by the checksum of its bytes.
        let prefix = p
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .rsplit('-')
            .next()
            .unwrap();
        assert!(
            r.checksum().starts_with(&format!("blake3:{prefix}")),
            "{}",
            p.display()
        );
    }
    for p in fixtures("content") {
        round_trip(
            &p,
            |b| ContentMarker::parse(b, "fixture").unwrap(),
            ContentMarker::to_bytes,
        );
    }
}

/// Gate reports as the binary writes them round-trip through [`lastgood::gates::Report`] byte for
/// byte; the shapes earlier versions wrote (`old/report/`: each gate's kind nested in
/// `validations`, KS without scans or ECDF, untyped facts) still read, with what the page shows.
#[test]
fn gate_reports_round_trip_and_old_ones_read() {
    let all = fixtures("report");
    let mut seen = (false, false, false);
    for p in &all {
        let parse = |b: &[u8]| {
            serde_json::from_slice::<lastgood::gates::Report>(b)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let old = p.parent().unwrap().ends_with("old/report");
        let r = if old {
            parse(&read(p))
        } else {
            round_trip(p, parse, lastgood::gates::Report::to_bytes)
        };
        // Each gate's configuration reads as a gate; the first reports' nested shape is kept as
        // written.
        let nested = p.ends_with("old/report/2026-11-22-first-gates.json");
        assert!(
            r.validations.gates.iter().all(|g| match g {
                RecordedGate::Spec(_) => !nested,
                RecordedGate::Unread(m) => nested && m["kind"].is_object(),
            }),
            "{}: {:?}",
            p.display(),
            r.validations.gates
        );
        assert!(!r.gates.is_empty(), "{}", p.display());
        seen.0 |= r.gates.iter().any(|g| !g.slices.is_empty());
        seen.1 |= r.gates.iter().any(|g| g.kind() == "keyed");
        seen.2 |= r.scope.is_some();
    }
    assert_eq!(seen, (true, true, true), "slices, keyed, scope");
}

#[test]
fn fixtures_match_their_schemas() {
    for (kind, schema) in [
        ("log-entry", "log-entry.schema.json"),
        ("manifest", "manifest.schema.json"),
        ("pointer", "pointer.schema.json"),
        ("rules", "rules.schema.json"),
        ("report", "gate-report.schema.json"),
    ] {
        let v = crate::schemas::validator(schema);
        // The schema describes what is written now: the first reports nested each gate's kind.
        let today = |p: &PathBuf| kind != "report" || !p.parent().unwrap().ends_with("old/report");
        for p in fixtures(kind).iter().filter(|p| today(p)) {
            crate::schemas::check(&v, p);
        }
    }
}
