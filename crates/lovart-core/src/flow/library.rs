//! What `history` and `gallery` share: the download history of this state
//! folder, filtered by their flags, newest first, each record with whether
//! its file is still there.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use crate::files::history::{History, HistoryFilter, newest_first};
use crate::settings::Settings;

/// The history of the state folder `ctx` uses.
pub fn history(ctx: &Settings) -> History {
    ctx.history()
}

/// The records that pass `filter`, newest first, each with whether its
/// `local_path` is still a file.
pub fn listed(ctx: &Settings, filter: &HistoryFilter) -> Result<Vec<(Value, bool)>> {
    let records = history(ctx).read()?;
    Ok(newest_first(records, filter)
        .into_iter()
        .map(|record| {
            let exists = record
                .get("local_path")
                .and_then(Value::as_str)
                .is_some_and(|path| Path::new(path).is_file());
            (record, exists)
        })
        .collect())
}
