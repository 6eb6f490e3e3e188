//! From a command line to an exit code.
//!
//! Exit codes are the reference's: 0 on success, 1 with `Error: <message>` on
//! stderr, 2 for usage errors (clap prints those), 1 with the help on stdout
//! when no command is given, and 130 when interrupted (Ctrl-C) mid-generation
//! (143 for SIGTERM, 129 for SIGHUP). `LOVART_EXIT_CODES=detailed` opts into
//! one code per error kind ([`lovart_core::failure`]). With `--json`, a failure also
//! prints the JSON error object on stdout. No panic reaches the user as a
//! backtrace.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::Cli;
use crate::terminal::Terminal;
use crate::terminal::{hint, print_line};
use lovart_core::failure::Interrupted;
use lovart_core::failure::{ErrorObject, ExitCodes, success_exit_code};
use lovart_core::python::dumps_compact;
use lovart_core::settings::{Environment, Settings};

pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("Error: internal error: {info}");
        eprintln!("hint: this is a bug in lovart; please report it with the command you ran");
    }));
    let args = crate::cli::hoist_global_options(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(error.exit_code().clamp(0, 255) as u8);
        }
    };
    let Some(command) = cli.command.as_ref() else {
        let mut help = Cli::command();
        println!("{}", help.render_help());
        return ExitCode::from(1);
    };
    let runtime = runtime_for(command);
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("Error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let json = command.json_requested();
    let environment = Environment::read();
    let exit_codes = ExitCodes::from_environment(&environment);
    let mut terminal = None;
    let outcome = runtime.block_on(async {
        let ctx = Settings::resolve(cli.flags(), environment)?;
        let (renderer, events) = Terminal::new(ctx.progress);
        terminal = Some(renderer);
        let ctx = ctx.with_events(events);
        crate::commands::run(cli.command.expect("checked above"), &ctx).await
    });
    match outcome {
        Ok(()) => {
            let final_status = terminal.and_then(|terminal| terminal.final_status());
            ExitCode::from(success_exit_code(exit_codes, final_status.as_deref()))
        }
        Err(error) => {
            if let Some(interrupted) = error.downcast_ref::<Interrupted>() {
                return ExitCode::from(interrupted.exit_code());
            }
            let object = ErrorObject::of(&error);
            eprintln!("Error: {}", object.message);
            for advice in object.hint.iter().flat_map(|advice| advice.lines()) {
                hint(advice);
            }
            if json {
                print_line(&dumps_compact(&object.to_json(), false));
            }
            ExitCode::from(match exit_codes {
                ExitCodes::Reference => 1,
                ExitCodes::Detailed => object.kind.detailed_exit_code(),
            })
        }
    }
}

/// The servers (`sandbox`, `mcp`) run on a multi-threaded runtime; every
/// other command on the current thread.
fn runtime_for(command: &crate::cli::Command) -> std::io::Result<tokio::runtime::Runtime> {
    #[cfg(any(feature = "sandbox", feature = "mcp"))]
    if matches!(
        command,
        crate::cli::Command::Sandbox(_) | crate::cli::Command::Mcp(_)
    ) {
        return tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build();
    }
    let _ = command;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
