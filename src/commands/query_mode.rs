//! `query-mode`: the current generation mode.

use anyhow::Result;
use lovart_wire::reply::is_unlimited;
use serde_json::json;

use crate::ctx::{Ctx, print_line};
use crate::python::dumps_pretty;

pub async fn run(ctx: &Ctx) -> Result<()> {
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
