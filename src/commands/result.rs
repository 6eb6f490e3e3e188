//! `result`: a thread's result (always JSON), with `--download`.

use anyhow::Result;
use serde_json::Value;

use crate::cli::ResultArgs;
use crate::ctx::{Ctx, print_line};
use crate::flow::outcome::download_if_asked;
use crate::python::dumps_pretty;

pub async fn run(args: ResultArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    if args.download {
        crate::download::ensure_output_dir(&args.output_dir)?;
    }
    let thread_id = crate::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let result = client.result(&thread_id).await?;
    let files = super::file_options(
        &args.files,
        crate::flow::threads::origin_of(ctx, &thread_id),
    );
    let result = download_if_asked(result, args.download, &args.output_dir, &files, ctx).await?;
    print_line(&dumps_pretty(&Value::Object(result), false));
    Ok(())
}
