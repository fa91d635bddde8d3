//! `lastgood rules show|set`: the dataset's rules recorded on the store (partitioning, gates,
//! contract, success marker) (the work is [`lastgood::rules`]).

use std::fmt::Write as _;

use lastgood::Result;
use lastgood::ops::validate::Rules;
use lastgood::rules::{self, DatasetRules, SetOutcome, Shown};

use super::prelude::{Done, Env, Outcome, RulesArgs};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Show(ShowArgs),
    Set(SetArgs),
}

impl Command {
    pub async fn exec(self, env: &Env) -> Result<Done> {
        match self {
            Command::Show(a) => show(a, env).await,
            Command::Set(a) => set(a, env).await,
        }
    }
}

/// The rules every writer applies: partitioning, gates, contract, success marker
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  lastgood rules show daily_scores --json")]
pub struct ShowArgs {
    dataset: String,
}

/// Record the local rules (lastgood.toml, --validations, --contract) as the dataset's rules
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  lastgood rules set daily_scores --reason \"ks threshold 0.08 after INC-2107\"\n\nA `configure` history entry: who, when, why and what changed. Exit codes: 0 set (or already so), 2 unknown dataset or bad rules"
)]
pub struct SetArgs {
    dataset: String,
    /// Why (recorded in history)
    #[arg(long, required = true, value_name = "TEXT")]
    reason: String,
    #[command(flatten)]
    rules: RulesArgs,
}

async fn show(a: ShowArgs, env: &Env) -> Result<Done> {
    Ok(env.done(&rules::show(&env.dataset(&a.dataset)?).await?))
}

/// The local rules (or the defaults, when this writer has none of its own) become the dataset's.
async fn set(a: SetArgs, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let proposed = match env.local_rules(&a.dataset, &a.rules)? {
        Some(r) => r,
        None => DatasetRules::new(None, &Rules::defaults(), None),
    };
    let out = rules::set(&ds, &env.ctx, &proposed, &a.reason).await?;
    Ok(env.done(&out))
}

impl Outcome for Shown {
    fn human(&self, _verbose: bool) -> String {
        render_shown(self)
    }
}

impl Outcome for SetOutcome {
    fn human(&self, _verbose: bool) -> String {
        render_set(self)
    }
}

fn render_shown(o: &Shown) -> String {
    let Some(r) = &o.rules else {
        return format!(
            "{}: no rules recorded yet (the next publish records its own)\n",
            o.dataset
        );
    };
    let mut s = format!(
        "{} rules {}\n",
        o.dataset,
        o.checksum.as_deref().unwrap_or("-")
    );
    let part = match &r.partitioning {
        None => "none (published whole)".to_string(),
        Some(p) => format!(
            "{} (compare {})",
            p.keys
                .iter()
                .map(|k| format!(
                    "{k}:{}",
                    serde_json::to_string(&p.key_type(k))
                        .unwrap_or_default()
                        .trim_matches('"')
                ))
                .collect::<Vec<_>>()
                .join(", "),
            serde_json::to_string(&p.compare)
                .unwrap_or_default()
                .trim_matches('"')
        ),
    };
    let _ = writeln!(s, "  partitioning    {part}");
    for g in &r.gates {
        let _ = writeln!(
            s,
            "  gate            {}",
            serde_json::to_string(g).unwrap_or_default()
        );
    }
    let _ = writeln!(
        s,
        "  contract        {}",
        match &r.contract {
            None => "none".to_string(),
            Some(c) => format!("{} columns", c.columns.len()),
        }
    );
    let _ = writeln!(
        s,
        "  success_marker  {}",
        r.success_marker.as_deref().unwrap_or("none")
    );
    s
}

fn render_set(o: &SetOutcome) -> String {
    if !o.changed {
        return format!("{} already has these rules ({})\n", o.dataset, o.rules);
    }
    let mut s = format!(
        "{} rules set to {} (history #{})\n",
        o.dataset, o.rules, o.seq
    );
    for c in &o.changes {
        let _ = writeln!(s, "  {c}");
    }
    s
}
