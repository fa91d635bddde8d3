//! The `lastgood` binary: parse the flags once, dispatch to the command's file under `commands/`,
//! print, and exit with the documented status.
//!
//! 1. Parse; bad flags exit 2 (with `--json`, as the same `{"error": …}` as every failure).
//! 2. Decide colour and progress bars from the global flags and the terminal.
//! 3. Run the command on a tokio runtime; it returns what to print and, when the outcome is a
//!    failure (gates failed, refused, problems found), the exit status it means.
//! 4. Print stdout (a closed pipe is not an error); a failure prints one `lastgood: …` line on
//!    stderr and exits with its status. An error exits with the status its kind documents.

mod cli;
mod commands;
mod render;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use lastgood::Error;

use cli::Cli;
use commands::prelude::Done;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let json = cli.json;
    let stderr_tty = std::io::stderr().is_terminal();
    lastgood::progress::enable(stderr_tty && !json && !cli.quiet && !cli.no_progress);
    render::set_colour(cli.color.colour(json));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&Error::io("starting the runtime", e), json),
    };
    let done = runtime.block_on(async {
        let env = cli.env()?;
        cli.command.exec(&env).await
    });
    match done {
        Ok(Done { out, exit }) => {
            if !out.is_empty() {
                emit(&out);
            }
            match exit {
                Some((status, why)) => {
                    eprintln!("lastgood: {why}");
                    ExitCode::from(status.code())
                }
                None => ExitCode::SUCCESS,
            }
        }
        Err(e) => fail(&e, json),
    }
}

/// Bad flags: clap's message (exit 2), and with `--json` the same `{"error": …}` as every other
/// failure. Help and version go to stdout with exit 0.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let usage = lastgood::error::Exit::Usage.code();
    let wants_json = std::env::args().any(|a| a == "--json");
    if !wants_json
        || matches!(
            e.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        let _ = e.print();
        return ExitCode::from(if e.use_stderr() { usage } else { 0 });
    }
    // The message without clap's usage and tip lines, on one line.
    let rendered = e.render().to_string();
    let msg = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string();
    let v = serde_json::json!({"error": {"kind": "usage", "message": msg, "exit_code": usage}});
    emit(&format!("{v}\n"));
    eprintln!("lastgood: {msg} (see --help)");
    ExitCode::from(usage)
}

/// An error: one line on stderr, `{"error": …}` on stdout with `--json`, its documented status.
fn fail(e: &Error, json: bool) -> ExitCode {
    let msg = e.to_string().replace('\n', " ");
    let code = e.exit().code();
    if json {
        let v = serde_json::json!({"error": {"kind": e.kind(), "message": msg, "exit_code": code}});
        emit(&format!("{v}\n"));
    }
    eprintln!("lastgood: {msg}");
    ExitCode::from(code)
}

/// Writes to stdout; false when the pipe is closed (the reader has gone: not an error).
fn emit(s: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|_| out.flush())
        .is_ok()
}
