//! `result`: a thread's result (always JSON), with `--download`.

use anyhow::Result;
use serde_json::Value;

use crate::cli::ResultArgs;
use crate::terminal::print_line;
use lovart_core::flow::outcome::download_if_asked;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub async fn run(args: ResultArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
    if args.download {
        lovart_core::download::ensure_output_dir(&args.output_dir)?;
    }
    let thread_id = lovart_core::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let result = client.result(&thread_id).await?;
    let files = args
        .files
        .options(lovart_core::flow::threads::origin_of(ctx, &thread_id));
    let result = download_if_asked(result, args.download, &args.output_dir, &files, ctx).await?;
    print_line(&dumps_pretty(&Value::Object(result), false));
    Ok(())
}
