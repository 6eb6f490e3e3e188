//! The one-call commands: `create-project`, `upload`, `upload-artifact`,
//! `status` and `result`.

use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::{ResultArgs, ThreadArgs, UploadArgs, UploadArtifactArgs};
use crate::ctx::{Ctx, print_line};
use crate::output::{dumps_compact, dumps_pretty};

pub async fn create_project(ctx: &Ctx) -> Result<()> {
    let project_id = ctx.api()?.create_project().await?;
    ctx.state
        .update(|state| state.add_project(&project_id, ""))?;
    print_line(&dumps_compact(&json!({"project_id": project_id}), true));
    Ok(())
}

pub async fn upload(args: UploadArgs, ctx: &Ctx) -> Result<()> {
    let url = ctx.api()?.upload_file(Path::new(&args.file)).await?;
    print_line(&dumps_compact(&json!({"url": url}), true));
    Ok(())
}

pub async fn upload_artifact(args: UploadArtifactArgs, ctx: &Ctx) -> Result<()> {
    let answer = ctx
        .api()?
        .upload_artifact(&args.project_id, &args.url, args.kind.as_str())
        .await?;
    print_line(&dumps_pretty(&answer, false));
    Ok(())
}

pub async fn status(args: ThreadArgs, ctx: &Ctx) -> Result<()> {
    let answer = ctx.api()?.status(&args.thread_id).await?;
    print_line(&dumps_pretty(&answer, true));
    Ok(())
}

pub async fn result(args: ResultArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    if args.download {
        crate::download::ensure_output_dir(&args.output_dir)?;
    }
    let mut result = client.result(&args.thread_id).await?;
    if args.download {
        let downloaded =
            super::download::artifacts_of(&Value::Object(result.clone()), &args.output_dir, ctx)
                .await?;
        result.insert("downloaded".into(), Value::Array(downloaded));
    }
    print_line(&dumps_pretty(&Value::Object(result), false));
    Ok(())
}
