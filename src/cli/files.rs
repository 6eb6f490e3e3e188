//! The options of the commands that keep and find files: `--name` and
//! `--sidecar` wherever files are downloaded, and the filters of `history`
//! and `gallery`.

use clap::{Args, ValueHint};
use clap_complete::engine::ArgValueCandidates;
use lovart_core::download::FileOptions;
use lovart_core::files::history::HistoryFilter;
use lovart_core::files::naming::{NAME_HELP, NameTemplate};
use lovart_core::files::record::Origin;

/// Where downloaded files go by name, and what is written beside them.
#[derive(Debug, Clone, Args)]
pub struct FileArgs {
    #[arg(long, value_name = "TEMPLATE", value_parser = NameTemplate::parse, help = NAME_HELP)]
    pub name: Option<NameTemplate>,
    /// Write <file>.json beside each downloaded file: prompt, thread, project,
    /// URL, type, MIME type, size, sha256, time, lovart version
    #[arg(long)]
    pub sidecar: bool,
}

/// The filters `history` and `gallery` share.
#[derive(Debug, Clone, Args)]
pub struct HistoryFilterArgs {
    /// Only files of this project (a prefix works)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::project_ids))]
    pub project: Option<String>,
    /// Only files of this thread (a prefix works)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCandidates::new(crate::cli::completion::thread_ids))]
    pub thread: Option<String>,
    /// Only files downloaded since T: 30m, 2h, 7d, 2026-11-29, 2026-11-29T14:00:00+01:00
    #[arg(long, value_name = "T", value_parser = lovart_core::files::history::parse_since)]
    pub since: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Only files of this type: image, video, audio, 3d, …
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub filter: HistoryFilterArgs,
    /// Print the records as JSON (each with "exists")
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GalleryArgs {
    #[command(flatten)]
    pub filter: HistoryFilterArgs,
    /// Where to write the page [default: gallery.html in the state folder]
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub out: Option<String>,
    /// Open the page in the default browser
    #[arg(long)]
    pub open: bool,
    /// Print {"gallery", "files", "threads"} as JSON instead of the path
    #[arg(long)]
    pub json: bool,
}

impl FileArgs {
    /// The download options these flags ask for, for files of `origin`.
    pub fn options(&self, origin: Origin) -> FileOptions {
        FileOptions {
            name: self.name.clone(),
            sidecar: self.sidecar,
            origin,
        }
    }
}

impl HistoryFilterArgs {
    /// The flags as a history filter (an empty value filters nothing).
    pub fn filter(&self) -> HistoryFilter {
        let given = |value: &Option<String>| value.clone().filter(|text| !text.is_empty());
        HistoryFilter {
            project_id: given(&self.project),
            thread_id: given(&self.thread),
            since: self.since,
            kind: given(&self.kind),
        }
    }
}
