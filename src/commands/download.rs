//! `download`: files from URLs into a folder, named as the reference names them.

use anyhow::Result;
use serde_json::json;

use crate::cli::DownloadArgs;
use crate::terminal::print_line;
use lovart_core::download::ArtifactRef;
use lovart_core::files::record::Origin;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub async fn run(args: DownloadArgs, ctx: &Settings) -> Result<()> {
    if !ctx.has_keys() {
        return Err(lovart_core::failure::MissingKeys.into());
    }
    // Every URL is labelled "image", as in the reference; the downloader drops
    // repeats (first occurrence wins).
    let artifacts: Vec<ArtifactRef> = args
        .urls
        .iter()
        .map(|url| ArtifactRef::new(json!("image"), url.clone()))
        .collect();
    let files = args.files.options(Origin::default());
    let downloaded = ctx
        .downloader()?
        .download_all(&artifacts, &args.output_dir, &args.prefix, &files)
        .await?;
    print_line(&dumps_pretty(
        &json!({"downloaded": downloaded, "output_dir": args.output_dir}),
        false,
    ));
    lovart_core::flow::hints::after_downloads(&ctx.events, &downloaded);
    Ok(())
}
