//! `lastgood init`: a commented starter project for one dataset, and `lastgood schema infer`: a
//! draft contract from sample files.
//!
//! 1. `lastgood.toml`: written, or the dataset's section added to an existing one.
//! 2. Given `--sample`: the sample is profiled ([`crate::profile`]) and `validations/<ds>.toml` holds
//!    the gates its columns call for (keys, scores, categories, bounds, timestamps), each commented
//!    with why; the contract `schemas/<ds>.contract.json` is drafted from it. Without a sample,
//!    the default gates, spelled out and commented.
//! 3. It never overwrites a file: what exists is kept and reported as such.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gates::Contract;
use crate::names::DatasetName;

#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    pub dataset: String,
    /// Where the project goes (the folder of lastgood.toml).
    pub dir: PathBuf,
    /// The root written into a new lastgood.toml.
    pub root: String,
    /// Sample Parquet files or folders to draft the contract from.
    pub sample: Vec<String>,
    /// Partition keys, for a dataset published a partition at a time.
    pub partition_by: Vec<String>,
    /// No Delta Lake projection for the dataset (`delta = false` in its section). Otherwise a
    /// sample with a type Delta cannot represent is refused.
    pub no_delta: bool,
}

/// What `init` wrote and what it left alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitOutcome {
    pub dataset: String,
    pub written: Vec<String>,
    /// Files that existed already (kept as they are).
    pub kept: Vec<String>,
    /// The type of each partition key, inferred from the sample's `key=value` folders (YYYY-MM-DD
    /// → date, digits → int, else string); keys without sample values are left out.
    #[serde(default)]
    pub partition_types: std::collections::BTreeMap<String, crate::partition::KeyType>,
    pub next: Vec<String>,
    /// What `--sample` showed, column by column: the roles the gates were chosen from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::profile::Profile>,
}

pub async fn init(opts: &InitOptions) -> Result<InitOutcome> {
    let name = DatasetName::new(&opts.dataset)?;
    for k in &opts.partition_by {
        crate::names::check_partition(k, "x")?;
    }
    let mut out = InitOutcome {
        dataset: name.to_string(),
        written: Vec::new(),
        kept: Vec::new(),
        partition_types: Default::default(),
        next: Vec::new(),
        profile: None,
    };
    let config = opts.dir.join("lastgood.toml");
    // The projection is on unless turned off here or in the dataset's existing section.
    let no_delta = opts.no_delta
        || (config.exists()
            && crate::config::Config::load(&config, true)?
                .dataset(name.as_str())
                .delta
                == Some(false));
    let contract = if opts.sample.is_empty() {
        None
    } else {
        let sources = crate::source::collect(&opts.sample, &[]).await?;
        if !no_delta {
            crate::delta::check_schema(&sources.schema).map_err(|why| {
                Error::Input(format!(
                    "the sample of {name} cannot be read as a Delta table: {why} (or run init with --no-delta: no Delta Lake projection for {name})"
                ))
            })?;
        }
        out.partition_types = partition_types(&opts.partition_by, &opts.sample, &sources);
        let files: Vec<PathBuf> = sources.files.iter().map(|f| f.local.clone()).collect();
        out.profile = Some(crate::profile::profile(&files)?);
        Some(contract_of(&sources, Some(name.to_string())))
    };

    let contract_path = opts
        .dir
        .join("schemas")
        .join(format!("{name}.contract.json"));
    let has_contract = contract.is_some() || contract_path.exists();
    let section = dataset_section(
        &name,
        &opts.partition_by,
        &out.partition_types,
        has_contract,
        opts.no_delta,
    );
    if config.exists() {
        let text = std::fs::read_to_string(&config)
            .map_err(|e| Error::io(format!("reading {}", config.display()), e))?;
        let parsed = crate::config::Config::parse(&text, &config)?;
        if parsed.datasets.contains_key(name.as_str()) {
            out.kept.push(shown(&config));
        } else {
            let sep = if text.ends_with('\n') { "\n" } else { "\n\n" };
            write(&config, &format!("{text}{sep}{section}"), true)?;
            out.written
                .push(format!("{} (added [datasets.{name}])", shown(&config)));
        }
    } else {
        write(
            &config,
            &format!("{}{section}", config_head(&opts.root)),
            false,
        )?;
        out.written.push(shown(&config));
    }

    let validations = opts.dir.join("validations").join(format!("{name}.toml"));
    match out.profile.clone() {
        Some(p) => {
            let text = crate::profile::validations_toml(name.as_str(), &p);
            if place(&mut out, &validations, &text)?
                && let Some(w) = out.written.last_mut()
            {
                w.push_str(&format!(" ({})", p.summary()));
            }
        }
        None => {
            place(&mut out, &validations, &validations_text(&name))?;
        }
    }
    let contract_path = opts
        .dir
        .join("schemas")
        .join(format!("{name}.contract.json"));
    match &contract {
        None if contract_path.exists() => out.kept.push(shown(&contract_path)),
        Some(c) => {
            let mut text = serde_json::to_string_pretty(c).expect("contract serializes");
            text.push('\n');
            place(&mut out, &contract_path, &text)?;
        }
        None => out.next.push(format!(
            "lastgood schema infer SAMPLE.parquet --dataset {name} > {}",
            shown(&contract_path)
        )),
    }
    out.next.push(format!(
        "lastgood publish {name} OUTPUT_DIR{}",
        if opts.partition_by.is_empty() {
            String::new()
        } else {
            format!(
                " --partition {}",
                opts.partition_by
                    .iter()
                    .map(|k| format!("{k}=…"))
                    .collect::<Vec<_>>()
                    .join(" --partition ")
            )
        }
    ));
    out.next.push(format!("lastgood pointer show {name}"));
    Ok(out)
}

/// A draft contract from sample files: every column with its type; nullable unless the samples'
/// footers show no nulls in it.
pub async fn infer(sample: &[String], dataset: Option<String>) -> Result<Contract> {
    let sources = crate::source::collect(sample, &[]).await?;
    Ok(contract_of(&sources, dataset))
}

/// Each key's type from the values its folders hold in the sample: below the sample folders
/// (`out/date=2026-11-21/part-0.parquet`) or in the sample paths themselves (`--sample
/// out/date=2026-11-21/`).
fn partition_types(
    keys: &[String],
    sample: &[String],
    sources: &crate::source::Sources,
) -> std::collections::BTreeMap<String, crate::partition::KeyType> {
    keys.iter()
        .filter_map(|k| {
            let below = sources.files.iter().filter_map(|f| f.partition.get(k));
            let named = sample.iter().flat_map(|s| {
                s.split('/')
                    .filter_map(|seg| seg.split_once('=').filter(|(sk, _)| sk == k))
                    .map(|(_, v)| v)
            });
            let values: Vec<&str> = below.map(String::as_str).chain(named).collect();
            crate::partition::KeyType::infer(values).map(|t| (k.clone(), t))
        })
        .collect()
}

fn contract_of(sources: &crate::source::Sources, dataset: Option<String>) -> Contract {
    let mut c = Contract::from_schema(dataset, &sources.schema);
    for col in &mut c.columns {
        let nulls: Option<u64> = sources
            .files
            .iter()
            .map(|f| f.null_counts.get(&col.name).copied())
            .sum();
        col.nullable = nulls != Some(0);
    }
    c
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

/// Writes a new file; returns whether it did (an existing one is kept).
fn place(out: &mut InitOutcome, path: &Path, text: &str) -> Result<bool> {
    if path.exists() {
        out.kept.push(shown(path));
        return Ok(false);
    }
    write(path, text, false)?;
    out.written.push(shown(path));
    Ok(true)
}

/// Writes a file; a new one is created exclusively, so a file that appears meanwhile is kept.
fn write(path: &Path, text: &str, replace: bool) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    let res = if replace {
        std::fs::write(path, text)
    } else {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
    };
    res.map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

fn config_head(root: &str) -> String {
    format!(
        r#"# lastgood project. Every command reads ./lastgood.toml (or --config FILE).
#
# root: where datasets live. A folder (relative to this file), file://, s3://bucket/prefix,
# gs://bucket/prefix or az://container/prefix. S3 takes the usual AWS_* variables.
root = "{}"

# actor: who is recorded in the history for commands run with this file [default: $USER@host].
# actor = "nightly-scorer"

"#,
        root.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

fn dataset_section(
    name: &DatasetName,
    partition_by: &[String],
    types: &std::collections::BTreeMap<String, crate::partition::KeyType>,
    has_contract: bool,
    no_delta: bool,
) -> String {
    let contract = if has_contract {
        format!("contract = \"schemas/{name}.contract.json\"\n")
    } else {
        format!(
            "# contract = \"schemas/{name}.contract.json\"   # draft it: lastgood schema infer SAMPLE --dataset {name}\n"
        )
    };
    let delta = if no_delta {
        "delta = false              # no Delta Lake projection (_delta_log/); `lastgood delta build` adds one later\n"
    } else {
        "# delta = false            # the dataset is also a Delta table (_delta_log/) Spark, polars, DuckDB… read\n"
    };
    let mut s = format!(
        r#"[datasets.{name}]
# The gates every publish must pass, and the contract of columns every version must have.
validations = "validations/{name}.toml"
{contract}{delta}"#
    );
    if partition_by.is_empty() {
        s.push_str(
            r#"# Published one partition a night? Declare the keys, and each publish adds or replaces one:
# partition_by = ["date"]
# partition_types = { date = "date" }   # string (default), date, int
# compare = "partition"                 # gates: like with like (default), or "dataset"
"#,
        );
    } else {
        let keys: Vec<String> = partition_by.iter().map(|k| format!("{k:?}")).collect();
        let typed: Vec<String> = partition_by
            .iter()
            .map(|k| {
                let t = types.get(k).copied().unwrap_or_default();
                format!("{k} = {:?}", t.as_str())
            })
            .collect();
        let how = if partition_by.iter().all(|k| types.contains_key(k)) {
            "inferred from the sample's folders; string, date (YYYY-MM-DD) or int"
        } else {
            "string, date (YYYY-MM-DD) or int: check (no sample folders to infer from)"
        };
        s.push_str(&format!(
            r#"# Each publish adds or replaces one partition; the others are carried forward by reference.
partition_by = [{}]
partition_types = {{ {} }}  # {how}
compare = "partition"                   # gates: like with like, or "dataset" for whole versions
"#,
            keys.join(", "),
            typed.join(", ")
        ));
    }
    s
}

fn validations_text(name: &DatasetName) -> String {
    format!(
        r#"# Gates for {name}. Each publish is judged against the last-known-good version (the pointer's
# target) before the pointer moves. severity = "fail" (the default) blocks promotion (exit 3);
# "warn" is only reported. Every result is stored beside the version: `lastgood report {name} V`.
# These are the defaults lastgood uses when a dataset has no file; edit freely.

[[gate]]
name = "schema"
kind = "schema"            # consumers of the baseline can read the candidate: additive changes only
# widening = true          # also allow int32->int64, float32->float64, wider decimals

[[gate]]
name = "null_rate"
kind = "null_rate"         # every column: the null rate may not rise by more than 5 points
max_increase_pp = 5.0
# columns = ["score"]      # only these columns
# max_rate = 0.0           # an absolute limit instead

[[gate]]
name = "ks"
kind = "ks"                # two-sample Kolmogorov-Smirnov per numeric column (ids excluded)
max_statistic = 0.1        # fails when D >= 0.1 ...
min_p_value = 0.001        # ... and p < 0.001 (at millions of rows p alone fires every night)
# columns = ["score"]

[[gate]]
name = "row_count"
kind = "row_count"         # rows within 0.5x..2x of the baseline's, and never empty
# min_ratio = 0.8
# max_ratio = 1.25

# More kinds:
# [[gate]]
# name = "segment_mix"
# kind = "distribution"    # shares of a categorical column
# column = "segment"
# max_change = 0.05
#
# [[gate]]
# name = "scores_are_probabilities"
# kind = "sql"             # DataFusion SQL over `candidate` and `baseline`, one value
# query = "SELECT min(score) >= 0 AND max(score) <= 1 FROM candidate"
# expect = true
"#
    )
}
