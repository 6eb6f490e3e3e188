//! `upload`: a local file to Lovart's CDN, streamed; prints its URL.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use crate::cli::UploadArgs;
use crate::terminal::print_line;
use lovart_core::python::dumps_compact;
use lovart_core::session::Session;
use lovart_core::settings::Settings;

pub async fn run(args: UploadArgs, ctx: &Settings) -> Result<()> {
    let url = Session::new(ctx)?.upload(Path::new(&args.file)).await?;
    print_line(&dumps_compact(&json!({"url": url}), true));
    Ok(())
}
