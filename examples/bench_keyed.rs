//! The keyed comparison engine on two folders of Parquet files, timed: the work
//! `shared/bench/keyed.py` has DuckDB, polars and DataFusion do, printed as one JSON line with the
//! same fields (and Spearman's correlation, which the peers do not compute).
//!
//! usage: bench_keyed BASE_DIR CAND_DIR [--key K] [--value V] [--tol T]
//! Run by examples/bench_keyed.sh, which measures peak RSS and prints the table.

use std::path::{Path, PathBuf};
use std::time::Instant;

use datafusion::prelude::{ParquetReadOptions, SessionContext};
use lastgood::gates::keyed::SqlTable;
use lastgood::stats::keyed::{ColumnChange, Request, Tolerance, compare_tables};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "parquet") {
            out.push(p);
        }
    }
    Ok(())
}

/// Rows of a folder from the Parquet footers (to plan the passes, as a manifest would tell).
fn rows(dir: &Path) -> anyhow::Result<u64> {
    use parquet::file::reader::FileReader;
    let mut fs = Vec::new();
    files(dir, &mut fs)?;
    let mut n = 0;
    for f in fs {
        let r = parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&f)?)?;
        n += r.metadata().file_metadata().num_rows() as u64;
    }
    Ok(n)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str, default: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let (Some(base), Some(cand)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: bench_keyed BASE_DIR CAND_DIR [--key K] [--value V] [--tol T]");
    };
    let (key, value) = (opt("--key", "customer_id"), opt("--value", "score"));
    let tol: f64 = opt("--tol", "0.2").parse()?;
    let started = Instant::now();
    let ctx = SessionContext::new();
    ctx.register_parquet("baseline", base, ParquetReadOptions::default())
        .await?;
    ctx.register_parquet("candidate", cand, ParquetReadOptions::default())
        .await?;
    let (key, columns) = (vec![key], vec![value]);
    let schema_c = ctx.table("candidate").await?.schema().inner().clone();
    let schema_b = ctx.table("baseline").await?.schema().inner().clone();
    let c = SqlTable::new(&ctx, "candidate", schema_c, rows(Path::new(cand))?);
    let b = SqlTable::new(&ctx, "baseline", schema_b, rows(Path::new(base))?);
    let r = compare_tables(&Request {
        candidate: &c,
        baseline: Some(&b),
        key: &key,
        columns: &columns,
        tolerance: Tolerance {
            absolute: tol,
            relative: 0.0,
        },
        memory_limit: lastgood::stats::bounded::memory_limit()?,
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let k = &r.keys;
    let kb = k.baseline.clone().unwrap_or_default();
    let Some(ColumnChange::Numeric(v)) = r.columns.first() else {
        anyhow::bail!("{} is not numeric", columns[0]);
    };
    println!(
        "{}",
        serde_json::json!({
            "peer": "lastgood",
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "only_base": k.only_baseline,
            "only_cand": k.only_candidate,
            "both": k.compared,
            "dup_base": kb.duplicate_rows + kb.null_keys,
            "dup_cand": k.candidate.duplicate_rows + k.candidate.null_keys,
            "moved": v.moved_share,
            "same": v.unchanged_share,
            "corr": v.pearson,
            "spearman": v.spearman,
            "mean_abs_change": v.mean_abs_change,
            "passes": r.passes,
        })
    );
    Ok(())
}
