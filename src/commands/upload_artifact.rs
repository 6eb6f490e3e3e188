//! `upload-artifact`: put a URL into a project as an image or video artifact.

use anyhow::Result;

use crate::cli::UploadArtifactArgs;
use crate::ctx::{Ctx, print_line};
use crate::python::dumps_pretty;

pub async fn run(args: UploadArtifactArgs, ctx: &Ctx) -> Result<()> {
    let answer = ctx
        .api()?
        .upload_artifact(&args.project_id, &args.url, args.kind.as_str())
        .await?;
    print_line(&dumps_pretty(&answer, false));
    Ok(())
}
