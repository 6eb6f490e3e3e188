//! The command line, as clap types only.
//!
//! It mirrors the reference's argparse parser: global options before the
//! subcommand, long options abbreviated to any unique prefix, list options that
//! take every following word, the last of a repeated option winning. Options
//! added beyond the reference are chosen so that no existing unique prefix
//! becomes ambiguous.
//!
//! Every option has a help line and every command an example; `lovart help
//! <command>` shows a command's help. `--project-id` and `--thread-id` complete
//! to the ids saved in the state file (see [`crate::completion`]), never to
//! file names. A prompt given without `--prompt` is refused with a tip.

mod args;
mod argv;
pub mod completion;
mod files;
mod skill;

use clap::{Parser, Subcommand, ValueHint};

pub use args::*;
pub use argv::hoist_global_options;
pub use files::*;
pub use skill::*;

const AFTER_HELP: &str = "\
Keys come from LOVART_ACCESS_KEY / LOVART_SECRET_KEY (preferred: --ak/--sk on a
command line are visible to other local users). State lives in ~/.lovart, or in
$LOVART_HOME when set. Try it offline with `lovart sandbox` (built with the
`sandbox` feature; every package has it).
`lovart help <command>` (or `lovart <command> --help`) shows a command's options.";

#[derive(Debug, Parser)]
#[command(
    name = "lovart",
    version,
    about = "Generate images, video, audio and 3D with Lovart's Agent OpenAPI",
    after_help = AFTER_HELP,
    infer_long_args = true,
    args_override_self = true
)]
pub struct Cli {
    /// API base URL, with its scheme [env: LOVART_BASE_URL] [default: https://lgw.lovart.ai]
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub base_url: Option<String>,

    /// Access key [env: LOVART_ACCESS_KEY]
    #[arg(long, value_name = "AK")]
    pub ak: Option<String>,

    /// Secret key [env: LOVART_SECRET_KEY]
    #[arg(long, value_name = "SK")]
    pub sk: Option<String>,

    /// Seconds to wait for a generation, and for each request
    #[arg(long, value_name = "N", default_value = "180", value_parser = lovart_core::python::parse_int, allow_negative_numbers = true)]
    pub timeout: i64,

    /// No progress display on stderr
    #[arg(long)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The global options, for the engine's settings (which add the
    /// environment and the defaults).
    pub fn flags(&self) -> lovart_core::settings::Flags {
        lovart_core::settings::Flags {
            base_url: self.base_url.clone(),
            access_key: self.ak.clone(),
            secret_key: self.sk.clone(),
            timeout: self.timeout,
            quiet: self.quiet,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a prompt, wait for the generation, print the result
    #[command(
        after_help = "Examples:\n  lovart chat --prompt \"a cyberpunk cat\" --json --download\n  lovart chat --thread-id e4c2b5d2 --prompt \"make it blue\" --json --download\n  lovart chat --prompt \"watercolor style\" --attachments https://example.com/photo.jpg"
    )]
    Chat(ChatArgs),
    /// Send a prompt without waiting; prints the thread id
    #[command(
        after_help = "Examples:\n  lovart send --prompt \"a cyberpunk cat\"\n  lovart send --thread-id e4c2b5d2 --prompt \"now in red\""
    )]
    Send(SendArgs),
    /// Send a prompt (or attach to a thread) and stream artifacts as NDJSON
    #[command(
        after_help = "Examples:\n  lovart watch --prompt \"4 variations of a cyberpunk cat\"\n  lovart watch --thread-id e4c2b5d2 --output-dir ./out"
    )]
    Watch(WatchArgs),
    /// Create a new empty project on the server
    #[command(after_help = "Example:\n  lovart create-project")]
    CreateProject(JsonArgs),
    /// Add a URL as an artifact of a project
    #[command(
        after_help = "Example:\n  lovart upload-artifact --project-id PID --url https://example.com/a.png"
    )]
    UploadArtifact(UploadArtifactArgs),
    /// Upload a local file; prints its CDN URL
    #[command(after_help = "Example:\n  lovart upload --file photo.jpg")]
    Upload(UploadArgs),
    /// Confirm a pending high-cost operation, then wait for the result
    #[command(after_help = "Example:\n  lovart confirm --thread-id TID --json --download")]
    Confirm(ConfirmArgs),
    /// Wait for a thread already sent; print what `chat` would print
    #[command(
        after_help = "Examples:\n  lovart wait --thread-id TID --json --download\n  T=$(lovart send --prompt \"a cat\" | jq -r .thread_id) && lovart wait --thread-id \"$T\" --json"
    )]
    Wait(WaitArgs),
    /// Switch between fast (credits) and unlimited (queue) mode
    #[command(after_help = "Example:\n  lovart set-mode --unlimited")]
    SetMode(SetModeArgs),
    /// Show the current generation mode
    #[command(after_help = "Example:\n  lovart query-mode")]
    QueryMode(JsonArgs),
    /// Show a thread's status
    #[command(after_help = "Example:\n  lovart status --thread-id TID")]
    Status(ThreadArgs),
    /// Show a thread's result (always JSON)
    #[command(after_help = "Example:\n  lovart result --thread-id TID --download")]
    Result(ResultArgs),
    /// Download artifacts from URLs
    #[command(
        after_help = "Example:\n  lovart download --urls https://example.com/a.png --output-dir ./out"
    )]
    Download(DownloadArgs),
    /// Show the local state (~/.lovart/state.json, or $LOVART_HOME/state.json)
    #[command(after_help = "Example:\n  lovart config --json")]
    Config(JsonArgs),
    /// List known projects
    #[command(after_help = "Example:\n  lovart projects")]
    Projects(JsonArgs),
    /// Add a project and make it active
    #[command(after_help = "Example:\n  lovart project-add --project-id PID --name \"Brand kit\"")]
    ProjectAdd(ProjectAddArgs),
    /// Switch the active project (full id or unique prefix)
    #[command(after_help = "Example:\n  lovart project-switch --project-id 3f2a")]
    ProjectSwitch(ProjectIdArgs),
    /// Rename a project
    #[command(after_help = "Example:\n  lovart project-rename --project-id PID --name \"Posters\"")]
    ProjectRename(ProjectRenameArgs),
    /// Forget a project and its threads
    #[command(after_help = "Example:\n  lovart project-remove --project-id PID")]
    ProjectRemove(ProjectIdArgs),
    /// List saved threads (of the active project unless --all)
    #[command(after_help = "Example:\n  lovart threads --all --json")]
    Threads(ThreadsArgs),
    /// Forget a saved thread
    #[command(after_help = "Example:\n  lovart thread-remove --thread-id TID")]
    ThreadRemove(ThreadArgs),
    /// Send many prompts from a file, within the rate limits; resumable
    #[command(after_help = BATCH_HELP)]
    Batch(BatchArgs),
    /// Run a local Lovart server to try every flow offline
    #[cfg(feature = "sandbox")]
    #[command(after_help = lovart_sandbox::SCENARIO_HELP)]
    Sandbox(SandboxArgs),
    /// (This build has no sandbox: it is the `sandbox` feature.)
    #[cfg(not(feature = "sandbox"))]
    #[command(hide = true, disable_help_flag = true)]
    Sandbox(NotBuiltArgs),
    /// List the generation models (tool names for --prefer-models / --include-tools)
    #[command(after_help = "Example:\n  lovart models --category VIDEO")]
    Models(ModelsArgs),
    /// List downloaded files, newest first (from the history in the state folder)
    #[command(
        after_help = "Every file lovart downloads (chat, wait, confirm, result, watch, download,\nbatch, MCP) adds a line to history.jsonl in the state folder (~/.lovart, or\n$LOVART_HOME). Files no longer on disk are marked (missing).\n\nExamples:\n  lovart history --since 1d --type image\n  lovart history --thread e4c2b5d2 --json"
    )]
    History(HistoryArgs),
    /// Write an HTML page of the downloaded files, grouped by thread
    #[command(
        after_help = "The page is one self-contained file: no network, no scripts. Images show as\nthumbnails, video and audio play, other files are links; each shows its\nprompt, thread, time and the command that continues the thread.\n\nExamples:\n  lovart gallery --open\n  lovart gallery --project PID --since 7d --out ~/Desktop/cats.html"
    )]
    Gallery(GalleryArgs),
    /// Check keys, state file, network, TLS, clock and catalog
    #[command(after_help = "Example:\n  lovart doctor")]
    Doctor(JsonArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  lovart completions bash > ~/.local/share/bash-completion/completions/lovart\n  source <(lovart completions bash --dynamic)   # also completes saved project and thread ids"
    )]
    Completions(CompletionsArgs),
    /// Show the assistant skill file, or install it where an assistant looks
    #[command(
        subcommand_required = true,
        after_help = "Examples:\n  lovart skill install --agent claude\n  lovart skill show"
    )]
    Skill(SkillArgs),
    /// Serve the Model Context Protocol on stdin/stdout, or over HTTP (for AI assistants)
    #[cfg(feature = "mcp")]
    #[command(
        after_help = "Register it:\n  claude mcp add lovart -- lovart mcp\nOver HTTP (for clients that take a URL; see the README for TLS):\n  lovart mcp --http                                   # http://127.0.0.1:8733/mcp\n  lovart mcp --http 0.0.0.0:8733 --token-file tokens  # every request needs a token"
    )]
    Mcp(McpArgs),
    /// (This build has no MCP server: it is the `mcp` feature.)
    #[cfg(not(feature = "mcp"))]
    #[command(hide = true, disable_help_flag = true)]
    Mcp(NotBuiltArgs),
}

impl Command {
    /// Whether `--json` was given: a failure then also prints the JSON error object.
    pub fn json_requested(&self) -> bool {
        match self {
            Self::Chat(args) => args.json,
            Self::Send(args) => args.json,
            Self::Watch(args) => args.json,
            Self::CreateProject(args)
            | Self::QueryMode(args)
            | Self::Config(args)
            | Self::Projects(args) => args.json,
            // Doctor's JSON report is its answer, failed checks included.
            Self::Doctor(_) => false,
            Self::UploadArtifact(args) => args.json,
            Self::Upload(args) => args.json,
            Self::Confirm(args) => args.json,
            Self::Wait(args) => args.json,
            Self::Status(args) | Self::ThreadRemove(args) => args.json,
            Self::Result(args) => args.json,
            Self::Download(args) => args.json,
            Self::SetMode(args) => args.json,
            Self::ProjectAdd(args) => args.json,
            Self::ProjectSwitch(args) | Self::ProjectRemove(args) => args.json,
            Self::ProjectRename(args) => args.json,
            Self::Threads(args) => args.json,
            Self::Models(args) => args.json,
            Self::History(args) => args.json,
            Self::Gallery(args) => args.json,
            Self::Completions(args) => args.json,
            Self::Skill(args) => match &args.command {
                SkillCommand::Show(args) => args.json,
                SkillCommand::Install(args) => args.json,
            },
            Self::Sandbox(_) => false,
            Self::Mcp(_) => false,
            // Batch prints one JSON line per row, each with its own error.
            Self::Batch(_) => false,
        }
    }
}
