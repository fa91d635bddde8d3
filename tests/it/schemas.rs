//! Real on-store files validated against the JSON Schemas in schemas/.

use lastgood::synth::Variant;

use crate::util::*;

pub(crate) fn validator(name: &str) -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn check(v: &jsonschema::Validator, file: &std::path::Path) {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let errors: Vec<String> = v
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", file.display());
}

#[test]
fn on_store_files_match_their_schemas() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let out = cwd.join("out");
    lastgood::synth::write_dir(&out.join("date=2026-11-21"), 100, 2, 1, Variant::Good).unwrap();
    let b = data(cwd, "b", 100, 1, 2, Variant::Good);
    assert_eq!(
        code(&lastgood(
            cwd,
            &root,
            &[
                "publish",
                "churn",
                out.to_str().unwrap(),
                "--version",
                "v1",
                "--meta",
                "model=m1",
                "-m",
                "first"
            ]
        )),
        0
    );
    assert_eq!(
        code(&lastgood(
            cwd,
            &root,
            &["publish", "churn", b.to_str().unwrap(), "--version", "v2"]
        )),
        0
    );
    assert_eq!(
        code(&lastgood(
            cwd,
            &root,
            &["pointer", "revert", "churn", "--reason", "bad"]
        )),
        0
    );

    // Marks: freeze, pin, unfreeze, and a gc that collects the reverted v2 (released).
    for args in [
        &["freeze", "churn", "--reason", "looking"][..],
        &["pin", "churn", "v1", "--reason", "audit"],
        &["unfreeze", "churn"],
        &[
            "gc",
            "churn",
            "--keep",
            "0",
            "--grace",
            "0s",
            "--include-reverted",
        ],
    ] {
        let o = lastgood(cwd, &root, args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    }
    // The rules on the store: recorded by the first publish (the defaults), changed by a configure.
    std::fs::create_dir_all(cwd.join("validations")).unwrap();
    std::fs::write(
        cwd.join("validations/churn.toml"),
        "[[gate]]\nname = \"rows\"\nkind = \"row_count\"\nmin_ratio = 0.8\nmax_ratio = 1.25\n",
    )
    .unwrap();
    let o = lastgood(
        cwd,
        &root,
        &["rules", "set", "churn", "--reason", "tighter"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let ds = root.join("churn");
    let manifest = validator("manifest.schema.json");
    check(&manifest, &ds.join("versions/v1/manifest.json"));
    assert!(
        !ds.join("versions/v2").exists(),
        "gc collected the reverted v2"
    );
    check(&validator("pointer.schema.json"), &ds.join("pointer.json"));
    let entry = validator("log-entry.schema.json");
    let mut n = 0;
    for e in std::fs::read_dir(ds.join("log")).unwrap() {
        check(&entry, &e.unwrap().path());
        n += 1;
    }
    assert_eq!(n, 8);
    let rules = validator("rules.schema.json");
    let mut objects = 0;
    for e in std::fs::read_dir(ds.join("rules")).unwrap() {
        check(&rules, &e.unwrap().path());
        objects += 1;
    }
    assert_eq!(objects, 2, "the defaults, then the configured rules");
    // The Delta projection: version 0, then one commit per log entry, every line an action.
    let action = validator("delta-action.schema.json");
    let mut commits = 0;
    for e in std::fs::read_dir(ds.join("_delta_log")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let doc: serde_json::Value = serde_json::from_str(line).unwrap();
                let errors: Vec<String> = action.iter_errors(&doc).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            }
            commits += 1;
        }
    }
    assert_eq!(commits, 9);
    assert!(!action.is_valid(&serde_json::json!({"add": {"path": "s3://elsewhere/x.parquet",
        "partitionValues": {}, "size": 1, "modificationTime": 1, "dataChange": true, "stats": "{}"}})));
    let report = validator("gate-report.schema.json");
    let mut reports = 0;
    for v in ["v1"] {
        for e in std::fs::read_dir(ds.join("versions").join(v).join("reports")).unwrap() {
            check(&report, &e.unwrap().path());
            reports += 1;
        }
    }
    assert_eq!(reports, 1, "one report per publish");

    // The schemas are not vacuous: a broken document fails.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ds.join("pointer.json")).unwrap()).unwrap();
    doc["version"] = serde_json::json!("../x");
    assert!(!validator("pointer.schema.json").is_valid(&doc));
    let first = std::fs::read_dir(ds.join("rules"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first).unwrap()).unwrap();
    doc["gates"][0]["severity"] = serde_json::json!("maybe");
    assert!(!rules.is_valid(&doc));
}
