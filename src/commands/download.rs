//! `download`: files from URLs into a folder, named as the reference names them.

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::DownloadArgs;
use crate::terminal::print_line;
use lovart_core::files::record::Origin;
use lovart_core::python::dumps_pretty;
use lovart_core::session::Downloaded;
use lovart_core::settings::Settings;

pub async fn run(args: DownloadArgs, ctx: &Settings) -> Result<()> {
    if !ctx.has_keys() {
        return Err(lovart_core::failure::MissingKeys.into());
    }
    let files = args.files.options(Origin::default());
    let downloading =
        lovart_core::session::download(ctx, &args.urls, &args.output_dir, &args.prefix, &files);
    let downloaded = lovart_core::flow::interrupt::or_stopped(downloading).await?;
    let items: Vec<Value> = downloaded.iter().map(Downloaded::to_value).collect();
    print_line(&dumps_pretty(
        &json!({"downloaded": items, "output_dir": args.output_dir}),
        false,
    ));
    lovart_core::flow::hints::after_downloads(&ctx.events, &items);
    Ok(())
}
