//! `create-project`: a new project on the server, added to the state and activated.

use anyhow::Result;
use serde_json::json;

use crate::terminal::print_line;
use lovart_core::python::dumps_compact;
use lovart_core::settings::Settings;

pub async fn run(ctx: &Settings) -> Result<()> {
    let project_id = ctx.api()?.create_project().await?;
    ctx.state
        .update(|state| state.add_project(&project_id, ""))?;
    print_line(&dumps_compact(&json!({"project_id": project_id}), true));
    Ok(())
}
