//! `download`: files from URLs into a folder, named as the reference names them.

use anyhow::Result;
use serde_json::json;

use crate::cli::DownloadArgs;
use crate::ctx::{Ctx, print_line};
use crate::download::ArtifactRef;
use crate::files::record::Origin;
use crate::python::dumps_pretty;

pub async fn run(args: DownloadArgs, ctx: &Ctx) -> Result<()> {
    if !ctx.has_keys() {
        anyhow::bail!(crate::ctx::MISSING_KEYS);
    }
    // Every URL is labelled "image", as in the reference; the downloader drops
    // repeats (first occurrence wins).
    let artifacts: Vec<ArtifactRef> = args
        .urls
        .iter()
        .map(|url| ArtifactRef::new(json!("image"), url.clone()))
        .collect();
    let files = super::file_options(&args.files, Origin::default());
    let downloaded = crate::flow::outcome::downloader(ctx)?
        .download_all(&artifacts, &args.output_dir, &args.prefix, &files)
        .await?;
    print_line(&dumps_pretty(
        &json!({"downloaded": downloaded, "output_dir": args.output_dir}),
        false,
    ));
    crate::flow::hints::after_downloads(&downloaded);
    Ok(())
}
