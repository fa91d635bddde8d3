//! A version's lifecycle obeyed by every command (issue 12): each test is one defect found at the
//! edges, reproduced through the real binary on a local root.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use lastgood::synth::Variant;
use serde_json::Value;

use crate::util::{code, data, fails_with, lastgood, ok_json, stderr, stdout};

fn current(dir: &Path, root: &Path, dataset: &str) -> String {
    let v: Value = ok_json(&lastgood(
        dir,
        root,
        &["pointer", "show", dataset, "--json"],
    ));
    v["version"].as_str().unwrap().to_string()
}

/// Defect 2: publishing Monday's files again after Tuesday must not rewind consumers to Monday, and
/// what the re-run asked to record (`--meta`, `--message`) is not silently dropped.
#[test]
fn republishing_content_the_pointer_left_does_not_rewind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = dir.join("lake");
    let mon = data(dir, "mon", 2_000, 1, 1, Variant::Good);
    let tue = data(dir, "tue", 2_000, 1, 2, Variant::Good);
    let publish = |src: &Path, extra: &[&str]| {
        let mut args = vec!["publish", "scores", src.to_str().unwrap()];
        args.extend_from_slice(extra);
        lastgood(dir, &root, &args)
    };
    let m: Value = ok_json(&publish(&mon, &["--json"]));
    let t: Value = ok_json(&publish(&tue, &["--json"]));
    assert_ne!(m["version"], t["version"]);

    let again = publish(&mon, &["--meta", "night=wed", "--message", "rerun"]);
    fails_with(&again, 4, "pointer set");
    let err = stderr(&again);
    assert!(err.contains(m["version"].as_str().unwrap()), "{err}");
    assert!(
        err.contains("--meta") && err.contains("not recorded"),
        "{err}"
    );
    assert_eq!(
        current(dir, &root, "scores"),
        t["version"].as_str().unwrap()
    );

    // Going back on purpose still works, and a re-run of the current version stays idempotent.
    let back: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "pointer",
            "set",
            "scores",
            m["version"].as_str().unwrap(),
            "--reason",
            "tuesday was wrong",
            "--json",
        ],
    ));
    assert_eq!(back["to"], m["version"]);
    assert_eq!(back["moved"], true);
    let rerun: Value = ok_json(&publish(&mon, &["--json"]));
    assert_eq!(rerun["moved"], false);
    assert_eq!(rerun["promoted"], true);
}

/// Defect 2, the idempotent case: a re-run of the current version with new `--meta` says the meta
/// was not recorded (the sealed manifest never changes).
#[test]
fn rerun_of_the_current_version_says_meta_is_not_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = dir.join("lake");
    let mon = data(dir, "mon", 2_000, 1, 1, Variant::Good);
    let s = mon.to_str().unwrap();
    ok_json::<Value>(&lastgood(dir, &root, &["publish", "scores", s, "--json"]));
    let o = lastgood(
        dir,
        &root,
        &["publish", "scores", s, "--meta", "night=tue", "--json"],
    );
    let v: Value = ok_json(&o);
    assert_eq!(v["moved"], false);
    let ignored = v["ignored"].as_array().expect("ignored listed");
    assert!(
        ignored
            .iter()
            .any(|i| i.as_str().unwrap().contains("--meta")),
        "{v}"
    );
    assert!(stderr(&o).contains("not recorded"), "{}", stderr(&o));
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// Defect 14: a column named like a partition key in another case (`DATE` beside key `date`) is
/// refused: DuckDB's hive partitioning would silently replace its values with the folder's.
#[test]
fn a_column_named_like_a_partition_key_in_any_case_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("lastgood.toml"),
        "root = \"lake\"\n\n[datasets.daily]\npartition_by = [\"date\"]\npartition_types = { date = \"date\" }\n",
    )
    .unwrap();
    let root = dir.join("lake");
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("score", DataType::Float64, true),
        Field::new("DATE", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec!["a", "b"])),
            Arc::new(Float64Array::from(vec![0.1, 0.2])),
            Arc::new(StringArray::from(vec!["1999-01-01", "1999-01-02"])),
        ],
    )
    .unwrap();
    write_parquet(&dir.join("night/part-0.parquet"), &batch);
    let o = lastgood(
        dir,
        &root,
        &[
            "publish",
            "daily",
            dir.join("night").to_str().unwrap(),
            "--partition",
            "date=2026-11-21",
        ],
    );
    fails_with(&o, 2, "DATE");
    assert!(!root.join("daily").exists(), "nothing written");
}

/// Defect 12: the content hash covers the partition types, so the documented `--full` publish that
/// changes a key's type seals a new version instead of reusing the old one (which left every later
/// partition publish refused).
#[test]
fn changing_a_partition_type_with_full_seals_a_new_version() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = dir.join("lake");
    let cfg = |t: &str| {
        format!(
            "root = \"lake\"\n\n[datasets.daily]\npartition_by = [\"n\"]\npartition_types = {{ n = \"{t}\" }}\n"
        )
    };
    std::fs::write(dir.join("lastgood.toml"), cfg("string")).unwrap();
    let src = data(dir, "night", 1_000, 1, 1, Variant::Good);
    let s = src.to_str().unwrap();
    let first: Value = ok_json(&lastgood(
        dir,
        &root,
        &["publish", "daily", s, "--partition", "n=7", "--json"],
    ));
    std::fs::write(dir.join("lastgood.toml"), cfg("int")).unwrap();
    // The type is part of the dataset's rules on the store: changed on purpose first.
    let set = lastgood(
        dir,
        &root,
        &["rules", "set", "daily", "--reason", "n is an int"],
    );
    assert_eq!(code(&set), 0, "{}", stderr(&set));
    let full: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "publish",
            "daily",
            s,
            "--partition",
            "n=7",
            "--full",
            "--json",
        ],
    ));
    assert_ne!(full["version"], first["version"], "a new version");
    assert_eq!(full["moved"], true);
    // The dataset is not stuck: the next night publishes.
    let next = data(dir, "next", 1_000, 1, 2, Variant::Good);
    let o = lastgood(
        dir,
        &root,
        &[
            "publish",
            "daily",
            next.to_str().unwrap(),
            "--partition",
            "n=8",
            "--json",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

/// Defect 16: a misspelled dataset is exit 2 for every command that reads one, and `freeze` never
/// creates a dataset.
#[test]
fn an_unknown_dataset_is_exit_2_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = dir.join("lake");
    let src = data(dir, "mon", 1_000, 1, 1, Variant::Good);
    ok_json::<Value>(&lastgood(
        dir,
        &root,
        &["publish", "scores", src.to_str().unwrap(), "--json"],
    ));
    let before = crate::util::snapshot(&root);
    for args in [
        vec!["doctor", "scroes"],
        vec!["gc", "scroes"],
        vec!["gc", "scroes", "--dry-run"],
        vec!["pointer", "history", "scroes"],
        vec!["pointer", "show", "scroes"],
        vec!["versions", "scroes"],
        vec!["freeze", "scroes", "--reason", "incident"],
        vec!["unfreeze", "scroes"],
        vec!["pointer", "revert", "scroes", "--reason", "bad"],
    ] {
        let o = lastgood(dir, &root, &args);
        fails_with(&o, 2, "scroes");
    }
    assert!(!root.join("scroes").exists(), "nothing created");
    assert_eq!(crate::util::snapshot(&root), before);
}
