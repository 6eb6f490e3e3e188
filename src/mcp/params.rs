//! The tools' arguments: serde types whose doc comments become the JSON
//! Schema `description`s an assistant reads. An `Option` or a
//! `#[serde(default)]` field is optional; unknown fields are refused, so a
//! misspelt option is an error the assistant sees rather than a silent no-op.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// Where downloads go unless `output_dir` says otherwise (the CLI's default).
pub const DEFAULT_OUTPUT_DIR: &str = "/tmp/lovart";

fn default_true() -> bool {
    true
}

/// The reasoning mode of a new thread.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Reasoning {
    /// Plans before generating (slower, better for complex briefs).
    Thinking,
    /// Generates at once.
    Fast,
}

/// The billing mode of the account.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BillingMode {
    /// Fast generation, paid with credits.
    Fast,
    /// Queued generation, no credits.
    Unlimited,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateParams {
    /// What to make, in natural language (the Lovart agent picks the model):
    /// e.g. "a poster of a cyberpunk cat, 3:4", "a 5 s video of waves at dusk".
    pub prompt: String,
    /// Continue this thread (from an earlier result) so the agent keeps its context,
    /// e.g. to edit the image it just made. Omit to start a new thread.
    #[serde(default)]
    pub thread_id: Option<String>,
    /// Project to work in. Omit to use the active project (one is created the first time).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Reference images or files: http(s) URLs, or local file paths (uploaded first).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// Reasoning mode, fixed for a thread by its first message.
    #[serde(default)]
    pub mode: Option<Reasoning>,
    /// Preferred models per category, e.g. {"IMAGE": ["generate_image_midjourney"]};
    /// the tool names come from the `models` tool.
    /// (Read in the client's order; the schema says what each value must be.)
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, Vec<String>>>")]
    pub prefer_models: Option<serde_json::Map<String, serde_json::Value>>,
    /// Use only these tools (names from `models`), e.g. ["upscale_image"].
    #[serde(default)]
    pub include_tools: Vec<String>,
    /// Never use these tools (names from `models`).
    #[serde(default)]
    pub exclude_tools: Vec<String>,
    /// Folder for downloaded files (default /tmp/lovart).
    #[serde(default)]
    pub output_dir: Option<String>,
    /// File name template inside output_dir, sub-folders allowed, e.g.
    /// "{project}/{date}/{prompt}-{index}.{ext}". Placeholders: {thread} {thread8}
    /// {index} {type} {prompt} {project} {date} {time} {ext}. Default: lovart_<hash>.<ext>.
    #[serde(default)]
    pub name: Option<String>,
    /// Write <file>.json beside each file: prompt, thread, project, URL, type,
    /// MIME type, size, sha256, time (default false).
    #[serde(default)]
    pub sidecar: bool,
    /// Download the results and show the images (default true).
    #[serde(default = "default_true")]
    pub download: bool,
    /// Seconds this call may wait for the generation (default 45, at least 1). If the
    /// job is not done by then, the result has final_status "running": call `wait`.
    #[serde(default)]
    pub wait_seconds: Option<f64>,
    /// Confirm a high-cost step by itself when its estimated cost is at most this many
    /// credits. Only set it when the user gave you this budget.
    #[serde(default)]
    pub max_credits: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitParams {
    /// The thread to wait for (from `generate`).
    pub thread_id: String,
    /// Seconds this call may wait (default 45, at least 1); final_status "running"
    /// means call `wait` again.
    #[serde(default)]
    pub wait_seconds: Option<f64>,
    /// Download the results and show the images (default true).
    #[serde(default = "default_true")]
    pub download: bool,
    /// Folder for downloaded files (default /tmp/lovart).
    #[serde(default)]
    pub output_dir: Option<String>,
    /// File name template inside output_dir, sub-folders allowed, e.g.
    /// "{project}/{date}/{prompt}-{index}.{ext}". Placeholders: {thread} {thread8}
    /// {index} {type} {prompt} {project} {date} {time} {ext}. Default: lovart_<hash>.<ext>.
    #[serde(default)]
    pub name: Option<String>,
    /// Write <file>.json beside each file: prompt, thread, project, URL, type,
    /// MIME type, size, sha256, time (default false).
    #[serde(default)]
    pub sidecar: bool,
    /// Confirm a high-cost step by itself when its estimated cost is at most this many
    /// credits. Only set it when the user gave you this budget.
    #[serde(default)]
    pub max_credits: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmParams {
    /// The thread whose pending high-cost step the user approved.
    pub thread_id: String,
    /// Seconds this call may wait after confirming (default 45, at least 1);
    /// final_status "running" means call `wait`.
    #[serde(default)]
    pub wait_seconds: Option<f64>,
    /// Download the results and show the images (default true).
    #[serde(default = "default_true")]
    pub download: bool,
    /// Folder for downloaded files (default /tmp/lovart).
    #[serde(default)]
    pub output_dir: Option<String>,
    /// File name template inside output_dir, sub-folders allowed, e.g.
    /// "{project}/{date}/{prompt}-{index}.{ext}". Placeholders: {thread} {thread8}
    /// {index} {type} {prompt} {project} {date} {time} {ext}. Default: lovart_<hash>.<ext>.
    #[serde(default)]
    pub name: Option<String>,
    /// Write <file>.json beside each file: prompt, thread, project, URL, type,
    /// MIME type, size, sha256, time (default false).
    #[serde(default)]
    pub sidecar: bool,
    /// Confirm a further high-cost step by itself when it costs at most this many credits.
    #[serde(default)]
    pub max_credits: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultParams {
    /// The thread whose result to fetch.
    pub thread_id: String,
    /// Also download its artifacts and show the images (default false).
    #[serde(default)]
    pub download: bool,
    /// Folder for downloaded files (default /tmp/lovart).
    #[serde(default)]
    pub output_dir: Option<String>,
    /// File name template inside output_dir, sub-folders allowed, e.g.
    /// "{project}/{date}/{prompt}-{index}.{ext}". Placeholders: {thread} {thread8}
    /// {index} {type} {prompt} {project} {date} {time} {ext}. Default: lovart_<hash>.<ext>.
    #[serde(default)]
    pub name: Option<String>,
    /// Write <file>.json beside each file: prompt, thread, project, URL, type,
    /// MIME type, size, sha256, time (default false).
    #[serde(default)]
    pub sidecar: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadParams {
    /// The thread id (from `generate` or `threads`).
    pub thread_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// Path of a local file (image, video, audio) to upload.
    pub path: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelsParams {
    /// Only this category, e.g. "IMAGE", "VIDEO", "3D" (any case).
    #[serde(default)]
    pub category: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadsParams {
    /// Threads of this project (default: the active project).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Threads of every project.
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetModeParams {
    /// "fast" (paid with credits) or "unlimited" (queued, no credits).
    pub mode: BillingMode,
}

/// `name` and `sidecar` of a tool call as download options; a bad template
/// is the caller's input error.
pub fn file_options(
    name: Option<&str>,
    sidecar: bool,
    origin: lovart_core::files::record::Origin,
) -> anyhow::Result<lovart_core::download::FileOptions> {
    let name = name
        .map(lovart_core::files::naming::NameTemplate::parse)
        .transpose()
        .map_err(|why| lovart_core::failure::InvalidInput(format!("name: {why}")))?;
    Ok(lovart_core::download::FileOptions {
        name,
        sidecar,
        origin,
    })
}
