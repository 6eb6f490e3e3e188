//! `upload-artifact`: put a URL into a project as an image or video artifact.

use anyhow::Result;

use crate::cli::UploadArtifactArgs;
use crate::terminal::print_line;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub async fn run(args: UploadArtifactArgs, ctx: &Settings) -> Result<()> {
    let answer = ctx
        .api()?
        .upload_artifact(&args.project_id, &args.url, args.kind.as_str())
        .await?;
    print_line(&dumps_pretty(&answer, false));
    Ok(())
}
