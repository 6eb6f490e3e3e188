//! The project a prompt goes into: the flag, else the active one, else a new
//! one; validated (with the reference's one retry) where `chat` validates;
//! named after the prompt when still untitled.

use std::time::Duration;

use anyhow::Result;
use lovart_wire::reply::ValidationView;

use crate::api::{ApiClient, ApiError};
use crate::events::Event;
use crate::failure::{Hinted, Kind, NotFound, Wording, api_kind};
use crate::flow::hints::{self, ProjectSource};
use crate::flow::outcome::project_needs_name;
use crate::python::prefix_stripped;
use crate::settings::Settings;

/// The project given by `flag` or remembered as active, if any.
pub fn given_or_active(ctx: &Settings, flag: Option<&str>) -> Result<Option<String>> {
    match flag.filter(|id| !id.is_empty()) {
        Some(project_id) => Ok(Some(project_id.to_string())),
        None => Ok(ctx.state.load()?.active_project()),
    }
}

/// The project to send into: the flag, else the active one, else a new one
/// (not validated, as in the reference's `send`).
pub async fn given_or_new(
    client: &ApiClient,
    ctx: &Settings,
    flag: Option<&str>,
) -> Result<String> {
    match given_or_active(ctx, flag)? {
        Some(project_id) => Ok(project_id),
        None => first_project(client, ctx).await,
    }
}

/// Serialises the first-project decision between tasks of one process (the
/// MCP server); the state lock serialises it between processes.
static FIRST_PROJECT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// With no active project, exactly one is created however many runs start at
/// once: the decision is made under the state lock, and a run that waited
/// finds the project the first one made (and activated) and uses it.
async fn first_project(client: &ApiClient, ctx: &Settings) -> Result<String> {
    let _in_process = FIRST_PROJECT.lock().await;
    let lock = match ctx.state.lock() {
        Ok(lock) => lock,
        // A state that cannot be locked must not stop a generation: go on as
        // the reference does (the send's record will warn the same way).
        Err(why) => {
            ctx.events.warning(&format!(
                "the state is not available ({why:#}); creating a project without it"
            ));
            return create_with_spinner(client, ctx).await;
        }
    };
    if let Some(active) = lock.update(|state| state.active_project())? {
        return Ok(active);
    }
    let project_id = create_with_spinner(client, ctx).await?;
    // Recorded (and activated) now, under its id's name as `create-project`
    // records it; the send's record names it after the prompt, as the reference does.
    if let Err(why) = lock.update(|state| state.add_project(&project_id, "")) {
        ctx.events.warning(&format!(
            "project {project_id} was created but the state was not saved: {why:#}"
        ));
    }
    Ok(project_id)
}

/// `chat`'s project: a given or remembered project must exist on the server;
/// with none, a new one is created. The checks are reported as an activity
/// (they may take seconds against a slow or dead server), and a project found "not
/// valid" gets hints naming the real cause.
pub async fn validated_or_new(
    client: &ApiClient,
    ctx: &Settings,
    flag: Option<&str>,
) -> Result<String> {
    let source = match flag.filter(|id| !id.is_empty()) {
        Some(_) => ProjectSource::Flag,
        None => ProjectSource::Active,
    };
    match given_or_active(ctx, flag)? {
        Some(project_id) => {
            let label = format!("checking project {project_id}");
            ctx.events.emit(Event::Activity(Some(&label)));
            let checked = ensure_exists(client, ctx, &project_id).await;
            ctx.events.emit(Event::Activity(None));
            if let Err(cause) = checked {
                // The reference's message; the real cause goes into the hints.
                let hints = |wording| {
                    hints::validation_hints(
                        &ctx.base_url,
                        &project_id,
                        source,
                        cause.as_ref(),
                        wording,
                    )
                };
                return Err(Hinted {
                    hints: hints(Wording::Cli),
                    mcp_hints: Some(hints(Wording::Mcp)),
                    kind: Some(cause.as_ref().map_or(Kind::NotFound, api_kind)),
                    cause: NotFound(format!("Project '{project_id}' does not exist")).into(),
                }
                .into());
            }
            Ok(project_id)
        }
        None => first_project(client, ctx).await,
    }
}

/// `POST /project/save` for a new project, reported as an activity.
async fn create_with_spinner(client: &ApiClient, ctx: &Settings) -> Result<String> {
    ctx.events.emit(Event::Activity(Some("creating a project")));
    let created = client.create_project().await;
    ctx.events.emit(Event::Activity(None));
    Ok(created?)
}

/// Validates a project, once more after 2 s (a new project may take a moment
/// to appear); a failed call counts as "not valid", as in the reference. On
/// failure, the error of the last call (`None` when the server said "not valid").
async fn ensure_exists(
    client: &ApiClient,
    ctx: &Settings,
    project_id: &str,
) -> Result<(), Option<ApiError>> {
    if matches!(is_valid(client, project_id).await, Ok(true)) {
        return Ok(());
    }
    tokio::time::sleep(ctx.waits.validate_retry()).await;
    match is_valid(client, project_id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(None),
        Err(error) => Err(Some(error)),
    }
}

async fn is_valid(client: &ApiClient, project_id: &str) -> Result<bool, ApiError> {
    let answer = client.validate_project(project_id).await?;
    Ok(ValidationView(&answer).valid())
}

/// Names a still-untitled project after the prompt's first 30 characters;
/// returns the new name when the rename went through. Failures are ignored.
pub async fn name_if_untitled(
    client: &ApiClient,
    project_id: &str,
    prompt: &str,
) -> Option<String> {
    let current = match client.validate_project(project_id).await {
        Ok(answer) => ValidationView(&answer).project_name().cloned(),
        Err(_) => None,
    };
    if !project_needs_name(current.as_ref(), project_id) {
        return None;
    }
    let name = prefix_stripped(prompt, 30);
    client.rename_project(project_id, &name).await.ok()?;
    Some(name)
}

/// The best-effort server rename uses the reference client's default timeout.
const RENAME_TIMEOUT: Duration = Duration::from_secs(120);

/// Renames the project on the server when keys are set; any failure is ignored,
/// as in the reference (the local rename is what the user asked for).
pub async fn rename_on_server(ctx: &Settings, project_id: &str, name: &str) {
    if !ctx.has_keys() {
        return;
    }
    if let Ok(client) = ctx.api_with_timeout(RENAME_TIMEOUT) {
        let _ = client.rename_project(project_id, name).await;
    }
}
