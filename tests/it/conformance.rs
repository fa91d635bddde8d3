//! The core scenarios, run on every kind of store: in-memory, the local filesystem, S3 (SeaweedFS),
//! Azure (Azurite) and GCS (fake-gcs-server behind a proxy). Each scenario takes a fresh store.

use std::sync::Arc;

use lastgood::faults::{Fault, FaultyStore};
use lastgood::ops::publish::{PublishOptions, publish};
use lastgood::ops::resolve::{At, resolve};
use lastgood::ops::{revert, set, status, versions};
use lastgood::synth::Variant;
use lastgood::{Context, Dataset, DatasetName, Store, VersionId};

use crate::util::data;

fn ctx() -> Context {
    Context::new("tester@ci")
}

fn ds(store: Store) -> Dataset {
    Dataset::new(store, DatasetName::new("churn_scores").unwrap())
}

fn opts(src: &std::path::Path) -> PublishOptions {
    PublishOptions {
        sources: vec![src.display().to_string()],
        ..Default::default()
    }
}

fn v(s: &str) -> VersionId {
    VersionId::new(s).unwrap()
}

/// The kinds of store the suite runs on without a server; S3 is the third (see the macro below).
pub enum Kind {
    Memory,
    Local,
}

pub fn store(kind: &Kind, tmp: &std::path::Path) -> Store {
    match kind {
        Kind::Memory => Store::memory(),
        Kind::Local => Store::open(tmp.join("root").to_str().unwrap()).unwrap(),
    }
}

pub async fn publish_promote_revert_history(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ds(store);
    let mut ids = Vec::new();
    for (night, variant) in [(1, Variant::Good), (2, Variant::Good), (3, Variant::Good)] {
        let src = data(tmp.path(), &format!("night{night}"), 500, 2, night, variant);
        let mut o = opts(&src);
        o.version = Some(v(&format!("night-{night}")));
        o.meta.insert("model".into(), format!("churn-v1.{night}"));
        let out = publish(&ds, &ctx(), o).await.unwrap();
        assert!(out.created && out.promoted, "{out:?}");
        assert_eq!(out.rows, 500);
        assert_eq!(out.files, 2);
        assert_eq!(out.seq, Some(night));
        assert_eq!(out.parent, ids.last().map(|i: &VersionId| i.to_string()));
        ids.push(v(&out.version));
    }
    let s = status::show(&ds).await.unwrap();
    assert_eq!(s.version.as_deref(), Some("night-3"));
    assert_eq!(s.last_known_good.as_deref(), Some("night-2"));

    let r = revert::revert(&ds, &ctx(), None, "scores all 0.5", false)
        .await
        .unwrap();
    assert_eq!(
        status::history(&ds, Some(1)).await.unwrap()[0].verdict,
        None,
        "a revert carries no verdict"
    );
    assert_eq!(
        (r.from.as_deref(), r.to.as_deref(), r.seq),
        (Some("night-3"), Some("night-2"), 4)
    );
    let s = status::show(&ds).await.unwrap();
    assert_eq!(s.version.as_deref(), Some("night-2"));
    assert_eq!(s.reverted, vec!["night-3"]);
    assert_eq!(s.last_known_good.as_deref(), Some("night-1"));

    // The reverted version is not promoted again by accident...
    let err = set::set(&ds, &ctx(), &v("night-3"), "oops", false)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err}");
    // ...but a revert can be undone on purpose.
    let undo = set::set(&ds, &ctx(), &v("night-3"), "false alarm", true)
        .await
        .unwrap();
    assert!(undo.forced && undo.moved);
    let s = status::show(&ds).await.unwrap();
    assert_eq!(s.version.as_deref(), Some("night-3"));
    assert!(s.reverted.is_empty());

    let h = status::history(&ds, None).await.unwrap();
    let seqs: Vec<u64> = h.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![5, 4, 3, 2, 1], "newest first, gap-free");
    let actions: Vec<&str> = h.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["set", "revert", "promote", "promote", "promote"]
    );
    assert_eq!(h[1].reason.as_deref(), Some("scores all 0.5"));
    assert_eq!(h[1].actor, "tester@ci");
    assert_eq!(status::history(&ds, Some(2)).await.unwrap().len(), 2);

    // Resolve any history position; the files are the version's.
    let (at2, _) = resolve(&ds, &At::Seq(2)).await.unwrap();
    assert_eq!(at2.version, "night-2");
    assert_eq!(at2.files.len(), 2);
    assert!(
        at2.files
            .iter()
            .all(|f| f.path.starts_with("versions/night-2/data/"))
    );

    let rows = versions::list(&ds).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .any(|r| r.version == "night-3" && r.status.contains(&"current".to_string()))
    );
}

pub async fn idempotent_republish(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ds(store);
    let src = data(tmp.path(), "a", 300, 1, 1, Variant::Good);
    let first = publish(&ds, &ctx(), opts(&src)).await.unwrap();
    let again = publish(&ds, &ctx(), opts(&src)).await.unwrap();
    assert_eq!(first.version, again.version, "same content, same version");
    assert!(first.created && !again.created);
    assert!(again.promoted);
    assert_eq!(again.seq, Some(1), "no second history entry");
    assert_eq!(status::history(&ds, None).await.unwrap().len(), 1);
    // With an explicit id too.
    let mut o = opts(&src);
    o.version = Some(v("explicit"));
    let a = publish(&ds, &ctx(), o.clone()).await.unwrap();
    let b = publish(&ds, &ctx(), o).await.unwrap();
    assert!(a.created && !b.created && b.promoted);
    assert_eq!(a.seq, b.seq);
}

pub async fn refused_overwrite_keeps_sealed_bytes(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ds(store);
    let a = data(tmp.path(), "a", 200, 1, 1, Variant::Good);
    let b = data(tmp.path(), "b", 200, 1, 2, Variant::Good);
    let mut o = opts(&a);
    o.version = Some(v("v1"));
    publish(&ds, &ctx(), o).await.unwrap();
    let before = ds.require(&v("v1")).await.unwrap();
    let file_before = ds
        .store
        .get(&ds.layout.resolve(&before.manifest.files[0].path).unwrap())
        .await
        .unwrap();

    let mut o = opts(&b);
    o.version = Some(v("v1"));
    let err = publish(&ds, &ctx(), o).await.unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err}");
    assert!(
        err.to_string()
            .contains("already sealed with other content"),
        "{err}"
    );

    let after = ds.require(&v("v1")).await.unwrap();
    assert_eq!(before.checksum, after.checksum, "manifest unchanged");
    let file_after = ds
        .store
        .get(&ds.layout.resolve(&after.manifest.files[0].path).unwrap())
        .await
        .unwrap();
    assert_eq!(file_before, file_after, "data file unchanged");
    assert_eq!(
        status::show(&ds).await.unwrap().version.as_deref(),
        Some("v1")
    );
}

/// A publish cut at every write: the pointer never names an unsealed version, nothing sealed
/// changes, and the same publish run again completes.
pub async fn interrupted_publish_is_never_pointed_to(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let base = data(tmp.path(), "base", 200, 1, 1, Variant::Good);
    let next = data(tmp.path(), "next", 200, 3, 2, Variant::Good);
    // 3 data files, manifest, content marker, gate report, log entry, pointer file: 8 writes.
    for cut in 0..8u64 {
        let good = Dataset::new(
            store.clone(),
            DatasetName::new(format!("cut{cut}")).unwrap(),
        );
        publish(&good, &ctx(), opts(&base)).await.unwrap();
        let before = status::show(&good).await.unwrap().version.unwrap();
        let sealed_before = good.require(&v(&before)).await.unwrap();

        let faulty = Arc::new(FaultyStore::new(
            store.object_store(),
            Fault::FailAfter(cut),
        ));
        let cut_ds = Dataset::new(
            Store::with_store(faulty, store.base().clone(), store.store_url().clone()),
            good.name().clone(),
        );
        let mut o = opts(&next);
        o.version = Some(v("next"));
        let res = publish(&cut_ds, &ctx(), o.clone()).await;
        assert!(res.is_err(), "cut at {cut} must fail the publish");

        let (now, _) = resolve(&good, &At::Current).await.unwrap();
        if cut < 7 {
            assert_eq!(
                now.version, before,
                "cut at {cut}: the pointer did not move"
            );
        } else {
            assert_eq!(now.version, "next", "cut at {cut}: the log entry landed");
        }
        if good.sealed(&v("next")).await.unwrap().is_none() {
            let err = set::set(&good, &ctx(), &v("next"), "try", false)
                .await
                .unwrap_err();
            assert_eq!(
                err.exit_code(),
                2,
                "an unsealed version cannot be pointed at: {err}"
            );
        }
        assert_eq!(
            good.require(&v(&before)).await.unwrap().checksum,
            sealed_before.checksum
        );

        let out = publish(&good, &ctx(), o).await.unwrap();
        assert!(out.promoted, "cut at {cut}: re-run completes");
        let (r, _) = resolve(&good, &At::Current).await.unwrap();
        assert_eq!((r.version.as_str(), r.rows), ("next", 200));
        let h = status::history(&good, None).await.unwrap();
        assert_eq!(
            h.len(),
            2,
            "cut at {cut}: one promote each, no duplicate entry"
        );
        assert_eq!(h[0].verdict.as_ref().map(|v| v.passed), Some(true));
    }
}

/// Many writers moving the pointer at once: every move lands exactly once, no gaps.
pub async fn concurrent_moves(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ds(store);
    let n = 8;
    for i in 0..n {
        let src = data(tmp.path(), &format!("d{i}"), 50, 1, i as u64, Variant::Good);
        let mut o = opts(&src);
        o.version = Some(v(&format!("v{i}")));
        o.no_promote = true;
        publish(&ds, &ctx(), o).await.unwrap();
    }
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let ds = ds.clone();
            tokio::spawn(async move {
                set::set(
                    &ds,
                    &Context::new(format!("w{i}")),
                    &v(&format!("v{i}")),
                    "race",
                    false,
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        let out = t.await.unwrap().unwrap();
        assert!(out.moved);
    }
    let h = status::history(&ds, None).await.unwrap();
    assert_eq!(h.len(), n);
    let mut tos: Vec<String> = h
        .iter()
        .map(|e| e.to.as_ref().unwrap().to_string())
        .collect();
    tos.sort();
    let expected: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    assert_eq!(tos, expected, "every move exactly once");
    for w in h.windows(2) {
        assert_eq!(w[0].seq, w[1].seq + 1);
        assert_eq!(
            w[0].from, w[1].to,
            "each entry starts where the previous ended"
        );
    }
    let (r, _) = resolve(&ds, &At::Current).await.unwrap();
    assert_eq!(
        Some(r.version.as_str()),
        h[0].to.as_ref().map(|v| v.as_str())
    );
}

pub async fn refusals(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ds(store);
    // A dataset that does not exist is a name that does not exist (exit 2), not a policy.
    let err = revert::revert(&ds, &ctx(), None, "why", false)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    let src = data(tmp.path(), "a", 10, 1, 1, Variant::Good);
    publish(&ds, &ctx(), opts(&src)).await.unwrap();
    let err = revert::revert(&ds, &ctx(), None, "why", false)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 4, "nothing to revert to: {err}");
    assert!(err.to_string().contains("nothing to revert to"));
    let err = set::set(&ds, &ctx(), &v("nope"), "why", false)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    let err = set::set(&ds, &ctx(), &v("nope"), "  ", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--reason"), "{err}");
}

/// A stale pointer file (a writer died between the log entry and the pointer file) is repaired by
/// the next reader; a manifest edited by hand is refused.
pub async fn stale_pointer_file_and_tampered_manifest(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ds(store);
    for i in 1..=2 {
        let src = data(tmp.path(), &format!("n{i}"), 20, 1, i, Variant::Good);
        let mut o = opts(&src);
        o.version = Some(v(&format!("n{i}")));
        publish(&ds, &ctx(), o).await.unwrap();
        if i == 1 {
            let stale = ds
                .store
                .get(&ds.layout.pointer_file())
                .await
                .unwrap()
                .unwrap();
            std::fs::write(tmp.path().join("stale.json"), &stale).unwrap();
        }
    }
    let stale = std::fs::read(tmp.path().join("stale.json")).unwrap();
    ds.store
        .overwrite(&ds.layout.pointer_file(), stale.into())
        .await
        .unwrap();
    let (r, _) = resolve(&ds, &At::Current).await.unwrap();
    assert_eq!(r.version, "n2", "the log, not the stale file, decides");
    status::show(&ds).await.unwrap();
    let pf = ds
        .store
        .get(&ds.layout.pointer_file())
        .await
        .unwrap()
        .unwrap();
    let pf: lastgood::pointer::PointerFile = serde_json::from_slice(&pf).unwrap();
    assert_eq!((pf.version.as_str(), pf.seq), ("n2", 2), "repaired");

    let path = ds.layout.manifest(&v("n2"));
    let text = String::from_utf8(ds.store.get(&path).await.unwrap().unwrap().to_vec()).unwrap();
    let edited = text.replacen("\"message\": null", "\"message\": \"edited\"", 1);
    assert_ne!(text, edited);
    ds.store.overwrite(&path, edited.into()).await.unwrap();
    let err = resolve(&ds, &At::Current).await.unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("changed since the pointer moved"),
        "{err}"
    );
}

/// gc never deletes the current version, the last-known-good, a pinned version, the last N the
/// pointer held, or anything in the grace period; it plans, records, then deletes.
pub async fn gc_keeps_what_is_protected(store: Store) {
    use lastgood::ops::{gc, pin};
    let t = tempfile::tempdir().unwrap();
    let ds = ds(store);
    let t0 = chrono::Utc::now() - chrono::Duration::days(10);
    let at = |h: i64| ctx().with_clock(move || t0 + chrono::Duration::hours(h));
    for i in 1..=6 {
        let src = data(t.path(), &format!("d{i}"), 500, 1, i, Variant::Good);
        let o = PublishOptions {
            version: Some(v(&format!("v{i}"))),
            ..opts(&src)
        };
        assert!(publish(&ds, &at(i as i64), o).await.unwrap().promoted);
    }
    // v7 fails its gates: sealed, never promoted.
    let bad = data(t.path(), "bad", 500, 1, 7, Variant::Shift);
    let o = PublishOptions {
        version: Some(v("v7")),
        ..opts(&bad)
    };
    assert!(!publish(&ds, &at(7), o).await.unwrap().promoted);
    pin::pin(&ds, &at(8), &v("v1"), Some("audit"))
        .await
        .unwrap();
    revert::revert(&ds, &at(9), None, "v6 is bad", false)
        .await
        .unwrap();
    // A publish in flight (uploaded just now, not sealed yet).
    let leftover = ds
        .layout
        .resolve("versions/inflight/data/part-0.parquet")
        .unwrap();
    ds.store.create(&leftover, "x".into()).await.unwrap();

    let ids = || async {
        let v = ds.versions().await.unwrap();
        v.iter().map(|(v, _)| v.to_string()).collect::<Vec<_>>()
    };
    let all = ids().await;
    let opts = |keep, dry_run| gc::GcOptions {
        keep,
        dry_run,
        ..Default::default()
    };
    let older = gc::GcOptions {
        older_than: Some(chrono::Duration::days(30)),
        ..opts(0, false)
    };
    let none = gc::gc(&ds, &ctx(), &older).await.unwrap();
    assert!(
        none.deleted.is_empty(),
        "everything is younger than 30 days"
    );

    // Ages come from the store's clock: everything was written seconds ago, within the grace.
    let plan = gc::gc(&ds, &ctx(), &opts(2, true)).await.unwrap();
    assert!(plan.deleted.is_empty(), "{:?}", plan.deleted);
    let why = |plan: &gc::GcOutcome, v: &str| {
        plan.kept
            .iter()
            .find(|k| k.version == v)
            .unwrap()
            .why
            .clone()
    };
    assert_eq!(why(&plan, "inflight"), ["in-grace"]);

    let no_grace = |keep, dry_run| gc::GcOptions {
        grace: chrono::Duration::zero(),
        ..opts(keep, dry_run)
    };
    let plan = gc::gc(&ds, &ctx(), &no_grace(2, true)).await.unwrap();
    let planned: Vec<&str> = plan.deleted.iter().map(|d| d.version.as_str()).collect();
    assert_eq!(planned, ["inflight", "v2", "v3", "v7"]);
    assert!(!plan.deleted[0].sealed);
    assert_eq!(why(&plan, "v1"), ["pinned"]);
    assert_eq!(why(&plan, "v4"), ["last-known-good"]);
    assert_eq!(why(&plan, "v5"), ["current", "recent"]);
    assert_eq!(why(&plan, "v6"), ["recent", "reverted"]);
    assert_eq!(ids().await, all, "a dry run deletes nothing");
    assert_eq!(plan.seq, None);

    let done = gc::gc(&ds, &ctx(), &no_grace(2, false)).await.unwrap();
    assert_eq!(done.deleted.len(), 4);
    assert_eq!(ids().await, ["v1", "v4", "v5", "v6"]);
    let head = lastgood::pointer::read_head(&ds).await.unwrap();
    let e = head.entry.unwrap();
    assert_eq!(e.action.as_str(), "gc");
    assert_eq!(e.seq, done.seq.unwrap());
    assert_eq!(e.deleted(), [v("inflight"), v("v2"), v("v3"), v("v7")]);
    assert_eq!(e.state.version, Some(v("v5")));
    assert!(
        !e.state.known_good.contains(&v("v2")),
        "{:?}",
        e.state.known_good
    );
    assert_eq!(resolve(&ds, &At::Current).await.unwrap().0.version, "v5");
    let doctor = lastgood::ops::doctor::doctor(&ds, false).await.unwrap();
    assert!(doctor.ok, "{:?}", doctor.problems);

    // Revert still walks back through what is left.
    let r = revert::revert(&ds, &ctx(), None, "v5 too", false)
        .await
        .unwrap();
    assert_eq!(r.to.as_deref(), Some("v4"));
}

/// Issue 12, defect 8: `doctor --repair` running while a revert lands never moves the pointer file
/// back to the head doctor read at its start.
pub async fn doctor_repair_never_rewinds_the_pointer_file(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let plain = ds(store.clone());
    for i in 1..=2 {
        let src = data(tmp.path(), &format!("n{i}"), 20, 1, i, Variant::Good);
        let mut o = opts(&src);
        o.version = Some(v(&format!("n{i}")));
        publish(&plain, &ctx(), o).await.unwrap();
    }
    // A stale pointer file (as a crash between log entry and pointer file leaves it): repair due.
    let pf = plain.layout.pointer_file();
    let mut stale: lastgood::pointer::PointerFile =
        serde_json::from_slice(&plain.store.get(&pf).await.unwrap().unwrap()).unwrap();
    stale.seq = 1;
    stale.version = v("n1");
    plain.store.overwrite(&pf, stale.to_bytes()).await.unwrap();

    // Doctor has read the head and is verifying files when it reads its first data file.
    let (paused, hold) =
        crate::util::PauseStore::wrap(&store, crate::util::Pause::BeforeRead("/data/"));
    let doctor_ds = ds(paused);
    let doctor = tokio::spawn(async move { lastgood::ops::doctor::doctor(&doctor_ds, true).await });
    hold.reached().await;
    // Doctor has read the head (n2, entry 2) and is verifying files: a revert lands now.
    let r = revert::revert(&plain, &ctx(), None, "n2 is bad", false)
        .await
        .unwrap();
    assert_eq!((r.to.as_deref(), r.seq), (Some("n1"), 3));
    hold.go();
    doctor.await.unwrap().unwrap();
    let pf: lastgood::pointer::PointerFile =
        serde_json::from_slice(&plain.store.get(&pf).await.unwrap().unwrap()).unwrap();
    assert_eq!(
        (pf.version.as_str(), pf.seq),
        ("n1", 3),
        "the revert stands"
    );
}

/// Issue 12, defect 10: a deleted newest entry does not roll the pointer file back, and a stray
/// entry beyond a gap is never adopted when the gap fills; doctor reports both.
pub async fn log_tampering_is_never_adopted(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ds(store);
    for i in 1..=3 {
        let src = data(tmp.path(), &format!("n{i}"), 20, 1, i, Variant::Good);
        let mut o = opts(&src);
        o.version = Some(v(&format!("n{i}")));
        publish(&ds, &ctx(), o).await.unwrap();
    }
    let pf_path = ds.layout.pointer_file();
    let pointer = || async {
        let b = ds.store.get(&pf_path).await.unwrap().unwrap();
        let p: lastgood::pointer::PointerFile = serde_json::from_slice(&b).unwrap();
        (p.version.to_string(), p.seq)
    };

    // The newest entry deleted: readers refuse (exit 2) instead of rewinding consumers to entry 2.
    let e3 = ds
        .store
        .get(&ds.layout.log_entry(3))
        .await
        .unwrap()
        .unwrap();
    ds.store.delete(&ds.layout.log_entry(3)).await.unwrap();
    let err = status::show(&ds).await.unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("entry 3"), "{err}");
    assert_eq!(pointer().await, ("n3".to_string(), 3), "not rolled back");
    let report = lastgood::ops::doctor::doctor(&ds, true).await.unwrap();
    assert!(!report.ok, "doctor sees it");
    assert_eq!(
        pointer().await,
        ("n3".to_string(), 3),
        "repair never rewinds"
    );
    ds.store
        .overwrite(&ds.layout.log_entry(3), e3.clone())
        .await
        .unwrap();
    assert!(lastgood::ops::doctor::doctor(&ds, false).await.unwrap().ok);

    // A stray entry at 5 (entry 3 replayed there, which would wipe the pin of entry 4) beyond the
    // gap at 5's left: once a writer fills 4, nobody adopts 5.
    let mut stray: lastgood::pointer::LogEntry = serde_json::from_slice(&e3).unwrap();
    stray.seq = 5;
    ds.store
        .create(&ds.layout.log_entry(5), stray.to_bytes())
        .await
        .unwrap();
    // The pin fills the gap at 4, and says what it found beyond.
    let err = lastgood::ops::pin::pin(&ds, &ctx(), &v("n1"), Some("evidence"))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("entry 5"), "{err}");
    let (e4, _) = lastgood::pointer::read_entry(&ds, 4)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e4.state.pinned, [v("n1")]);
    let err = status::show(&ds).await.unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("entry 5"), "{err}");
    assert_eq!(
        pointer().await.1,
        4,
        "the pointer file reflects entry 4, not the stray 5"
    );
    let report = lastgood::ops::doctor::doctor(&ds, false).await.unwrap();
    assert!(!report.ok);
    assert!(
        report.problems.iter().any(|p| p.subject == "5"),
        "{:?}",
        report.problems
    );
}

/// Two writers racing to seal one explicit `--version` with different content (issue 17): one
/// wins; the loser is refused (4) or told to retry (5), and leaves nothing in the sealed version's
/// folder that its manifest does not list; doctor is healthy. Doctor also finds a stray object
/// planted there, and `--repair` deletes it.
pub async fn same_version_race_leaves_no_stray(store: Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ds(store);
    let a = data(tmp.path(), "a", 300, 1, 1, Variant::Good);
    let b = data(tmp.path(), "b", 300, 3, 2, Variant::Good);
    for round in 0..4 {
        let id = v(&format!("race{round}"));
        // Both in one task, interleaved at every await (publish's future is not `Send`-spawnable).
        let runs = [&a, &b].map(|src| {
            let mut o = opts(src);
            o.version = Some(id.clone());
            o.no_promote = true;
            let ds = ds.clone();
            async move { publish(&ds, &ctx(), o).await }
        });
        let mut won = 0;
        for res in futures::future::join_all(runs).await {
            match res {
                Ok(out) => {
                    assert!(out.created, "{out:?}");
                    won += 1;
                }
                Err(e) => assert!(matches!(e.exit_code(), 4 | 5), "round {round}: {e}"),
            }
        }
        assert!(won <= 1, "round {round}: one id, one content");
        let Some(sealed) = ds.sealed(&id).await.unwrap() else {
            continue; // both refused during the upload: an unsealed folder, gc's to collect
        };
        let mut listed: Vec<String> = sealed
            .manifest
            .files
            .iter()
            .map(|f| ds.layout.resolve(&f.path).unwrap().to_string())
            .collect();
        listed.sort();
        let data_dir = ds.layout.version_prefix(&id).join("data");
        let mut there: Vec<String> = ds
            .store
            .list(&data_dir)
            .await
            .unwrap()
            .iter()
            .map(|o| o.location.to_string())
            .collect();
        there.sort();
        assert_eq!(there, listed, "round {round}: the loser's files are gone");
    }
    let report = lastgood::ops::doctor::doctor(&ds, false).await.unwrap();
    assert!(report.ok, "{:?}", report.problems);

    // A stray planted in a sealed version's folder: doctor sees it, --repair deletes it.
    let src = data(tmp.path(), "c", 100, 1, 3, Variant::Good);
    let mut o = opts(&src);
    o.version = Some(v("sealed"));
    publish(&ds, &ctx(), o).await.unwrap();
    let stray = ds
        .layout
        .resolve("versions/sealed/data/part-9.parquet")
        .unwrap();
    ds.store.create(&stray, "leftover".into()).await.unwrap();
    let report = lastgood::ops::doctor::doctor(&ds, false).await.unwrap();
    assert!(!report.ok);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.kind == "stray" && p.subject == "versions/sealed/data/part-9.parquet"),
        "{:?}",
        report.problems
    );
    let repaired = lastgood::ops::doctor::doctor(&ds, true).await.unwrap();
    assert!(repaired.ok, "{:?}", repaired.problems);
    assert!(!ds.store.exists(&stray).await.unwrap());
    assert!(lastgood::ops::doctor::doctor(&ds, false).await.unwrap().ok);
}

/// Issue 12, defects 18, 3 and 9: gc keeps a reverted version (incident evidence) until released
/// with `--include-reverted`, and pinned ones forever; once collected, the reverted *content*
/// stays refused under any id until forced; a collected id is never sealed again.
pub async fn gc_keeps_reverted_evidence_and_collected_stays_collected(store: Store) {
    use lastgood::ops::{gc, pin};
    let t = tempfile::tempdir().unwrap();
    let ds = ds(store);
    for i in 1..=3 {
        let src = data(t.path(), &format!("d{i}"), 300, 1, i, Variant::Good);
        let o = PublishOptions {
            version: Some(v(&format!("v{i}"))),
            ..opts(&src)
        };
        assert!(publish(&ds, &ctx(), o).await.unwrap().promoted);
    }
    // Good-looking bytes that turn out wrong: promoted (generated id), then reverted.
    let wrong = data(t.path(), "wrong", 300, 1, 4, Variant::Good);
    let x = publish(&ds, &ctx(), opts(&wrong)).await.unwrap();
    assert!(x.promoted);
    revert::revert(&ds, &ctx(), None, "wrong scores", false)
        .await
        .unwrap();
    pin::pin(&ds, &ctx(), &v("v1"), Some("audit"))
        .await
        .unwrap();
    let gc_opts = |include_reverted| gc::GcOptions {
        keep: 1,
        grace: chrono::Duration::zero(),
        include_reverted,
        ..Default::default()
    };
    let out = gc::gc(&ds, &ctx(), &gc_opts(false)).await.unwrap();
    assert!(out.deleted.is_empty(), "{:?}", out.deleted);
    let why = |v: &str| {
        out.kept
            .iter()
            .find(|k| k.version == v)
            .map(|k| k.why.clone())
            .unwrap_or_default()
    };
    assert_eq!(why(&x.version), ["reverted"]);
    assert_eq!(why("v1"), ["pinned"]);

    let out = gc::gc(&ds, &ctx(), &gc_opts(true)).await.unwrap();
    let gone: Vec<&str> = out.deleted.iter().map(|d| d.version.as_str()).collect();
    assert_eq!(gone, [x.version.as_str()], "pinned v1 stays even so");
    assert!(ds.sealed(&v("v1")).await.unwrap().is_some());

    // The same bytes again, under a generated or a chosen id: refused (4), nothing moves.
    for id in [None, Some(v("again"))] {
        let o = PublishOptions {
            version: id.clone(),
            ..opts(&wrong)
        };
        let err = publish(&ds, &ctx(), o).await.unwrap_err();
        assert_eq!(err.exit_code(), 4, "{id:?}: {err}");
        assert!(err.to_string().contains("reverted"), "{err}");
        assert_eq!(status::show(&ds).await.unwrap().version.unwrap(), "v3");
    }
    // Forced with a reason: a new version (never the collected id), marked forced.
    let o = PublishOptions {
        force: true,
        reason: Some("root cause fixed upstream".into()),
        ..opts(&wrong)
    };
    let forced = publish(&ds, &ctx(), o).await.unwrap();
    assert!(forced.promoted);
    assert_ne!(forced.version, x.version);
    let h = status::history(&ds, Some(1)).await.unwrap();
    assert!(h[0].forced, "{:?}", h[0]);

    // A collected id is never sealed again, whatever the content.
    let other = data(t.path(), "other", 300, 1, 9, Variant::Good);
    let o = PublishOptions {
        version: Some(v(&x.version)),
        ..opts(&other)
    };
    let err = publish(&ds, &ctx(), o).await.unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err}");
    assert!(err.to_string().contains("collected"), "{err}");
    assert!(ds.sealed(&v(&x.version)).await.unwrap().is_none());
    let doctor = lastgood::ops::doctor::doctor(&ds, false).await.unwrap();
    assert!(doctor.ok, "{:?}", doctor.problems);
}

/// Issue 12, defect 13: gc ages versions by the store's timestamps. A publisher whose clock is two
/// hours behind seals a version seconds before a default gc: it is in its grace period, also for a
/// gc whose own clock is two hours ahead.
pub async fn gc_ages_versions_by_the_store_clock(store: Store) {
    use lastgood::ops::gc;
    let t = tempfile::tempdir().unwrap();
    let ds = ds(store);
    let behind = ctx().with_clock(|| chrono::Utc::now() - chrono::Duration::hours(2));
    for i in 1..=2 {
        let src = data(t.path(), &format!("d{i}"), 300, 1, i, Variant::Good);
        let o = PublishOptions {
            version: Some(v(&format!("v{i}"))),
            no_promote: i == 2,
            ..opts(&src)
        };
        publish(&ds, &behind, o).await.unwrap();
    }
    // Nor does gc's own clock: a gc machine two hours ahead measures on the store's clock.
    let ahead = ctx().with_clock(|| chrono::Utc::now() + chrono::Duration::hours(2));
    for gc_ctx in [ctx(), ahead] {
        let out = gc::gc(&ds, &gc_ctx, &gc::GcOptions::default())
            .await
            .unwrap();
        assert!(out.deleted.is_empty(), "{:?}", out.deleted);
        let kept = out.kept.iter().find(|k| k.version == "v2").unwrap();
        assert_eq!(kept.why, ["in-grace"]);
        assert!(ds.sealed(&v("v2")).await.unwrap().is_some());
    }
}

/// Issue 12, defects 5 and 7: gc cut at every write on a partitioned dataset never leaves a sealed
/// version without its files, and no move (`pointer set`, `revert --to`, a re-publish led by the
/// content marker) lands on a version the gc entry collects, even while it is still sealed.
pub async fn interrupted_gc_never_leaves_a_sealed_version_without_files(store: Store) {
    use lastgood::ops::gc;
    use lastgood::partition::Partitioning;
    let t = tempfile::tempdir().unwrap();
    let partitioning = Partitioning {
        keys: vec!["date".into()],
        types: Default::default(),
        compare: Default::default(),
    };
    let night = |src: &std::path::Path, date: &str| PublishOptions {
        partition: vec![("date".into(), date.into())],
        partitioning: Some(partitioning.clone()),
        ..opts(src)
    };
    let srcs: Vec<_> = (1..=5)
        .map(|i| data(t.path(), &format!("n{i}"), 200, 1, i, Variant::Good))
        .collect();
    for cut in 0u64.. {
        let good = Dataset::new(store.clone(), DatasetName::new(format!("gc{cut}")).unwrap());
        // n0: date=1. n1: date=2, carrying n0's date=1. n2: date=1 again (n0's file is now only n0's
        // and n1's). n3: date=3. gc --keep 1 collects n0 and n1; n1 lists a file in n0's folder.
        for (i, d) in [(0usize, "1"), (1, "2"), (2, "1"), (3, "3")] {
            let o = PublishOptions {
                version: Some(v(&format!("n{i}"))),
                ..night(&srcs[i], d)
            };
            assert!(publish(&good, &ctx(), o).await.unwrap().promoted);
        }
        let faulty = Arc::new(FaultyStore::new(
            store.object_store(),
            Fault::FailAfter(cut),
        ));
        let cut_ds = Dataset::new(
            Store::with_store(faulty, store.base().clone(), store.store_url().clone()),
            good.name().clone(),
        );
        let gc_opts = gc::GcOptions {
            keep: 1,
            grace: chrono::Duration::zero(),
            ..Default::default()
        };
        let res = gc::gc(&cut_ds, &ctx(), &gc_opts).await;
        // Every sealed version has every file it lists.
        for (id, s) in good.versions().await.unwrap() {
            let Some(s) = s else { continue };
            for f in &s.manifest.files {
                let p = good.layout.resolve(&f.path).unwrap();
                assert!(
                    good.store.exists(&p).await.unwrap(),
                    "cut {cut}: sealed {id} lists {} which is gone",
                    f.path
                );
            }
        }
        let recorded = status::history(&good, Some(1)).await.unwrap()[0]
            .action
            .as_str()
            == "gc";
        if recorded {
            // The gc entry collects n0 and n1: no move lands on them, sealed or not.
            for doomed in ["n0", "n1"] {
                let err = set::set(&good, &ctx(), &v(doomed), "back", true)
                    .await
                    .unwrap_err();
                assert!(matches!(err.exit_code(), 2 | 4), "cut {cut}: {err}");
                let err = revert::revert(&good, &ctx(), Some(&v(doomed)), "back", true)
                    .await
                    .unwrap_err();
                assert!(matches!(err.exit_code(), 2 | 4), "cut {cut}: {err}");
            }
            let err = lastgood::ops::pin::pin(&good, &ctx(), &v("n0"), Some("evidence")).await;
            if good.sealed(&v("n0")).await.unwrap().is_some() {
                let err = err.unwrap_err();
                assert_eq!(
                    err.exit_code(),
                    4,
                    "cut {cut}: a pin of a collected version: {err}"
                );
            }
            if good.sealed(&v("n1")).await.unwrap().is_some() {
                let rows = versions::list(&good).await.unwrap();
                let n1 = rows.iter().find(|r| r.version == "n1").unwrap();
                assert!(
                    n1.status.contains(&"collected".to_string()),
                    "cut {cut}: {:?}",
                    n1.status
                );
            }
            // Defect 6: a partition revert taking night 1 from n0, whose folder gc is deleting,
            // is refused and seals nothing that lists n0's files.
            let sel: lastgood::partition::Values = [("date".to_string(), "1".to_string())].into();
            let before = good.versions().await.unwrap().len();
            let n0_sealed = good.sealed(&v("n0")).await.unwrap().is_some();
            let err = revert::revert_partitions(&good, &ctx(), &[sel], Some(&v("n0")), "back")
                .await
                .unwrap_err();
            assert!(matches!(err.exit_code(), 2 | 4), "cut {cut}: {err}");
            if n0_sealed {
                assert!(
                    err.to_string().contains("collected by gc"),
                    "cut {cut}: {err}"
                );
            }
            assert_eq!(good.versions().await.unwrap().len(), before, "cut {cut}");
            // Night 1's files again, alone (n0's content exactly): the content marker must not
            // lead the publish to n0.
            let again = publish(&good, &ctx(), {
                let mut o = night(&srcs[0], "1");
                o.full = true;
                o
            })
            .await
            .unwrap();
            assert_ne!(again.version, "n0", "cut {cut}");
            assert!(again.created, "cut {cut}");
        }
        // A second gc finishes the job; doctor is healthy.
        gc::gc(&good, &ctx(), &gc_opts).await.unwrap();
        let doctor = lastgood::ops::doctor::doctor(&good, false).await.unwrap();
        assert!(
            doctor.problems.iter().all(|p| p.kind == "pointer_file"),
            "cut {cut}: {:?}",
            doctor.problems
        );
        if res.is_ok() {
            assert!(cut >= 3, "gc writes its entry, pointer file and deletions");
            break;
        }
    }
}

/// Issue 12, defect 16: a version gc collects while its publish is between sealing and judging is
/// a clear conflict (exit 5), not "gates failed" (3); the pointer stays, doctor is healthy.
pub async fn gc_during_publish_is_a_conflict(store: Store) {
    use lastgood::ops::gc;
    let t = tempfile::tempdir().unwrap();
    let good = ds(store.clone());
    for i in 1..=2 {
        let src = data(t.path(), &format!("d{i}"), 300, 1, i, Variant::Good);
        let o = PublishOptions {
            version: Some(v(&format!("v{i}"))),
            ..opts(&src)
        };
        assert!(publish(&good, &ctx(), o).await.unwrap().promoted);
    }
    // The content marker: written right after the seal, before the gates run.
    let (pausing, hold) =
        crate::util::PauseStore::wrap(&store, crate::util::Pause::AfterWrite("/content/"));
    let paused_ds = Dataset::new(pausing, good.name().clone());
    let src = data(t.path(), "d3", 300, 1, 3, Variant::Good);
    let o = PublishOptions {
        version: Some(v("v3")),
        ..opts(&src)
    };
    let publisher = ctx();
    let publishing = publish(&paused_ds, &publisher, o);
    let collecting = async {
        hold.reached().await;
        let gc_opts = gc::GcOptions {
            keep: 1,
            grace: chrono::Duration::zero(),
            ..Default::default()
        };
        let out = gc::gc(&good, &ctx(), &gc_opts).await.unwrap();
        hold.go();
        out
    };
    let (published, collected) = futures::future::join(publishing, collecting).await;
    assert!(
        collected.deleted.iter().any(|d| d.version == "v3"),
        "{:?}",
        collected.deleted
    );
    let err = published.unwrap_err();
    assert_eq!(err.exit_code(), 5, "{err}");
    assert!(err.to_string().contains("v3"), "{err}");
    assert_eq!(status::show(&good).await.unwrap().version.unwrap(), "v2");
    let doctor = lastgood::ops::doctor::doctor(&good, false).await.unwrap();
    assert!(doctor.ok, "{:?}", doctor.problems);
}

/// Issue 12: gc running at once with partitioned publishes, `pointer set`, pin and unpin and
/// partition reverts, round after round (interleaved at every await in one task). Every command
/// ends in success or a documented refusal (2, 3 as a verdict, 4, 5); after each round the pointer
/// names a sealed version whose every file is there, and every move in the log landed on a version
/// no earlier gc entry had collected.
pub async fn gc_races_publish_set_pin_and_partition_revert(store: Store) {
    use futures::FutureExt;
    use lastgood::ops::{gc, pin};
    use lastgood::partition::Partitioning;
    use std::future::Future;
    use std::pin::Pin;
    type Run<'a> = Pin<Box<dyn Future<Output = (&'static str, Result<(), lastgood::Error>)> + 'a>>;
    let t = tempfile::tempdir().unwrap();
    let ds = ds(store);
    let partitioning = Partitioning {
        keys: vec!["date".into()],
        types: Default::default(),
        compare: Default::default(),
    };
    let night = |src: &std::path::Path, date: &str| PublishOptions {
        partition: vec![("date".into(), date.into())],
        partitioning: Some(partitioning.clone()),
        ..opts(src)
    };
    for (i, d) in [(0u64, "1"), (1, "2"), (2, "3")] {
        let src = data(t.path(), &format!("s{i}"), 200, 1, i + 1, Variant::Good);
        let o = PublishOptions {
            version: Some(v(&format!("s{i}"))),
            ..night(&src, d)
        };
        assert!(publish(&ds, &ctx(), o).await.unwrap().promoted);
    }
    let nights: Vec<_> = (0..12u64)
        .map(|i| data(t.path(), &format!("r{i}"), 200, 1, 10 + i, Variant::Good))
        .collect();
    let gc_opts = gc::GcOptions {
        keep: 1,
        grace: chrono::Duration::zero(),
        ..Default::default()
    };
    let mut outcomes: std::collections::BTreeMap<(&str, bool), usize> = Default::default();
    for round in 0..12usize {
        let ids: Vec<VersionId> = ds
            .versions()
            .await
            .unwrap()
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        let old = ids.first().cloned().unwrap_or_else(|| v("s0"));
        let date = ["1", "2", "3"][round % 3];
        let sel: lastgood::partition::Values = [("date".to_string(), "1".to_string())].into();
        let c = ctx();
        let publish_opts = night(&nights[round], date);
        // The others start a little after gc, so gc's entry lands in the middle of them.
        // Delays from none to longer than gc's plan takes on the slowest store here (the GCS
        // emulator behind its proxy), so some rounds let gc finish before the others start.
        let step = [0, 3, 10, 30, 80, 200, 600, 2000][round % 8];
        let later = move |n: u64| tokio::time::sleep(std::time::Duration::from_millis(n * step));
        let runs: Vec<Run> = vec![
            Box::pin(
                later(1)
                    .then(|_| publish(&ds, &c, publish_opts))
                    .map(|r| ("publish", r.map(|_| ()))),
            ),
            Box::pin(
                later(2)
                    .then(|_| set::set(&ds, &c, &old, "race", true))
                    .map(|r| ("set", r.map(|_| ()))),
            ),
            Box::pin(
                later(3)
                    .then(|_| pin::pin(&ds, &c, &old, Some("race")))
                    .map(|r| ("pin", r.map(|_| ()))),
            ),
            Box::pin(
                later(1)
                    .then(|_| {
                        revert::revert_partitions(
                            &ds,
                            &c,
                            std::slice::from_ref(&sel),
                            Some(&old),
                            "race",
                        )
                    })
                    .map(|r| ("partition revert", r.map(|_| ()))),
            ),
            Box::pin(gc::gc(&ds, &c, &gc_opts).map(|r| ("gc", r.map(|_| ())))),
        ];
        for (what, res) in futures::future::join_all(runs).await {
            if let Err(e) = &res {
                assert!(
                    matches!(e.exit_code(), 2 | 4 | 5),
                    "round {round}: {what}: {e}"
                );
            }
            *outcomes.entry((what, res.is_ok())).or_insert(0) += 1;
        }
        pin::unpin(&ds, &ctx(), &old, None).await.ok();
        // The pointer names a sealed version with every file.
        let (r, _) = resolve(&ds, &At::Current).await.unwrap();
        let current = ds.require(&v(&r.version)).await.unwrap();
        for f in &current.manifest.files {
            let p = ds.layout.resolve(&f.path).unwrap();
            assert!(
                ds.store.exists(&p).await.unwrap(),
                "round {round}: current {} lists {} which is gone",
                r.version,
                f.path
            );
        }
        // No move landed on a version an earlier gc entry collected.
        let mut h = status::history(&ds, None).await.unwrap();
        h.reverse();
        let mut gone: std::collections::BTreeSet<VersionId> = Default::default();
        for e in &h {
            if e.action.moves() {
                let to = e.to.clone().unwrap();
                assert!(
                    !gone.contains(&to),
                    "round {round}: entry {} moved to collected {to}",
                    e.seq
                );
            }
            gone.extend(e.deleted());
        }
    }
    eprintln!("{outcomes:?}");
    assert!(
        outcomes.get(&("gc", true)).is_some_and(|n| *n > 0),
        "{outcomes:?}"
    );
    let doctor = lastgood::ops::doctor::doctor(&ds, false).await.unwrap();
    assert!(
        doctor.problems.iter().all(|p| p.kind == "pointer_file"),
        "{:?}",
        doctor.problems
    );
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { let t = tempfile::tempdir().unwrap(); super::$name(super::store(&super::Kind::Memory, t.path())).await } )*
        }
        mod local {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { let t = tempfile::tempdir().unwrap(); super::$name(super::store(&super::Kind::Local, t.path())).await } )*
        }
        /// The SeaweedFS S3 server that tests/run.sh starts.
        mod s3 {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if let Some(root) = crate::util::s3_root(stringify!($name)) {
                       super::$name(lastgood::Store::open(&root).unwrap()).await
                   }
               } )*
        }
        /// Azurite, the Azure Blob emulator that tests/run.sh starts.
        mod azure {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if let Some(root) = crate::util::cloud_root(crate::util::Cloud::Azure, stringify!($name)) {
                       super::$name(lastgood::Store::open(&root).unwrap()).await
                   }
               } )*
        }
        /// fake-gcs-server behind the write-mapping proxy that tests/run.sh starts (GCS semantics,
        /// not GCS's XML-API requests: see tests/gcs/proxy.py).
        mod gcs {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if let Some(root) = crate::util::cloud_root(crate::util::Cloud::Gcs, stringify!($name)) {
                       super::$name(lastgood::Store::open(&root).unwrap()).await
                   }
               } )*
        }
    };
}

conformance!(
    publish_promote_revert_history,
    idempotent_republish,
    refused_overwrite_keeps_sealed_bytes,
    interrupted_publish_is_never_pointed_to,
    concurrent_moves,
    refusals,
    stale_pointer_file_and_tampered_manifest,
    gc_keeps_what_is_protected,
    doctor_repair_never_rewinds_the_pointer_file,
    log_tampering_is_never_adopted,
    same_version_race_leaves_no_stray,
    gc_keeps_reverted_evidence_and_collected_stays_collected,
    gc_ages_versions_by_the_store_clock,
    interrupted_gc_never_leaves_a_sealed_version_without_files,
    gc_during_publish_is_a_conflict,
    gc_races_publish_set_pin_and_partition_revert,
);
