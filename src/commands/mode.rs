//! `set-mode` and `query-mode`: fast (credits) or unlimited (queue).

use anyhow::{Result, bail};
use serde_json::json;

use crate::api::is_truthy;
use crate::cli::SetModeArgs;
use crate::ctx::{Ctx, print_line};
use crate::output::{dumps_compact, dumps_pretty};

pub async fn set(args: SetModeArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let (mode, unlimited) = if args.fast {
        ("fast", false)
    } else if args.unlimited {
        ("unlimited", true)
    } else {
        bail!("specify --fast or --unlimited");
    };
    let detail = client.set_mode(unlimited).await?;
    print_line(&dumps_compact(
        &json!({"mode": mode, "detail": detail}),
        false,
    ));
    Ok(())
}

pub async fn query(ctx: &Ctx) -> Result<()> {
    let detail = ctx.api()?.query_mode().await?;
    let unlimited = detail.get("unlimited").is_some_and(is_truthy);
    let mode = if unlimited { "unlimited" } else { "fast" };
    print_line(&dumps_pretty(
        &json!({"mode": mode, "detail": detail}),
        false,
    ));
    Ok(())
}
