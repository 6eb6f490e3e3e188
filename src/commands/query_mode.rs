//! `query-mode`: the current generation mode.

use anyhow::Result;
use lovart_wire::reply::is_unlimited;
use serde_json::json;

use crate::terminal::print_line;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub async fn run(ctx: &Settings) -> Result<()> {
    let detail = ctx.api()?.query_mode().await?;
    let mode = if is_unlimited(&detail) {
        "unlimited"
    } else {
        "fast"
    };
    print_line(&dumps_pretty(
        &json!({"mode": mode, "detail": detail}),
        false,
    ));
    Ok(())
}
