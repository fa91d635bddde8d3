//! The README's quickstart, run as a new user would: verbatim, in an empty folder, with the built
//! `lastgood` on PATH. It must end with a rejected publish and a revert in the history.

use std::path::Path;
use std::process::Command;

#[test]
fn readme_quickstart_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme
        .split("<!-- quickstart:begin -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- quickstart:end -->").next())
        .expect("README.md has a quickstart between <!-- quickstart:begin/end --> markers");
    let script: String = block
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.contains("lastgood pointer revert"), "{script}");

    let t = tempfile::tempdir().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_lastgood")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(t.path())
        .env("PATH", path)
        .env_remove("LASTGOOD_ROOT")
        .env_remove("LASTGOOD_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the quickstart failed:\n{script}\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("FAILED"), "a rejected publish: {stdout}");
    assert!(
        stdout.contains("revert"),
        "a revert in the history: {stdout}"
    );
}
