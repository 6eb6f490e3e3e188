//! `completions`: the shell completion script for `lovart`, generated from the
//! same clap definition that parses the command line, so it never drifts.

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "lovart", &mut script);
    let script = String::from_utf8(script).context("the completion script is not UTF-8")?;
    // print_line appends a newline; the generators already end with one.
    crate::ctx::print_line(script.strip_suffix('\n').unwrap_or(&script));
    Ok(())
}
