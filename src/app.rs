//! From a command line to an exit code.
//!
//! Exit codes are the reference's: 0 on success, 1 with `Error: <message>` on
//! stderr, 2 for usage errors (clap prints those), 1 with the help on stdout
//! when no command is given, and 130 when interrupted (Ctrl-C) mid-generation.
//! No panic reaches the user as a backtrace.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::api::{ApiError, ApiErrorKind};
use crate::cli::Cli;
use crate::ctx::{Ctx, hint};

pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("Error: internal error: {info}");
        eprintln!("hint: this is a bug in lovart; please report it with the command you ran");
    }));
    let cli = match Cli::try_parse() {
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
    #[cfg(feature = "sandbox")]
    let multi_threaded = matches!(command, crate::cli::Command::Sandbox(_));
    #[cfg(not(feature = "sandbox"))]
    let multi_threaded = {
        let _ = command; // only `lovart sandbox` needs more than one thread
        false
    };
    let runtime = if multi_threaded {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("Error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async {
        let ctx = Ctx::from_cli(&cli)?;
        crate::commands::run(cli.command.expect("checked above"), &ctx).await
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is::<crate::flow::interrupt::Interrupted>() => ExitCode::from(130),
        Err(error) => {
            eprintln!("Error: {error:#}");
            if let Some(api_error) = error.downcast_ref::<ApiError>()
                && let Some(advice) = advice_for(api_error)
            {
                hint(&advice);
            }
            ExitCode::from(1)
        }
    }
}

/// What the user can do about an API error whose cause is known.
fn advice_for(error: &ApiError) -> Option<String> {
    let lower = error.message.to_lowercase();
    if lower.contains("timestamp") && (lower.contains("expired") || lower.contains("skew")) {
        return Some(
            "the server rejected the request time: check that this machine's clock is right (lovart doctor shows the offset)"
                .to_string(),
        );
    }
    match (error.kind, error.status) {
        (ApiErrorKind::Http, Some(401 | 403)) => Some(
            "check LOVART_ACCESS_KEY and LOVART_SECRET_KEY (Lovart: avatar menu -> AK/SK Management)"
                .to_string(),
        ),
        (ApiErrorKind::Http, Some(402)) => {
            Some("the account does not have enough credits for this: top up, or switch to the queue with `lovart set-mode --unlimited`".to_string())
        }
        (ApiErrorKind::Http, Some(409)) => Some(
            "the thread is still busy: wait for it (`lovart watch --thread-id …`) or start a new thread".to_string(),
        ),
        (ApiErrorKind::Http, Some(429)) => Some(match error.retry_after {
            Some(wait) => format!("rate limited: retry after {} s", wait.as_secs().max(1)),
            None => "rate limited: wait a minute before retrying".to_string(),
        }),
        (ApiErrorKind::Connection, _) => Some(
            "check the network, LOVART_BASE_URL and any proxy settings (https_proxy, no_proxy)".to_string(),
        ),
        _ => None,
    }
}
