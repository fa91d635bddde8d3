//! The dataset carries its rules (issue 12, defect 1): partitioning, gates and contract recorded
//! on the store with the first publish, applied by a writer with no config of its own (Airflow's
//! BashOperator in a temporary folder), a disagreeing local config refused, `rules set` changing
//! them on purpose as a `configure` history entry that doctor replays.

use std::path::Path;

use lastgood::synth::Variant;
use serde_json::Value;

use crate::util::{code, data, fails_with, lastgood, ok_json, stderr, stdout};

const CONFIG: &str = r#"root = "lake"

[datasets.daily]
partition_by = ["date"]
partition_types = { date = "date" }
validations = "validations/daily.toml"
contract = "schemas/daily.contract.json"
"#;

const GATES: &str = r#"[[gate]]
name = "night_drift"
kind = "ks"
column = "score"
max_statistic = 0.1

[[gate]]
name = "rows"
kind = "row_count"
min_ratio = 0.5
max_ratio = 2.0
"#;

/// The team's folder: lastgood.toml, the gates and the contract.
fn team(dir: &Path) {
    std::fs::create_dir_all(dir.join("validations")).unwrap();
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::write(dir.join("lastgood.toml"), CONFIG).unwrap();
    std::fs::write(dir.join("validations/daily.toml"), GATES).unwrap();
    let contract = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/churn_scores.contract.json"),
    )
    .unwrap();
    std::fs::write(dir.join("schemas/daily.contract.json"), contract).unwrap();
}

fn publish_night(cwd: &Path, root: &Path, src: &Path, date: &str) -> std::process::Output {
    lastgood(
        cwd,
        root,
        &[
            "publish",
            "daily",
            src.to_str().unwrap(),
            "--partition",
            &format!("date={date}"),
            "--json",
        ],
    )
}

fn gate_names(publish: &Value) -> Vec<String> {
    publish["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_writer_without_config_applies_the_rules_recorded_on_the_store() {
    let t = tempfile::tempdir().unwrap();
    let (repo, airflow) = (t.path().join("repo"), t.path().join("airflow-tmp"));
    std::fs::create_dir_all(&airflow).unwrap();
    team(&repo);
    let root = repo.join("lake");
    let n1 = data(t.path(), "n1", 400, 1, 1, Variant::Good);
    let n2 = data(t.path(), "n2", 400, 1, 2, Variant::Good);
    let n3 = data(t.path(), "n3", 400, 1, 3, Variant::Good);

    let first: Value = ok_json(&publish_night(&repo, &root, &n1, "2026-11-14"));
    let shown: Value = ok_json(&lastgood(
        &repo,
        &root,
        &["rules", "show", "daily", "--json"],
    ));
    let sum = shown["checksum"].as_str().unwrap().to_string();
    assert_eq!(shown["rules"]["partitioning"]["keys"][0], "date");
    assert_eq!(shown["rules"]["gates"][0]["name"], "night_drift");
    assert!(shown["rules"]["contract"]["columns"].is_array());
    // The rules object is content-addressed on the store, and the head names it.
    let hex = sum.strip_prefix("blake3:").unwrap();
    let obj = std::fs::read(root.join(format!("daily/rules/{hex}.json"))).unwrap();
    assert_eq!(format!("blake3:{}", blake3::hash(&obj).to_hex()), sum);
    let status: Value = ok_json(&lastgood(
        &repo,
        &root,
        &["pointer", "history", "daily", "--json"],
    ));
    let head = status
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|e| e["seq"].as_u64())
        .unwrap()
        .clone();
    assert_eq!(head["state"]["rules"], sum.as_str());

    // Airflow: a temporary folder, no lastgood.toml, only --root. -v does not claim a config.
    let v = lastgood(&airflow, &root, &["-v", "pointer", "show", "daily"]);
    assert_eq!(code(&v), 0, "{}", stderr(&v));
    assert!(
        !stderr(&v).contains("config lastgood.toml"),
        "claims a config file that does not exist: {}",
        stderr(&v)
    );
    let second: Value = ok_json(&publish_night(&airflow, &root, &n2, "2026-11-15"));
    assert_eq!(gate_names(&second), gate_names(&first));
    assert!(gate_names(&second).contains(&"night_drift".to_string()));
    assert!(
        gate_names(&second).iter().any(|n| n.contains("contract")),
        "{:?}",
        gate_names(&second)
    );
    // Partitioned: the new version carries the first night.
    let shown: Value = ok_json(&lastgood(
        &airflow,
        &root,
        &[
            "show",
            "daily",
            second["version"].as_str().unwrap(),
            "--json",
        ],
    ));
    let dates: Vec<String> = shown["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["values"]["date"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| p.to_string())
        })
        .collect();
    assert_eq!(dates.len(), 2, "{shown}");

    // A local config that disagrees (another team's checkout without partitioning, other gates)
    // is refused, naming the difference; nothing is sealed.
    let other = t.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("lastgood.toml"),
        "[datasets.daily]\ndelta = true\n",
    )
    .unwrap();
    let before = crate::util::snapshot(&root);
    let refused = publish_night(&other, &root, &n3, "2026-11-16");
    fails_with(&refused, 2, "partitioning by date:");
    assert!(
        stderr(&refused).contains("night_drift"),
        "{}",
        stderr(&refused)
    );
    assert!(
        stderr(&refused).contains("rules set daily"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        crate::util::snapshot(&root),
        before,
        "a refused publish wrote nothing"
    );
    // --validations disagreeing with the store is refused too.
    std::fs::write(
        other.join("strict.toml"),
        "[[gate]]\nname = \"rows\"\nkind = \"row_count\"\nmin_ratio = 0.9\nmax_ratio = 1.1\n",
    )
    .unwrap();
    fails_with(
        &lastgood(
            &repo,
            &root,
            &[
                "publish",
                "daily",
                n3.to_str().unwrap(),
                "--partition",
                "date=2026-11-16",
                "--validations",
                other.join("strict.toml").to_str().unwrap(),
            ],
        ),
        2,
        "gate \"rows\" changed",
    );

    // Changing the rules on purpose: a configure entry; then the team's checkout is the one refused.
    std::fs::write(
        other.join("lastgood.toml"),
        "[datasets.daily]\npartition_by = [\"date\"]\npartition_types = { date = \"date\" }\n",
    )
    .unwrap();
    let set: Value = ok_json(&lastgood(
        &other,
        &root,
        &[
            "rules",
            "set",
            "daily",
            "--reason",
            "default gates from now on",
            "--json",
        ],
    ));
    assert_eq!(set["changed"], true);
    assert_eq!(set["previous"], sum.as_str());
    let changes = set["changes"].to_string();
    assert!(
        changes.contains("night_drift") && changes.contains("contract"),
        "{changes}"
    );
    let history: Value = ok_json(&lastgood(
        &other,
        &root,
        &["pointer", "history", "daily", "--json"],
    ));
    let configure = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "configure")
        .expect("a configure entry")
        .clone();
    assert_eq!(configure["reason"], "default gates from now on");
    assert_eq!(configure["rules"], set["rules"]);
    assert_eq!(configure["state"]["rules"], set["rules"]);
    // The same again changes nothing.
    let again: Value = ok_json(&lastgood(
        &other,
        &root,
        &["rules", "set", "daily", "--reason", "again", "--json"],
    ));
    assert_eq!(again["changed"], false);
    fails_with(
        &publish_night(&repo, &root, &n3, "2026-11-16"),
        2,
        "gate \"night_drift\" added",
    );
    let third: Value = ok_json(&publish_night(&airflow, &root, &n3, "2026-11-16"));
    assert!(!gate_names(&third).contains(&"night_drift".to_string()));

    // doctor replays the configure entry and checks every rules object named.
    let doc = lastgood(&repo, &root, &["doctor", "daily", "--json"]);
    assert_eq!(code(&doc), 0, "{}{}", stdout(&doc), stderr(&doc));
    let new_hex = set["rules"]
        .as_str()
        .unwrap()
        .strip_prefix("blake3:")
        .unwrap()
        .to_string();
    let obj = root.join(format!("daily/rules/{new_hex}.json"));
    std::fs::write(&obj, b"{}\n").unwrap();
    let doc = lastgood(&repo, &root, &["doctor", "daily", "--json"]);
    assert_eq!(code(&doc), 2, "{}", stdout(&doc));
    assert!(stdout(&doc).contains("rules"), "{}", stdout(&doc));
}

#[test]
fn a_first_publish_without_config_records_the_defaults_and_rules_need_a_dataset() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let a = data(cwd, "a", 200, 1, 1, Variant::Good);
    fails_with(&lastgood(cwd, &root, &["rules", "show", "nope"]), 2, "nope");
    fails_with(
        &lastgood(cwd, &root, &["rules", "set", "nope", "--reason", "x"]),
        2,
        "nope",
    );
    assert_eq!(
        code(&lastgood(
            cwd,
            &root,
            &["publish", "flat", a.to_str().unwrap()]
        )),
        0
    );
    let shown: Value = ok_json(&lastgood(cwd, &root, &["rules", "show", "flat", "--json"]));
    assert!(shown["rules"]["partitioning"].is_null());
    let names: Vec<&str> = shown["rules"]["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["schema", "null_rate", "ks", "row_count"]);
    let human = stdout(&lastgood(cwd, &root, &["rules", "show", "flat"]));
    assert!(human.contains("partitioning    none"), "{human}");
}
