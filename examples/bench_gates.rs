//! The request counts of examples/bench.sh: pointer operations against the length of the history.
//! The store counts requests, so a count does not depend on how the binary was optimised (the
//! timings in bench.sh are of the `lastgood` binary itself).
//!
//! ```text
//! bench_gates pointer ROOT N   grow a history to N entries; count the requests that
//!                              pointer show, resolve and revert make at 10 and at N
//! ```

use std::sync::Arc;

use lastgood::faults::{Fault, FaultyStore};
use lastgood::gates::Validations;
use lastgood::ops::publish::{PublishOptions, publish};
use lastgood::ops::resolve::{At, resolve};
use lastgood::ops::validate::Rules;
use lastgood::ops::{revert, set, status};
use lastgood::{Context, Dataset, DatasetName, Store, VersionId};
use serde_json::json;

fn no_gates() -> Rules {
    let mut v = Validations::defaults();
    v.gates.clear();
    Rules {
        validations: v,
        contract: None,
    }
}

async fn publish_version(
    ds: &Dataset,
    src: &str,
    id: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let opts = PublishOptions {
        sources: vec![src.to_string()],
        version: Some(VersionId::new(id)?),
        rules: no_gates(),
        ..Default::default()
    };
    publish(ds, &Context::new("bench"), opts).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .ok_or("missing argument (see the doc comment)")
    };
    match arg(0)?.as_str() {
        "pointer" => {
            let root = arg(1)?;
            let n: u64 = arg(2)?.parse()?;
            let plain = Store::open(&root)?;
            let ds = Dataset::new(plain.clone(), DatasetName::new("ptr")?);
            let src =
                std::env::temp_dir().join(format!("lastgood-bench-ptr-{}", std::process::id()));
            for (i, id) in ["a", "b"].iter().enumerate() {
                lastgood::synth::write_dir(
                    &src.join(id),
                    1000,
                    1,
                    i as u64,
                    lastgood::synth::Variant::Good,
                )?;
                publish_version(&ds, &src.join(id).display().to_string(), id).await?;
            }
            let _ = std::fs::remove_dir_all(&src);
            let counting = Arc::new(FaultyStore::new(plain.object_store(), Fault::Never));
            let counted = Dataset::new(
                Store::with_store(
                    counting.clone(),
                    plain.base().clone(),
                    plain.store_url().clone(),
                ),
                DatasetName::new("ptr")?,
            );
            let ctx = Context::new("bench");
            let mut rows = Vec::new();
            let now = status::show(&ds).await?;
            let (mut seq, mut at) = (now.seq, now.version.unwrap_or_default());
            for target in [10, n] {
                while seq < target {
                    let to = if at == "a" { "b" } else { "a" };
                    let out =
                        set::set(&ds, &ctx, &VersionId::new(to)?, "grow the history", true).await?;
                    (seq, at) = (out.seq, to.to_string());
                }
                let mut measure = |name: &str, before: u64| {
                    rows.push(json!({"history": seq, "op": name, "requests": counting.requests() - before}));
                };
                let b = counting.requests();
                status::show(&counted).await?;
                measure("pointer show", b);
                let b = counting.requests();
                resolve(&counted, &At::Current).await?;
                measure("resolve", b);
                let b = counting.requests();
                revert::revert(&counted, &ctx, None, "bench", false).await?;
                measure("pointer revert", b);
                // Undo, so the next round starts from a plain history.
                let cur = status::show(&ds).await?;
                let other = cur.reverted.first().cloned().unwrap_or_else(|| "a".into());
                let out = set::set(&ds, &ctx, &VersionId::new(&other)?, "undo", true).await?;
                (seq, at) = (out.seq, other);
            }
            println!("{}", json!({"phase": "pointer", "requests": rows}));
        }
        other => return Err(format!("unknown phase {other}").into()),
    }
    Ok(())
}
