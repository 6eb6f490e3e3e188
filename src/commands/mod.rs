//! One module per command (or small group of commands); each exposes
//! `async fn run(args, &Ctx) -> Result<()>`.

pub(crate) mod chat;
mod completions;
mod confirm;
mod doctor;
mod download;
mod local;
mod mode;
mod models;
mod projects;
mod remote;
mod sandbox;
mod send;
mod threads;
mod watch;

use anyhow::Result;

use crate::cli::Command;
use crate::ctx::Ctx;

pub async fn run(command: Command, ctx: &Ctx) -> Result<()> {
    match command {
        Command::Chat(args) => chat::run(args, ctx).await,
        Command::Send(args) => send::run(args, ctx).await,
        Command::Watch(args) => watch::run(args, ctx).await,
        Command::Confirm(args) => confirm::run(args, ctx).await,
        Command::Download(args) => download::run(args, ctx).await,
        Command::CreateProject => remote::create_project(ctx).await,
        Command::UploadArtifact(args) => remote::upload_artifact(args, ctx).await,
        Command::Upload(args) => remote::upload(args, ctx).await,
        Command::Status(args) => remote::status(args, ctx).await,
        Command::Result(args) => remote::result(args, ctx).await,
        Command::SetMode(args) => mode::set(args, ctx).await,
        Command::QueryMode => mode::query(ctx).await,
        Command::Config(args) => local::config(args, ctx).await,
        Command::Projects(args) => projects::list(args, ctx).await,
        Command::ProjectAdd(args) => projects::add(args, ctx).await,
        Command::ProjectSwitch(args) => projects::switch(args, ctx).await,
        Command::ProjectRename(args) => projects::rename(args, ctx).await,
        Command::ProjectRemove(args) => projects::remove(args, ctx).await,
        Command::Threads(args) => threads::list(args, ctx).await,
        Command::ThreadRemove(args) => threads::remove(args, ctx).await,
        Command::Sandbox(args) => sandbox::run(args, ctx).await,
        Command::Models(args) => models::run(args, ctx).await,
        Command::Doctor(args) => doctor::run(args, ctx).await,
        Command::Completions(args) => completions::run(args, ctx).await,
    }
}
