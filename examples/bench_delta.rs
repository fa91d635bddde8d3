//! Builds the datasets the Delta open-time benchmark reads (`examples/bench_delta.sh`): for each
//! N given, a dataset `moves<N>` under ROOT whose log has N entries (two publishes, then
//! `pointer set` back and forth), so its Delta projection has N commits and N / 100 checkpoints.
//!
//! cargo run --example bench_delta -- ROOT 10 1000 10000

use lastgood::ops::publish::{PublishOptions, publish};
use lastgood::synth::{Variant, write_dir};
use lastgood::{Context, Dataset, DatasetName, Store, VersionId};

#[tokio::main]
async fn main() -> lastgood::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((root, counts)) = args.split_first() else {
        eprintln!("usage: bench_delta ROOT N...");
        std::process::exit(2);
    };
    let scratch = tempfile::tempdir().map_err(|e| lastgood::Error::io("tempdir", e))?;
    let ctx = Context::new("bench");
    for n in counts {
        let n: u64 = n.parse().map_err(lastgood::Error::input)?;
        let ds = Dataset::new(Store::open(root)?, DatasetName::new(format!("moves{n}"))?);
        let head = lastgood::pointer::read_head(&ds).await?;
        if head.seq >= n {
            println!("moves{n}: already {} entries", head.seq);
            continue;
        }
        for (v, seed) in [("a", 1), ("b", 2)] {
            let dir = scratch.path().join(format!("{n}-{v}"));
            write_dir(&dir, 1000, 1, seed, Variant::Good)?;
            publish(
                &ds,
                &ctx,
                PublishOptions {
                    sources: vec![dir.display().to_string()],
                    version: Some(VersionId::new(v)?),
                    ..Default::default()
                },
            )
            .await?;
        }
        let t = std::time::Instant::now();
        let mut seq = lastgood::pointer::read_head(&ds).await?.seq;
        while seq < n {
            let to = VersionId::new(if seq % 2 == 0 { "a" } else { "b" })?;
            let out = lastgood::ops::set::set(&ds, &ctx, &to, "bench", true).await?;
            seq = out.seq;
        }
        println!(
            "moves{n}: {seq} entries in {:.1}s",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
