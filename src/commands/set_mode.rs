//! `set-mode`: fast (credits) or unlimited (queue).

use anyhow::Result;
use serde_json::json;

use crate::cli::SetModeArgs;
use crate::terminal::print_line;
use lovart_core::failure::InvalidInput;
use lovart_core::python::dumps_compact;
use lovart_core::settings::Settings;

pub async fn run(args: SetModeArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
    let (mode, unlimited) = if args.fast {
        ("fast", false)
    } else if args.unlimited {
        ("unlimited", true)
    } else {
        return Err(InvalidInput("specify --fast or --unlimited".into()).into());
    };
    let detail = client.set_mode(unlimited).await?;
    print_line(&dumps_compact(
        &json!({"mode": mode, "detail": detail}),
        false,
    ));
    Ok(())
}
