//! `sandbox`: runs the local Lovart server until Ctrl-C (or SIGTERM).
//!
//! The keys it accepts are `LOVART_ACCESS_KEY` / `LOVART_SECRET_KEY` of its
//! own environment when both are set, else the public `ak_sandbox` /
//! `sk_sandbox`. A real secret key is never printed, only where it comes from.
//!
//! The world lives in a data folder (`--data-dir`, by default
//! `~/.local/share/lovart/sandbox`) so that a restart keeps what clients have
//! recorded; `--ephemeral` keeps it in memory. The export lines it prints
//! include `LOVART_HOME`, a client state folder of the sandbox's own
//! (`<data folder>/home`, or a temporary one when ephemeral), so that the
//! sandbox's projects never land in the real account's `~/.lovart`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use crate::cli::SandboxArgs;
use lovart_core::settings::Settings;
use lovart_sandbox::{RateLimits, SandboxOptions, serve};

pub async fn run(args: SandboxArgs, ctx: &Settings) -> Result<()> {
    if !(args.rate_scale.is_finite() && args.rate_scale > 0.0) {
        return Err(lovart_core::failure::InvalidInput(format!(
            "--rate-scale must be a positive number, got {}",
            args.rate_scale
        ))
        .into());
    }
    let limits = RateLimits {
        time_scale: args.rate_scale,
        ..RateLimits::default()
    };
    let env_key = |name: &str| {
        ctx.environment
            .text(name)
            .filter(|value| !value.is_empty())
            .map(str::to_string)
    };
    let from_env = env_key("LOVART_ACCESS_KEY").zip(env_key("LOVART_SECRET_KEY"));
    let data_dir = if args.ephemeral {
        None
    } else {
        Some(match &args.data_dir {
            Some(folder) => folder.clone(),
            None => default_data_dir()?,
        })
    };
    // The ephemeral sandbox's client state goes with it.
    let temporary_home = match data_dir {
        None => Some(
            tempfile::Builder::new()
                .prefix("lovart-sandbox-home-")
                .tempdir()
                .context("cannot create a temporary LOVART_HOME")?,
        ),
        Some(_) => None,
    };
    let client_home = match (&data_dir, &temporary_home) {
        (Some(folder), _) => folder.join("home"),
        (None, Some(temporary)) => temporary.path().to_path_buf(),
        (None, None) => unreachable!("one of the two is set"),
    };
    let mut options = SandboxOptions {
        fast: args.fast,
        log_requests: true,
        data_dir: data_dir.clone(),
        limits,
        ..SandboxOptions::default()
    };
    if let Some((access_key, secret_key)) = &from_env {
        options.access_key.clone_from(access_key);
        options.secret_key.clone_from(secret_key);
    }

    let address = (args.host.as_str(), args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let bound = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let base_url = format!("http://{bound}");
    // What a client on this machine should use: 0.0.0.0 and :: are not addresses.
    let client_url = if bound.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", bound.port())
    } else {
        base_url.clone()
    };

    eprintln!(
        "lovart sandbox listening on {base_url}{}",
        if args.fast {
            " (fast: one step per status poll)"
        } else {
            ""
        }
    );
    match &data_dir {
        Some(folder) => eprintln!(
            "keeping projects, threads and files in {} (--ephemeral: in memory only)",
            folder.display()
        ),
        None => eprintln!("ephemeral: everything is forgotten when it stops"),
    }
    let home = format!("LOVART_HOME={}", shell_quoted(&client_home));
    if from_env.is_some() {
        eprintln!(
            "accepting access key {} with the secret key from LOVART_SECRET_KEY",
            options.access_key
        );
        eprintln!("point another shell at it (with the same keys in its environment):");
        eprintln!("  export LOVART_BASE_URL={client_url} {home}");
    } else {
        eprintln!("accepting access key ak_sandbox with secret key sk_sandbox");
        eprintln!("point another shell at it:");
        eprintln!(
            "  export LOVART_BASE_URL={client_url} LOVART_ACCESS_KEY=ak_sandbox LOVART_SECRET_KEY=sk_sandbox {home}"
        );
    }
    eprintln!(
        "(LOVART_HOME keeps the sandbox's projects out of your real account's ~/.lovart; unset all four to go back)"
    );
    if !bound.ip().is_loopback() {
        eprintln!(
            "warning: listening beyond this machine: anyone who can reach {bound} and knows the keys can use it"
        );
    }
    eprintln!("`lovart sandbox --help` lists the scenarios; Ctrl-C stops.");

    serve(listener, options, stop_signal()).await?;
    drop(temporary_home);
    eprintln!("lovart sandbox stopped");
    Ok(())
}

/// `$XDG_DATA_HOME/lovart/sandbox` (`~/.local/share/lovart/sandbox`).
fn default_data_dir() -> Result<PathBuf> {
    let data = dirs::data_dir()
        .ok_or_else(|| anyhow!("cannot find the user's data folder: pass --data-dir"))?;
    Ok(data.join("lovart").join("sandbox"))
}

/// Ctrl-C or SIGTERM (`kill`), whichever comes first.
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// A path as a POSIX shell word: as is when it has no special characters,
/// else in single quotes.
fn shell_quoted(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,".contains(c));
    if plain && !text.is_empty() {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(
            shell_quoted(Path::new("/home/a/.local/x")),
            "/home/a/.local/x"
        );
        assert_eq!(shell_quoted(Path::new("/tmp/my dir")), "'/tmp/my dir'");
        assert_eq!(shell_quoted(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
    }
}
