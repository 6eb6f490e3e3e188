//! `mcp`: serve the Model Context Protocol on stdin/stdout until the client
//! closes stdin. The server itself is [`crate::mcp`]; it runs with this
//! command's global options (keys, base URL, `--timeout` per request).

use anyhow::Result;

use lovart_core::settings::Settings;

pub async fn run(ctx: &Settings) -> Result<()> {
    crate::mcp::serve_stdio(ctx.for_server()).await
}
