//! The options of each command, as clap types: one struct per command (or
//! per group of commands sharing options), with a help line for every option.

use clap::{ArgAction, Args, ValueEnum, ValueHint};
use clap_complete::engine::ArgValueCandidates;

use super::FileArgs;

/// The value parser of the hidden positional of `chat`, `send` and `watch`:
/// a bare word there is a prompt without `--prompt`, refused with the fix.
fn refuse_positional_prompt(word: &str) -> Result<String, String> {
    let quoted = if word.contains('\'') {
        format!("\"{word}\"")
    } else {
        format!("'{word}'")
    };
    Err(format!(
        "a prompt goes after --prompt (tip: --prompt {quoted})"
    ))
}

pub const BATCH_HELP: &str = "\
FILE has one prompt per line, or one JSON object per line with \"prompt\" and
optional \"id\", \"thread_id\", \"attachments\", \"mode\", \"prefer_models\",
\"include_tools\", \"exclude_tools\", \"output_dir\"; blank lines and lines
starting with # are skipped. Every line is checked before anything is sent.

One JSON line per row goes to stdout as the row settles: id, line, prompt,
thread_id, project_id, final_status, generation_succeeded, artifacts,
downloaded, error (the error object of --json errors). Exit 0 when every row
is done, else 1. The account's rate limits (chat 60/min and 600/h, query
300/min and 3000/h) are kept on this side; a 429 pauses its tier.

The journal (default FILE.journal.jsonl; for stdin, ~/.lovart/batches/) makes
it resumable: run the same command again after a crash and settled rows are
printed again, sent rows are waited on, and nothing is billed twice.

Examples:
  lovart batch prompts.txt --download --output-dir ./out
  jq -c '{id, prompt}' rows.json | lovart batch - --concurrency 16";

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Prompts, one per line (plain text or JSONL); `-` reads stdin
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Rows worked on at once [default: 600, the sends the chat tier allows
    /// in an hour: the rate limits alone pace the batch]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub concurrency: Option<u16>,
    /// Download every row's artifacts
    #[arg(long)]
    pub download: bool,
    /// Folder for downloads (a row's own output_dir wins)
    #[arg(long, default_value = "/tmp/lovart")]
    pub output_dir: String,
    #[command(flatten)]
    pub files: FileArgs,
    /// Journal file [default: FILE.journal.jsonl, or ~/.lovart/batches/ for stdin]
    #[arg(long, value_name = "PATH")]
    pub journal: Option<String>,
    /// Project to send into [default: the active one, else a new one]
    #[arg(long)]
    pub project_id: Option<String>,
    /// Reasoning mode of rows that do not set one
    #[arg(long, value_enum)]
    pub mode: Option<ReasoningMode>,
    /// Confirm a pending high-cost step by itself when its estimated cost is at most N credits
    #[arg(long, value_name = "N")]
    pub max_credits: Option<f64>,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Only this category: IMAGE, VIDEO, 3D, …
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    /// Print the models as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// Print `{"shell", "dynamic", "script"}` instead of the bare script
    #[arg(long)]
    pub json: bool,
    /// Print a script that asks lovart at each completion, so that
    /// --project-id and --thread-id complete to the saved ids
    #[arg(long)]
    pub dynamic: bool,
}

/// `--mode`: the reasoning mode, locked to a thread on its first message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReasoningMode {
    Thinking,
    Fast,
}

impl From<ReasoningMode> for lovart_core::flow::send::ReasoningMode {
    fn from(mode: ReasoningMode) -> Self {
        match mode {
            ReasoningMode::Thinking => Self::Thinking,
            ReasoningMode::Fast => Self::Fast,
        }
    }
}

/// `--type` of `upload-artifact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArtifactKind {
    Image,
    Video,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
        }
    }
}

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// What to generate, in your words
    #[arg(long)]
    pub prompt: String,
    /// Project to work in [default: the active project, else a new one]
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::project_ids))]
    pub project_id: Option<String>,
    /// Continue this thread (full id or a unique prefix of a saved one)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::thread_ids))]
    pub thread_id: Option<String>,
    /// Image URLs or local files to work from (a local file is uploaded first)
    #[arg(long, num_args = 0.., value_name = "URL", action = ArgAction::Set, value_hint = ValueHint::Url)]
    pub attachments: Option<Vec<String>>,
    /// Print the whole result as JSON instead of text
    #[arg(long)]
    pub json: bool,
    /// Download artifacts to local files
    #[arg(long)]
    pub download: bool,
    /// Folder for --download
    #[arg(long, value_name = "DIR", default_value = "/tmp/lovart", value_hint = ValueHint::DirPath)]
    pub output_dir: String,
    #[command(flatten)]
    pub files: FileArgs,
    /// JSON: model preferences by category, e.g. '{"IMAGE":["generate_image_midjourney"]}'
    #[arg(long, value_name = "JSON")]
    pub prefer_models: Option<String>,
    /// Use only these tools, e.g. upscale_image
    #[arg(long, num_args = 0.., value_name = "TOOL", action = ArgAction::Set)]
    pub include_tools: Option<Vec<String>>,
    /// Never use these tools
    #[arg(long, num_args = 0.., value_name = "TOOL", action = ArgAction::Set)]
    pub exclude_tools: Option<Vec<String>>,
    /// Reasoning mode, locked per thread
    // The alias keeps `--m` meaning `--mode`, as it did before `--max-credits`.
    #[arg(long, value_enum, alias = "m")]
    pub mode: Option<ReasoningMode>,
    /// Confirm a pending high-cost step by itself when its estimated cost is at most N credits
    #[arg(long, value_name = "N")]
    pub max_credits: Option<f64>,
    /// (a prompt given without --prompt is refused with a tip)
    #[arg(hide = true, value_name = "PROMPT", value_parser = refuse_positional_prompt)]
    pub positional_prompt: Option<String>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// What to generate, in your words
    #[arg(long)]
    pub prompt: String,
    /// Project to work in [default: the active project, else a new one]
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::project_ids))]
    pub project_id: Option<String>,
    /// Continue this thread (full id or a unique prefix of a saved one)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::thread_ids))]
    pub thread_id: Option<String>,
    /// Image URLs or local files to work from (a local file is uploaded first)
    #[arg(long, num_args = 0.., value_name = "URL", action = ArgAction::Set, value_hint = ValueHint::Url)]
    pub attachments: Option<Vec<String>>,
    /// Reasoning mode, locked per thread
    #[arg(long, value_enum)]
    pub mode: Option<ReasoningMode>,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
    /// (a prompt given without --prompt is refused with a tip)
    #[arg(hide = true, value_name = "PROMPT", value_parser = refuse_positional_prompt)]
    pub positional_prompt: Option<String>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Prompt to send; without it, --thread-id is required
    #[arg(long)]
    pub prompt: Option<String>,
    /// Project to send into [default: the active project, else a new one]
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::project_ids))]
    pub project_id: Option<String>,
    /// Watch an existing thread (a unique prefix of a saved one works); with --prompt, the prompt is sent into it first
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::thread_ids))]
    pub thread_id: Option<String>,
    /// Image URLs or local files to work from (a local file is uploaded first)
    #[arg(long, num_args = 0.., value_name = "URL", action = ArgAction::Set, value_hint = ValueHint::Url)]
    pub attachments: Option<Vec<String>>,
    /// Folder the artifacts are downloaded to
    #[arg(long, value_name = "DIR", default_value = "/tmp/lovart", value_hint = ValueHint::DirPath)]
    pub output_dir: String,
    #[command(flatten)]
    pub files: FileArgs,
    /// Poll interval in seconds
    #[arg(long, value_name = "N", default_value = "3", value_parser = lovart_core::python::parse_int, allow_negative_numbers = true)]
    pub interval: i64,
    /// Reasoning mode, locked per thread
    #[arg(long, value_enum)]
    pub mode: Option<ReasoningMode>,
    /// Accepted for the skill file's sake: the output is always NDJSON
    #[arg(long)]
    pub json: bool,
    /// (a prompt given without --prompt is refused with a tip)
    #[arg(hide = true, value_name = "PROMPT", value_parser = refuse_positional_prompt)]
    pub positional_prompt: Option<String>,
}

#[derive(Debug, Args)]
pub struct UploadArtifactArgs {
    /// Project that gets the artifact
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::project_ids))]
    pub project_id: String,
    /// URL of the image or video
    #[arg(long, value_hint = ValueHint::Url)]
    pub url: String,
    /// What the URL holds
    #[arg(long = "type", value_enum, default_value = "image")]
    pub kind: ArtifactKind,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Local file to upload
    #[arg(long, value_hint = ValueHint::FilePath)]
    pub file: String,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConfirmArgs {
    /// Thread with a pending high-cost operation (a unique prefix of a saved one works)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::thread_ids))]
    pub thread_id: String,
    /// Print the whole result as JSON instead of text
    #[arg(long)]
    pub json: bool,
    /// Download artifacts after completion
    #[arg(long)]
    pub download: bool,
    /// Folder for --download
    #[arg(long, value_name = "DIR", default_value = "/tmp/lovart", value_hint = ValueHint::DirPath)]
    pub output_dir: String,
    #[command(flatten)]
    pub files: FileArgs,
    /// Confirm a further pending step by itself when its estimated cost is at most N credits
    #[arg(long, value_name = "N")]
    pub max_credits: Option<f64>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The thread to wait for (from `send`, `chat` or `threads`)
    #[arg(long)]
    pub thread_id: String,
    /// Print the result as JSON, as `chat --json` does
    #[arg(long)]
    pub json: bool,
    /// Download artifacts after completion
    #[arg(long)]
    pub download: bool,
    /// Folder for downloads
    #[arg(long, default_value = "/tmp/lovart")]
    pub output_dir: String,
    #[command(flatten)]
    pub files: FileArgs,
    /// Confirm a pending high-cost step by itself when its estimated cost is at most N credits
    #[arg(long, value_name = "N")]
    pub max_credits: Option<f64>,
}

#[derive(Debug, Args)]
pub struct SetModeArgs {
    /// Unlimited mode (queue, no credits)
    #[arg(long)]
    pub unlimited: bool,
    /// Fast mode (costs credits)
    #[arg(long)]
    pub fast: bool,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ThreadArgs {
    /// Thread id (full, or a unique prefix of a saved one: `lovart threads` shows them)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::thread_ids))]
    pub thread_id: String,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ResultArgs {
    /// Thread id (full, or a unique prefix of a saved one: `lovart threads` shows them)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::thread_ids))]
    pub thread_id: String,
    /// No effect: the result is always JSON
    #[arg(long)]
    pub json: bool,
    /// Download artifacts to local files
    #[arg(long)]
    pub download: bool,
    /// Folder for --download
    #[arg(long, value_name = "DIR", default_value = "/tmp/lovart", value_hint = ValueHint::DirPath)]
    pub output_dir: String,
    #[command(flatten)]
    pub files: FileArgs,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Artifact URLs to download
    #[arg(long, num_args = 1.., required = true, value_name = "URL", action = ArgAction::Set, value_hint = ValueHint::Url)]
    pub urls: Vec<String>,
    /// Folder the files go to
    #[arg(long, value_name = "DIR", default_value = "/tmp/lovart", value_hint = ValueHint::DirPath)]
    pub output_dir: String,
    #[command(flatten)]
    pub files: FileArgs,
    /// Start of each file name: <prefix>_<hash><extension>
    #[arg(long, default_value = "lovart")]
    pub prefix: String,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProjectAddArgs {
    /// Id of an existing project (from the Lovart web app or `lovart create-project`)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other)]
    pub project_id: String,
    /// Friendly name for the project
    #[arg(long, default_value = "")]
    pub name: String,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProjectIdArgs {
    /// Project id (project-switch also takes a unique prefix)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::project_ids))]
    pub project_id: String,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProjectRenameArgs {
    /// Project to rename
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::project_ids))]
    pub project_id: String,
    /// Its new name (also set on the server when keys are set)
    #[arg(long)]
    pub name: String,
    /// Print JSON (also a JSON error object on failure)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ThreadsArgs {
    /// Only this project's threads
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::project_ids))]
    pub project_id: Option<String>,
    /// Print the threads as JSON
    #[arg(long)]
    pub json: bool,
    /// Every project's threads
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct McpArgs {
    /// No effect: the server speaks JSON-RPC on stdout whatever is given
    #[arg(long)]
    pub json: bool,
    /// Serve over HTTP (Streamable HTTP at http://ADDR/mcp, ADDR by default
    /// 127.0.0.1:8733) instead of stdio; off loopback a token is required
    /// (every package has it; a source build needs the `http` feature)
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8733")]
    pub http: Option<String>,
    /// File of bearer tokens, one per line (`TOKEN` or `NAME TOKEN`) [default:
    /// the token in $LOVART_MCP_TOKEN]
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath, requires = "http")]
    pub token_file: Option<std::path::PathBuf>,
    /// Browser origins allowed to call, besides loopback pages (e.g.
    /// https://app.example.com)
    #[arg(long, value_name = "ORIGIN", num_args = 1.., requires = "http")]
    pub allow_origin: Vec<String>,
    /// The server's download folder over HTTP: a client's output_dir is a
    /// folder inside it
    #[arg(long, value_name = "DIR", default_value = "/tmp/lovart", value_hint = ValueHint::DirPath, requires = "http")]
    pub output_dir: std::path::PathBuf,
    /// Requests one client may have in flight at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..), requires = "http")]
    pub client_concurrency: u32,
    /// Requests one client may make per minute (0: no cap)
    #[arg(long, value_name = "N", default_value_t = 120, requires = "http")]
    pub client_rate: u32,
}

/// Whatever follows a command this build was made without (`sandbox`, `mcp`):
/// refused with how to get it.
#[cfg(not(all(feature = "sandbox", feature = "mcp")))]
#[derive(Debug, Args)]
pub struct NotBuiltArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback unless you ask otherwise)
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on
    #[arg(long, default_value_t = 8731)]
    pub port: u16,
    /// Advance generations one step per status poll instead of every 1.5 s
    /// (quick for tests and scripts that poll fast; `lovart chat` still waits
    /// its own 3 s polls and 5 s re-check)
    #[arg(long)]
    pub fast: bool,
    /// Folder that keeps projects, threads and files across restarts
    /// [default: ~/.local/share/lovart/sandbox]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath, conflicts_with = "ephemeral")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Keep everything in memory and forget it at exit (tests)
    #[arg(long)]
    pub ephemeral: bool,
    /// Multiply the rate-limit windows (0.01: a "minute" lasts 0.6 s)
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub rate_scale: f64,
}
