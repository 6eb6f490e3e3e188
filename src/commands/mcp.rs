//! `mcp`: serve the Model Context Protocol on stdin/stdout until the client
//! closes stdin, or with `--http ADDR` over HTTP until SIGTERM. The server
//! itself is [`crate::mcp`]; it runs with this command's global options
//! (keys, base URL, `--timeout` per request).

use anyhow::Result;

use lovart_core::events::EventSink;
use lovart_core::settings::Settings;

use crate::mcp::Log;

use crate::cli::McpArgs;
use crate::mcp::http::{HttpOptions, TOKEN_ENV, Tokens, serve_http};

pub async fn run(args: McpArgs, ctx: &Settings) -> Result<()> {
    let Some(addr) = args.http else {
        return crate::mcp::serve_stdio(ctx.for_server().with_events(EventSink::new(Log))).await;
    };
    let tokens = Tokens::load(args.token_file.as_deref(), std::env::var(TOKEN_ENV).ok())?;
    let options = HttpOptions {
        addr,
        tokens,
        allowed_origins: args.allow_origin,
        output_dir: args.output_dir,
        client_concurrency: args.client_concurrency as usize,
        client_rate: args.client_rate,
    };
    serve_http(ctx.for_server().with_events(EventSink::new(Log)), options).await
}
