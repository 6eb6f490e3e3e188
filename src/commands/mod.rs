//! One module per command, named after it; each exposes `run(args, &Settings)`
//! (`async` when it talks to the network). Commands compose the steps of
//! [`lovart_core::flow`] and never import one another.

mod batch;
mod chat;
mod completions;
mod config;
mod confirm;
mod create_project;
mod doctor;
mod download;
mod gallery;
mod history;
#[cfg(feature = "mcp")]
mod mcp;
mod models;
mod project_add;
mod project_remove;
mod project_rename;
mod project_switch;
mod projects;
mod query_mode;
mod result;
#[cfg(feature = "sandbox")]
mod sandbox;
mod send;
mod set_mode;
mod skill;
mod status;
mod thread_remove;
mod threads;
mod upload;
mod upload_artifact;
mod wait;
mod watch;

use anyhow::Result;

use crate::cli::Command;
use lovart_core::settings::Settings;

pub async fn run(command: Command, ctx: &Settings) -> Result<()> {
    match command {
        Command::Chat(args) => chat::run(args, ctx).await,
        Command::Send(args) => send::run(args, ctx).await,
        Command::Watch(args) => watch::run(args, ctx).await,
        Command::Confirm(args) => confirm::run(args, ctx).await,
        Command::Wait(args) => wait::run(args, ctx).await,
        Command::Download(args) => download::run(args, ctx).await,
        Command::CreateProject(_) => create_project::run(ctx).await,
        Command::UploadArtifact(args) => upload_artifact::run(args, ctx).await,
        Command::Upload(args) => upload::run(args, ctx).await,
        Command::Status(args) => status::run(args, ctx).await,
        Command::Result(args) => result::run(args, ctx).await,
        Command::SetMode(args) => set_mode::run(args, ctx).await,
        Command::QueryMode(_) => query_mode::run(ctx).await,
        Command::Config(args) => config::run(args, ctx),
        Command::Projects(args) => projects::run(args, ctx),
        Command::ProjectAdd(args) => project_add::run(args, ctx).await,
        Command::ProjectSwitch(args) => project_switch::run(args, ctx),
        Command::ProjectRename(args) => project_rename::run(args, ctx).await,
        Command::ProjectRemove(args) => project_remove::run(args, ctx),
        Command::Threads(args) => threads::run(args, ctx),
        Command::ThreadRemove(args) => thread_remove::run(args, ctx),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => sandbox::run(args, ctx).await,
        #[cfg(not(feature = "sandbox"))]
        Command::Sandbox(_) => Err(not_built("sandbox", "sandbox")),
        Command::Batch(args) => batch::run(args, ctx).await,
        Command::Models(args) => models::run(args, ctx).await,
        Command::History(args) => history::run(args, ctx),
        Command::Gallery(args) => gallery::run(args, ctx),
        Command::Doctor(args) => doctor::run(args, ctx).await,
        Command::Completions(args) => completions::run(args),
        Command::Skill(args) => skill::run(args),
        #[cfg(feature = "mcp")]
        Command::Mcp(args) => mcp::run(args, ctx).await,
        #[cfg(not(feature = "mcp"))]
        Command::Mcp(_) => Err(not_built("mcp", "mcp")),
    }
}

/// The error of a command this build was made without, and how to get it.
#[cfg(not(all(feature = "sandbox", feature = "mcp")))]
fn not_built(command: &str, feature: &str) -> anyhow::Error {
    lovart_core::failure::InvalidInput(format!(
        "this lovart was built without `{command}`: install a prebuilt package, or build with \
         `--features {feature}` (or `full`)"
    ))
    .into()
}

#[cfg(test)]
mod tests {
    /// Commands parse, call the engine and render: none polls a thread or
    /// waits between polls itself (`chat`, `wait`, `confirm`, `batch` and
    /// `watch` all go through the engine's one poll).
    #[test]
    fn no_command_polls_by_itself() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
        let mut checked = 0;
        for entry in std::fs::read_dir(&folder).expect("src/commands") {
            let path = entry.expect("an entry").path();
            // This file holds the list below.
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("mod.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            for word in ["tokio::time", "status_word(", "poll_until_settled"] {
                assert!(!text.contains(word), "{} uses {word}", path.display());
            }
            checked += 1;
        }
        assert!(checked > 20, "only {checked} commands found");
    }
}
