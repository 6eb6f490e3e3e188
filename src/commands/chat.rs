//! `chat`: send a prompt, wait until the thread settles, print the result.
//!
//! The flow is the reference's (project from the flag, the state or a new one;
//! validation with one retry; send; poll; result; auto-name; state; download),
//! with two differences a user can only notice when something goes wrong: the
//! thread is saved as soon as the send succeeds, and bad input is refused
//! before anything billable is sent.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use crate::api::{ApiClient, SendRequest, ToolConfig, is_truthy};
use crate::cli::ChatArgs;
use crate::ctx::{Ctx, print_line};
use crate::generation::{self, Settled};
use crate::output::{dumps_pretty, py_str};
use crate::text::py_prefix_stripped;

pub async fn run(args: ChatArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let timeout = ctx.timeout()?;
    let prefer_models = parse_prefer_models(args.prefer_models.as_deref())?;
    warn_about_unknown_tools(&args, prefer_models.as_ref());
    if args.download {
        crate::download::ensure_output_dir(&args.output_dir)?;
    }
    let state = ctx.state.load()?;
    let given_project = args
        .project_id
        .clone()
        .filter(|id| !id.is_empty())
        .or_else(|| state.active_project());
    let project_id = match given_project {
        Some(project_id) => {
            ensure_project_exists(&client, ctx, &project_id).await?;
            project_id
        }
        None => client.create_project().await?,
    };

    let request = SendRequest {
        prompt: args.prompt.clone(),
        project_id: project_id.clone(),
        attachments: args.attachments.clone().unwrap_or_default(),
        thread_id: args.thread_id.clone(),
        mode: args.mode.map(|mode| mode.as_str().to_string()),
        tool_config: ToolConfig {
            prefer_tool_categories: prefer_models,
            include_tools: args.include_tools.clone().unwrap_or_default(),
            exclude_tools: args.exclude_tools.clone().unwrap_or_default(),
        },
    };
    let thread_id = client.send(&request).await?;
    let project_name = py_prefix_stripped(&args.prompt, 30);
    let topic = py_prefix_stripped(&args.prompt, 50);
    // Saved now, so an interrupted or failed wait still leaves the thread on record;
    // the same two changes are made again at the end, as the reference makes them.
    if !project_id.is_empty() {
        super::send::record_sent_thread(ctx, &project_id, &thread_id, &args.prompt)?;
    }

    let spinner = crate::progress::Spinner::start(ctx.progress, "generating");
    let outcome = generation::until_interrupted(&thread_id, async {
        let settled =
            generation::poll_until_settled(&client, &thread_id, timeout, ctx.waits, &spinner)
                .await?;
        let result = match settled {
            Settled::PendingConfirmation(pending) => json!({
                "thread_id": thread_id,
                "project_id": project_id,
                "final_status": "pending_confirmation",
                "pending_confirmation": pending,
                "items": [],
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
            settled => {
                let mut result = client.result(&thread_id).await?;
                result.insert("final_status".into(), json!(settled.as_str()));
                result.insert("project_id".into(), json!(project_id));
                if settled == Settled::Done {
                    generation::mark_generation_outcome(&mut result);
                }
                if let Some(name) = name_untitled_project(&client, &project_id, &args.prompt).await
                {
                    result.insert("project_name".into(), json!(name));
                }
                result
            }
        };
        record_final_state(ctx, &result, &project_id, &project_name, &topic)?;
        spinner.finish();
        download_if_asked(result, args.download, &args.output_dir, ctx).await
    })
    .await;
    spinner.finish();
    let result = outcome?;

    if args.json {
        print_line(&dumps_pretty(&Value::Object(result), false));
    } else {
        print_line(&format!(
            "Status: {}",
            result.get("final_status").map(py_str).unwrap_or_default()
        ));
        print_line(&format!(
            "Thread: {}",
            result.get("thread_id").map(py_str).unwrap_or_default()
        ));
        print_line(&format!(
            "Project: {}",
            result
                .get("project_id")
                .map(py_str)
                .unwrap_or_else(|| "N/A".to_string())
        ));
        for line in generation::result_text_lines(&result) {
            print_line(&line);
        }
    }
    Ok(())
}

/// The reference's state update after a chat: the project (named by the
/// result's `project_name`, else the prompt) becomes active, and the result's
/// thread is upserted into it.
fn record_final_state(
    ctx: &Ctx,
    result: &Map<String, Value>,
    project_id: &str,
    prompt_name: &str,
    topic: &str,
) -> Result<()> {
    let name = result
        .get("project_name")
        .map(py_str)
        .unwrap_or_else(|| prompt_name.to_string());
    let thread = result
        .get("thread_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty());
    ctx.state.update(|state| {
        if !project_id.is_empty() {
            state.add_project(project_id, &name);
        }
        if let Some(thread) = thread {
            state.upsert_thread(thread, topic, None);
        }
    })
}

/// Adds `downloaded` when `--download` was given.
pub(crate) async fn download_if_asked(
    mut result: Map<String, Value>,
    download: bool,
    output_dir: &str,
    ctx: &Ctx,
) -> Result<Map<String, Value>> {
    if download {
        let downloaded =
            super::download::artifacts_of(&Value::Object(result.clone()), output_dir, ctx).await?;
        result.insert("downloaded".into(), Value::Array(downloaded));
    }
    Ok(result)
}

/// Warns (on stderr, from the built-in catalog: no request) about tool names
/// that are not known; they are still sent, since the catalog changes often.
fn warn_about_unknown_tools(args: &ChatArgs, prefer_models: Option<&Value>) {
    let mut names: Vec<&str> = Vec::new();
    for list in [&args.include_tools, &args.exclude_tools]
        .into_iter()
        .flatten()
    {
        names.extend(list.iter().map(String::as_str));
    }
    if let Some(Value::Object(categories)) = prefer_models {
        for tools in categories.values().filter_map(Value::as_array) {
            names.extend(tools.iter().filter_map(Value::as_str));
        }
    }
    for warning in crate::catalog::unknown_tool_warnings(&names) {
        eprintln!("{warning}");
    }
}

/// `--prefer-models`: a JSON object of category → list of tool names. Falsy
/// JSON (`{}`, `null`, `""`) means absent, as in the reference.
fn parse_prefer_models(text: Option<&str>) -> Result<Option<Value>> {
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let value: Value = serde_json::from_str(text)
        .with_context(|| format!("invalid --prefer-models: not JSON: {text}"))?;
    if !is_truthy(&value) {
        return Ok(None);
    }
    let Value::Object(categories) = &value else {
        bail!(
            "invalid --prefer-models: expected an object of category -> list of tool names, e.g. '{{\"IMAGE\":[\"generate_image_midjourney\"]}}'"
        );
    };
    for (category, tools) in categories {
        let is_list_of_names = tools
            .as_array()
            .is_some_and(|tools| tools.iter().all(Value::is_string));
        if !is_list_of_names {
            bail!(
                "invalid --prefer-models: the value of \"{category}\" must be a list of tool names"
            );
        }
    }
    Ok(Some(value))
}

/// Validates a given or remembered project, once more after 2 s (a new project
/// may take a moment to appear); a failed call counts as "not valid".
async fn ensure_project_exists(client: &ApiClient, ctx: &Ctx, project_id: &str) -> Result<()> {
    if project_is_valid(client, project_id).await {
        return Ok(());
    }
    tokio::time::sleep(ctx.waits.validate_retry()).await;
    if project_is_valid(client, project_id).await {
        return Ok(());
    }
    bail!("Project '{project_id}' does not exist")
}

async fn project_is_valid(client: &ApiClient, project_id: &str) -> bool {
    match client.validate_project(project_id).await {
        Ok(answer) => answer.get("valid").is_some_and(is_truthy),
        Err(_) => false,
    }
}

/// Names a still-untitled project after the prompt's first 30 characters;
/// returns the new name when the rename went through. Failures are ignored.
async fn name_untitled_project(
    client: &ApiClient,
    project_id: &str,
    prompt: &str,
) -> Option<String> {
    let current = match client.validate_project(project_id).await {
        Ok(answer) => answer.get("project_name").cloned(),
        Err(_) => None,
    };
    if !generation::project_needs_name(current.as_ref(), project_id) {
        return None;
    }
    let name = py_prefix_stripped(prompt, 30);
    client.rename_project(project_id, &name).await.ok()?;
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefer_models_accepts_objects_of_lists() {
        let value =
            parse_prefer_models(Some(r#"{"IMAGE":["generate_image_midjourney"]}"#)).unwrap();
        assert_eq!(value, Some(json!({"IMAGE": ["generate_image_midjourney"]})));
    }

    #[test]
    fn falsy_prefer_models_means_absent() {
        for text in ["{}", "null", "[]", "0", "\"\""] {
            assert_eq!(parse_prefer_models(Some(text)).unwrap(), None, "{text}");
        }
        assert_eq!(parse_prefer_models(None).unwrap(), None);
    }

    #[test]
    fn bad_prefer_models_are_clear_errors() {
        let not_json = parse_prefer_models(Some("{IMAGE:")).unwrap_err();
        assert!(format!("{not_json:#}").starts_with("invalid --prefer-models: not JSON"));
        let not_object = parse_prefer_models(Some("[1]")).unwrap_err();
        assert!(not_object.to_string().contains("expected an object"));
        let not_list = parse_prefer_models(Some(r#"{"IMAGE":"x"}"#)).unwrap_err();
        assert!(not_list.to_string().contains("\"IMAGE\" must be a list"));
    }
}
