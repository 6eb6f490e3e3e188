//! `sandbox`: runs the local Lovart server until Ctrl-C.
//!
//! The keys it accepts are `LOVART_ACCESS_KEY` / `LOVART_SECRET_KEY` of its
//! own environment when both are set, else the public `ak_sandbox` /
//! `sk_sandbox`. A real secret key is never printed, only where it comes from.

use anyhow::{Context, Result};

use crate::cli::SandboxArgs;
use lovart_sandbox::{RateLimits, SandboxOptions, serve};

pub async fn run(args: SandboxArgs) -> Result<()> {
    if !(args.rate_scale.is_finite() && args.rate_scale > 0.0) {
        anyhow::bail!(
            "--rate-scale must be a positive number, got {}",
            args.rate_scale
        );
    }
    let limits = RateLimits {
        time_scale: args.rate_scale,
        ..RateLimits::default()
    };
    let env_key = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let from_env = env_key("LOVART_ACCESS_KEY").zip(env_key("LOVART_SECRET_KEY"));
    let options = match &from_env {
        Some((access_key, secret_key)) => SandboxOptions {
            access_key: access_key.clone(),
            secret_key: secret_key.clone(),
            fast: args.fast,
            log_requests: true,
            limits,
        },
        None => SandboxOptions {
            fast: args.fast,
            log_requests: true,
            limits,
            ..SandboxOptions::default()
        },
    };

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
        if args.fast { " (fast)" } else { "" }
    );
    if from_env.is_some() {
        eprintln!(
            "accepting access key {} with the secret key from LOVART_SECRET_KEY",
            options.access_key
        );
        eprintln!("point another shell at it (with the same keys in its environment):");
        eprintln!("  export LOVART_BASE_URL={client_url}");
    } else {
        eprintln!("accepting access key ak_sandbox with secret key sk_sandbox");
        eprintln!("point another shell at it:");
        eprintln!(
            "  export LOVART_BASE_URL={client_url} LOVART_ACCESS_KEY=ak_sandbox LOVART_SECRET_KEY=sk_sandbox"
        );
    }
    if !bound.ip().is_loopback() {
        eprintln!(
            "warning: listening beyond this machine: anyone who can reach {bound} and knows the keys can use it"
        );
    }
    eprintln!("`lovart sandbox --help` lists the scenarios; Ctrl-C stops.");

    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    serve(listener, options, shutdown).await?;
    eprintln!("lovart sandbox stopped");
    Ok(())
}
