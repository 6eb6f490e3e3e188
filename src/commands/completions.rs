//! `completions`: the shell completion script for `lovart`, generated from the
//! same clap definition that parses the command line, so it never drifts.
//! `--dynamic` prints instead a script that asks `lovart` at each completion,
//! which also offers the saved project and thread ids. With `--json`:
//! `{"shell", "dynamic", "script"}`.

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> Result<()> {
    let script = if args.dynamic {
        crate::cli::completion::dynamic_registration(args.shell)?
    } else {
        let mut script = Vec::new();
        clap_complete::generate(args.shell, &mut Cli::command(), "lovart", &mut script);
        String::from_utf8(script).context("the completion script is not UTF-8")?
    };
    if args.json {
        let answer = serde_json::json!({
            "shell": args.shell.to_string(),
            "dynamic": args.dynamic,
            "script": script,
        });
        crate::terminal::print_line(&lovart_core::python::dumps_pretty(&answer, false));
        return Ok(());
    }
    // print_line appends a newline; the generators already end with one.
    crate::terminal::print_line(script.strip_suffix('\n').unwrap_or(&script));
    Ok(())
}
