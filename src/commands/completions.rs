//! `lastgood completions`: shell completions from the one clap definition of the flags.

use super::prelude::{Done, Env};

/// Print shell completions (bash, zsh, fish, elvish, powershell)
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood completions bash > /etc/bash_completion.d/lastgood\n  lastgood completions zsh > \"${fpath[1]}/_lastgood\""
)]
pub struct Args {
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn exec(a: Args, env: &Env) -> Done {
    let mut cmd = (env.cli)();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "lastgood", &mut buf);
    Done::text(String::from_utf8_lossy(&buf).into_owned())
}
