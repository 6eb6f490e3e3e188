//! `result`: a thread's result (always JSON), with `--download`.

use anyhow::Result;
use serde_json::Value;

use crate::cli::ResultArgs;
use crate::terminal::print_line;
use lovart_core::files::record::Origin;
use lovart_core::python::dumps_pretty;
use lovart_core::session::Session;
use lovart_core::settings::Settings;

pub async fn run(args: ResultArgs, ctx: &Settings) -> Result<()> {
    let session = Session::new(ctx)?;
    let download = args.download.then_some(args.output_dir.as_str());
    let files = args.files.options(Origin::default());
    let reading = session.result(&args.thread_id, download, &files);
    let generation = lovart_core::flow::interrupt::or_stopped(reading).await?;
    print_line(&dumps_pretty(&Value::Object(generation.output), false));
    Ok(())
}
