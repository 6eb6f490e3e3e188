//! `mcp`: serve the Model Context Protocol on stdin/stdout until the client
//! closes stdin (or SIGTERM, Ctrl-C), or with `--http ADDR` over HTTP until
//! SIGTERM. The server itself is [`crate::mcp`]; it runs with this command's
//! global options (keys, base URL, `--timeout` per request).

use anyhow::Result;

use lovart_core::events::EventSink;
use lovart_core::settings::Settings;

use crate::mcp::Log;

use crate::cli::McpArgs;

pub async fn run(args: McpArgs, ctx: &Settings) -> Result<()> {
    // The server's own copy of the settings, logging the engine's events.
    let server = ctx.for_server().with_events(EventSink::new(Log));
    let Some(addr) = args.http.clone() else {
        return crate::mcp::serve_stdio(server).await;
    };
    serve_over_http(args, addr, server).await
}

/// `--http`: the Streamable HTTP server.
#[cfg(feature = "http")]
async fn serve_over_http(args: McpArgs, addr: String, server: Settings) -> Result<()> {
    use crate::mcp::http::{HttpOptions, Tokens, serve_http};

    // The variable counts (and is checked) only without a token file.
    let env_token = match args.token_file {
        Some(_) => None,
        None => server.environment.mcp_token()?.map(str::to_string),
    };
    let tokens = Tokens::load(args.token_file.as_deref(), env_token)?;
    let options = HttpOptions {
        addr,
        tokens,
        allowed_origins: args.allow_origin,
        output_dir: args.output_dir,
        client_concurrency: args.client_concurrency as usize,
        client_rate: args.client_rate,
    };
    serve_http(server, options).await
}

/// `--http` in a build without the `http` feature: a clear refusal.
#[cfg(not(feature = "http"))]
#[allow(clippy::unused_async, reason = "the same signature as the real one")]
async fn serve_over_http(_args: McpArgs, _addr: String, _server: Settings) -> Result<()> {
    Err(lovart_core::failure::InvalidInput(
        "this lovart was built without `mcp --http`: install a prebuilt package, or build \
         with `--features http` (or `full`)"
            .to_string(),
    )
    .into())
}
