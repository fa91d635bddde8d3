//! The command line, defined once: help text, completions and the man page all come from here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The main help's footer: refs, then the exit codes.
pub const AFTER_HELP: &str = "\
Versions can be named by ref: an id or a unique prefix of one, current, lkg (last-known-good),
previous (before the current one), latest (newest sealed), @N (after history entry N).

Exit codes:
  0  ok
  1  unexpected failure (store, I/O)
  2  bad usage or bad input (a bad name or file, something not found, a store object that does not verify)
  3  gates failed; the pointer did not move
  4  refused by policy (a reverted version, nothing to revert to, a sealed id with other content)
  5  conflict: the pointer moved underneath and was left as it was; safe to retry";

#[derive(Debug, Parser)]
#[command(
    name = "lastgood",
    version,
    about = "Immutable, checked versions of batch prediction outputs behind one atomic read pointer",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Config file [default: ./lastgood.toml, if present]
    #[arg(long, global = true, env = "LASTGOOD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Root of the datasets: a folder, file://, s3://bucket/prefix, gs://…, az://… (overrides the config)
    #[arg(long, global = true, env = "LASTGOOD_ROOT", value_name = "URL")]
    pub root: Option<String>,
    /// Print machine-readable JSON on stdout (errors too, as {"error": …})
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Say more (on stderr)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No progress bars on stderr (they only show on a terminal, for steps over a second)
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Colour verdicts: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Who acts, recorded in history [default: $USER@host]
    #[arg(long, global = true, env = "LASTGOOD_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a project: a commented lastgood.toml, validations/DATASET.toml and (from --sample) the contract
    #[command(
        after_help = "Examples:\n  lastgood init churn_scores\n  lastgood init churn_scores --sample out/2026-11-21/ --root s3://ml-lake/predictions\n  lastgood init daily_scores --partition-by date\n\nNever overwrites a file: existing ones are kept and listed."
    )]
    Init {
        dataset: String,
        /// Draft the contract from these Parquet files or folders
        #[arg(long, value_name = "PATH")]
        sample: Vec<String>,
        /// Partition keys of a dataset published a partition at a time (repeatable)
        #[arg(long, value_name = "KEY")]
        partition_by: Vec<String>,
        /// The folder of the project
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// No Delta Lake projection for this dataset (writes `delta = false`); otherwise a sample
        /// with a type Delta cannot represent is refused
        #[arg(long)]
        no_delta: bool,
    },
    /// Write sample prediction outputs to try lastgood on: good nights, a drifted one, a null-ridden one
    #[command(
        after_help = "Example:\n  lastgood demo-data demo/ && lastgood publish churn_scores demo/mon\n\nWrites demo/mon, demo/tue (good nights), demo/wed-drift (scores shifted up: the ks gate fails) and demo/thu-nulls (spend_30d 30% null: the null_rate gate fails), each two Parquet files."
    )]
    DemoData {
        dir: PathBuf,
        /// Rows per night
        #[arg(long, default_value_t = 50_000)]
        rows: usize,
    },
    /// Contracts: draft one from sample files
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Seal Parquet files as a new immutable version, then promote it
    #[command(
        after_help = "Examples:\n  lastgood publish churn_scores out/2026-11-21/ --meta model=churn-v1.14 --message nightly\n  lastgood publish daily_scores out/part-0.parquet --partition date=2026-11-21\n\nExit codes: 0 promoted (or an idempotent re-run), 2 bad input, 3 gates failed (sealed, not promoted), 4 refused, 5 the pointer moved meanwhile (run again)"
    )]
    Publish(PublishArgs),
    /// Run the gates on a sealed version without moving anything
    #[command(
        after_help = "Examples:\n  lastgood validate churn_scores latest\n  lastgood validate churn_scores 20261121T020000000Z-1a2b3c4d\n  lastgood validate churn_scores 20261121T020000000Z-1a2b3c4d --against 20261119T020000000Z-9f8e7d6c --json\n\nExit codes: 0 passed, 3 a fail-severity gate failed"
    )]
    Validate {
        dataset: String,
        /// The version: an id, a unique prefix, current, lkg, previous, latest or @N
        version: String,
        /// The baseline [default: the pointer's current version]
        #[arg(long, value_name = "VERSION")]
        against: Option<String>,
        /// On a partitioned dataset, judge this partition (k=v, repeatable) as publish would
        /// [default: the partitions the version's publish wrote]
        #[arg(long, value_name = "K=V")]
        partition: Vec<String>,
        #[command(flatten)]
        rules: RulesArgs,
        /// Keep the chart points (ECDFs, category shares) in --json [default: only `report --json`]
        #[arg(long)]
        charts: bool,
    },
    /// A version's gate report: the table, --json, or one self-contained HTML page
    #[command(
        after_help = "Examples:\n  lastgood report churn_scores latest\n  lastgood report churn_scores 20261121T020000000Z-1a2b3c4d\n  lastgood report churn_scores 20261121T020000000Z-1a2b3c4d --html report.html\n\nThe HTML page needs no network: verdict, gate table, the ECDFs of each KS gate with D marked, null rates side by side, the schema diff."
    )]
    Report {
        dataset: String,
        /// The version: an id, a unique prefix, current, lkg, previous, latest or @N
        version: String,
        /// Write the report as one self-contained HTML file
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// A given report instead of the newest (see --list)
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// List the reports stored on the version
        #[arg(long, conflicts_with_all = ["html", "name"])]
        list: bool,
    },
    /// List the versions of a dataset, oldest first, with where each is in its life
    #[command(
        after_help = "Examples:\n  lastgood versions churn_scores\n  lastgood versions churn_scores --status rejected --meta night=wed --limit 5\n\nStatuses: current, last-known-good, known-good (held before), reverted, pinned, rejected (gates failed, never promoted), forced (gates failed, promoted anyway), collected (deleted by gc), in-flight (no manifest yet)."
    )]
    Versions {
        dataset: String,
        /// Only versions with this status (repeatable: all of them)
        #[arg(long, value_name = "STATUS")]
        status: Vec<String>,
        /// Only versions with this producer metadata, k=v (repeatable: all of them)
        #[arg(long, value_name = "K=V")]
        meta: Vec<String>,
        /// Only the newest N (after the filters)
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Show one version: where it is in its life, manifest, partitions
    #[command(
        after_help = "Examples:\n  lastgood show churn_scores current\n  lastgood show churn_scores 20261121T02\n  lastgood show churn_scores @3"
    )]
    Show {
        dataset: String,
        /// The version: an id, a unique prefix, current, lkg, previous, latest or @N
        version: String,
    },
    /// List the datasets under the root, with where each pointer is and its last move
    #[command(after_help = "Example:\n  lastgood datasets --root s3://ml-lake/predictions")]
    Datasets,
    /// Print the data files of the current version (or another), one URL a line
    #[command(
        after_help = "Examples:\n  lastgood resolve churn_scores\n  lastgood resolve churn_scores --format json\n  lastgood resolve daily_scores --partition date=2026-11-21\n  t=$(lastgood resolve churn_scores --format duckdb) && duckdb -c \"SELECT count(*) FROM $t\""
    )]
    Resolve {
        dataset: String,
        /// A sealed version instead of the current one
        #[arg(long, conflicts_with = "seq")]
        version: Option<String>,
        /// Where the pointer was after this history entry
        #[arg(long)]
        seq: Option<u64>,
        /// Only the files of this partition: k=v, or k=v/k2=v2 (repeatable)
        #[arg(long, value_name = "K=V")]
        partition: Vec<String>,
        #[arg(long, value_enum, default_value_t = ResolveFormat::Urls)]
        format: ResolveFormat,
    },
    /// Run DataFusion SQL over the current version (the table is named after the dataset)
    #[command(
        after_help = "Examples:\n  lastgood query churn_scores \"SELECT segment, avg(score) FROM churn_scores GROUP BY 1\"\n  lastgood query churn_scores \"SELECT * FROM churn_scores\" --all --format csv > scores.csv\n  lastgood query churn_scores \"SELECT count(*) FROM churn_scores\" --version 20261119T020000000Z-9f8e7d6c --json"
    )]
    Query {
        dataset: String,
        sql: String,
        /// A sealed version instead of the current one (any ref)
        #[arg(long)]
        version: Option<String>,
        /// At most N rows [default: 100 for table and markdown; all for csv, jsonl, json]
        #[arg(long, value_name = "N", conflicts_with = "all")]
        limit: Option<usize>,
        /// Every row (streamed; for table, column widths come from the first 1000 rows)
        #[arg(long)]
        all: bool,
        /// How to print the rows [default: table; json with --json]
        #[arg(long, value_enum)]
        format: Option<QueryFormat>,
    },
    /// Show, list or move the read pointer
    #[command(subcommand)]
    Pointer(PointerCommand),
    /// The dataset's rules recorded on the store (partitioning, gates, contract): show or change
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Stop promotion: publishes still seal and gate, but exit 4 instead of promoting
    #[command(
        after_help = "Example:\n  lastgood freeze churn_scores --reason \"investigating INC-2041\"\n\nReverts still work while frozen. Exit codes: 0 frozen (or already frozen)"
    )]
    Freeze {
        dataset: String,
        /// Why (recorded in history, shown to every refused publish)
        #[arg(long, required = true, value_name = "TEXT")]
        reason: String,
    },
    /// Resume promotion after a freeze
    #[command(
        after_help = "Example:\n  lastgood unfreeze churn_scores --reason \"INC-2041 resolved\""
    )]
    Unfreeze {
        dataset: String,
        /// Why (recorded in history)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Protect a sealed version from gc
    #[command(
        after_help = "Example:\n  lastgood pin churn_scores 20261119T020000000Z-9f8e7d6c --reason \"Q4 audit\""
    )]
    Pin {
        dataset: String,
        version: String,
        /// Why (recorded in history)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Remove a pin
    #[command(after_help = "Example:\n  lastgood unpin churn_scores 20261119T020000000Z-9f8e7d6c")]
    Unpin {
        dataset: String,
        version: String,
        /// Why (recorded in history)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Delete old versions safely (plan first; every deletion recorded in history)
    #[command(
        after_help = "Examples:\n  lastgood gc churn_scores --dry-run\n  lastgood gc churn_scores --keep 10 --older-than 30d\n\nNever deleted: the current version, the last-known-good, pinned versions, the last --keep versions the pointer held, anything younger than --grace (a publish in flight), and data files a kept version refers to."
    )]
    Gc {
        dataset: String,
        /// Keep the last N versions the pointer held
        #[arg(long, value_name = "N", default_value_t = 5)]
        keep: usize,
        /// Only delete versions older than this: 30d, 12h, 2w
        #[arg(long, value_name = "AGE")]
        older_than: Option<String>,
        /// Never touch anything younger than this (a publish in flight)
        #[arg(long, value_name = "AGE", default_value = "1h")]
        grace: String,
        /// Collect reverted versions too (kept by default, as evidence for the incident's analysis)
        #[arg(long)]
        include_reverted: bool,
        /// Print the plan; delete nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Verify every sealed version, the log and the pointer file; --repair fixes a stale pointer file
    #[command(
        after_help = "Examples:\n  lastgood doctor churn_scores\n  lastgood doctor churn_scores --repair\n\nExit codes: 0 healthy (or repaired), 2 problems found"
    )]
    Doctor {
        dataset: String,
        /// Rewrite a missing or stale pointer file, and write missing Delta commits, from the log (never deletes anything)
        #[arg(long)]
        repair: bool,
    },
    /// The Delta Lake projection: the pointer as a Delta table every engine reads
    #[command(subcommand)]
    Delta(DeltaCommand),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    #[command(
        after_help = "Examples:\n  lastgood completions bash > /etc/bash_completion.d/lastgood\n  lastgood completions zsh > \"${fpath[1]}/_lastgood\""
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (lastgood.1 and one per command) into a folder
    #[command(after_help = "Example:\n  lastgood man --out /usr/local/share/man/man1")]
    Man {
        /// The folder to write them into
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
    },
    // --- issue 16 (wheel): the `notify` verb; to become src/commands/notify.rs ---
    /// Send again what a history entry announced to the dataset's orchestrators (Airflow, OpenLineage)
    #[command(
        after_help = "Examples:\n  lastgood notify churn_scores 42\n  lastgood notify churn_scores --version latest --json\n\nSEQ: the asset event of that move (Airflow), and for a promotion its publish's run (OpenLineage START and COMPLETE). --version: the OpenLineage run of that version's newest gate report (FAIL for a rejected publish, which has no history entry). Exit codes: 0 every notification sent, 1 one failed (it says why), 2 no such entry or version, or nothing configured"
    )]
    Notify {
        dataset: String,
        /// The history position (`lastgood pointer history` numbers them)
        #[arg(required_unless_present = "version", conflicts_with = "version")]
        seq: Option<u64>,
        /// A version's publish run instead (OpenLineage only): an id, a prefix, latest, @N…
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
    },
}

/// `query --format`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum QueryFormat {
    /// Aligned columns fitted to the terminal
    Table,
    /// CSV with a header row
    Csv,
    /// One JSON object a line
    Jsonl,
    /// One JSON array
    Json,
    /// A Markdown table
    Markdown,
}

impl From<QueryFormat> for lastgood::ops::query::Format {
    fn from(f: QueryFormat) -> Self {
        use lastgood::ops::query::Format;
        match f {
            QueryFormat::Table => Format::Table,
            QueryFormat::Csv => Format::Csv,
            QueryFormat::Jsonl => Format::Jsonl,
            QueryFormat::Json => Format::Json,
            QueryFormat::Markdown => Format::Markdown,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ResolveFormat {
    /// One URL a line (file:///…, s3://…)
    Urls,
    /// One local path a line (local roots only)
    Paths,
    /// A quoted, comma-separated list for SQL: read_parquet([…])
    SqlList,
    /// The resolved version as JSON
    Json,
    /// A DuckDB table expression: read_parquet([…]) (local paths or s3:// URLs)
    Duckdb,
}

#[derive(Debug, Subcommand)]
pub enum DeltaCommand {
    /// Build the Delta projection of an existing dataset from its log (or catch it up): turns it on
    #[command(
        after_help = "Example:\n  lastgood delta build churn_scores\n\nWrites _delta_log/ at the dataset's root: Delta version N is log entry N. New datasets get it with their first publish (unless `delta = false` in lastgood.toml).\n\nExit codes: 0 built (or already complete), 2 a version has a type Delta cannot represent (nothing written)"
    )]
    Build { dataset: String },
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Draft a contract (schemas/DATASET.contract.json) from sample Parquet files
    #[command(
        after_help = "Example:\n  lastgood schema infer out/2026-11-21/ --dataset churn_scores > schemas/churn_scores.contract.json\n\nColumns without nulls in the samples are drafted nullable: false; edit before use."
    )]
    Infer {
        /// Parquet files or folders
        #[arg(required = true, value_name = "SAMPLE")]
        sample: Vec<String>,
        /// The dataset the contract is for
        #[arg(long)]
        dataset: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    pub dataset: String,
    /// Parquet files or folders (Spark/Hive style), local paths or URLs
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// The version id [default: UTC time + content hash]
    #[arg(long, value_name = "ID")]
    pub version: Option<String>,
    /// Place the files under a Hive partition folder, k=v (repeatable). On a dataset declared
    /// partitioned (partition_by in lastgood.toml), this partition is added or replaced and the
    /// others are carried forward from the current version
    #[arg(long, value_name = "K=V")]
    pub partition: Vec<String>,
    /// On a partitioned dataset: replace every partition (carry nothing forward)
    #[arg(long)]
    pub full: bool,
    /// Producer metadata recorded in the manifest, k=v (repeatable): model=churn-v1.14
    #[arg(long, value_name = "K=V")]
    pub meta: Vec<String>,
    /// A message recorded in the manifest
    #[arg(long, short, value_name = "TEXT")]
    pub message: Option<String>,
    /// Seal only; leave the pointer where it is
    #[arg(long)]
    pub no_promote: bool,
    /// Promote even a version whose gates failed or that was reverted before (needs --reason;
    /// recorded as forced)
    #[arg(long, requires = "reason")]
    pub force: bool,
    /// Why (recorded in history)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Keep the chart points (ECDFs, category shares) in --json [default: only `report --json`]
    #[arg(long)]
    pub charts: bool,
}

/// Which gates judge the version.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Gates file [default: the dataset's in lastgood.toml, else validations/DATASET.toml, else the defaults]
    #[arg(long, value_name = "FILE")]
    pub validations: Option<PathBuf>,
    /// Contract schema [default: the dataset's in lastgood.toml, else schemas/DATASET.contract.json]
    #[arg(long, value_name = "FILE")]
    pub contract: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// The rules every writer applies: partitioning, gates, contract, success marker
    #[command(after_help = "Example:\n  lastgood rules show daily_scores --json")]
    Show { dataset: String },
    /// Record the local rules (lastgood.toml, --validations, --contract) as the dataset's rules
    #[command(
        after_help = "Example:\n  lastgood rules set daily_scores --reason \"ks threshold 0.08 after INC-2107\"\n\nA `configure` history entry: who, when, why and what changed. Exit codes: 0 set (or already so), 2 unknown dataset or bad rules"
    )]
    Set {
        dataset: String,
        /// Why (recorded in history)
        #[arg(long, required = true, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        rules: RulesArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PointerCommand {
    /// Where the pointer is, with the last-known-good version
    #[command(after_help = "Example:\n  lastgood pointer show churn_scores --json")]
    Show { dataset: String },
    /// Every move of the pointer, newest first
    #[command(after_help = "Example:\n  lastgood pointer history churn_scores --limit 10")]
    History {
        dataset: String,
        /// Only the newest N entries
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Move the pointer to a sealed version
    #[command(
        after_help = "Example:\n  lastgood pointer set churn_scores 20261119T020000000Z-9f8e7d6c --reason \"serve Tuesday's scores while INC-2041 is open\""
    )]
    Set {
        dataset: String,
        /// The version: an id, a unique prefix, current, lkg, previous, latest or @N (already
        /// there: nothing written, "moved": false)
        version: String,
        /// Why (recorded in history)
        #[arg(long, required = true, value_name = "TEXT")]
        reason: String,
        /// Point at a version that was reverted or whose gates failed (recorded as forced)
        #[arg(long)]
        force: bool,
    },
    /// Move the pointer back to the last-known-good version and mark the current one reverted
    #[command(
        after_help = "Examples:\n  lastgood pointer revert churn_scores --reason \"scores all 0.5 since 02:00\"\n  lastgood pointer revert churn_scores --to 20261119T020000000Z-9f8e7d6c --reason \"back to Tuesday\"\n  lastgood pointer revert daily_scores --partition date=2026-11-19 --reason \"night 3 scored with a stale model\""
    )]
    Revert {
        dataset: String,
        /// A given version (any ref) instead of the last-known-good
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
        /// Why (recorded in history)
        #[arg(long, required = true, value_name = "TEXT")]
        reason: String,
        /// Allow a --to version that was itself reverted or failed its gates
        #[arg(long, conflicts_with = "partition")]
        force: bool,
        /// Revert only this partition: k=v, or k=v/k2=v2 with several keys (repeatable)
        #[arg(long, value_name = "K=V")]
        partition: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn flags_are_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
