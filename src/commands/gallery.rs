//! `gallery`: one self-contained HTML page of the downloaded files (the
//! history, filtered), grouped by thread, newest first; optionally opened.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use crate::cli::GalleryArgs;
use crate::terminal::print_line;
use lovart_core::files::gallery::{GalleryEntry, render_gallery};
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub fn run(args: GalleryArgs, ctx: &Settings) -> Result<()> {
    let filter = args.filter.filter();
    let entries: Vec<GalleryEntry> = lovart_core::flow::library::listed(ctx, &filter)?
        .into_iter()
        .map(|(record, exists)| GalleryEntry { record, exists })
        .collect();
    let out = match &args.out {
        Some(out) => PathBuf::from(out),
        None => lovart_core::flow::library::history(ctx)
            .path()
            .with_file_name("gallery.html"),
    };
    let out = std::path::absolute(&out).unwrap_or(out);
    let folder = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    let generated_at = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
    let page = render_gallery(&entries, folder, &generated_at, &filter.describe());
    std::fs::write(&out, page).with_context(|| format!("cannot write {}", out.display()))?;
    let threads: std::collections::HashSet<&str> = entries
        .iter()
        .map(|entry| {
            entry
                .record
                .get("thread_id")
                .and_then(|id| id.as_str())
                .unwrap_or("")
        })
        .collect();
    if args.json {
        print_line(&dumps_pretty(
            &json!({"gallery": out.display().to_string(), "files": entries.len(), "threads": threads.len()}),
            false,
        ));
    } else {
        print_line(&out.display().to_string());
    }
    if args.open {
        open_in_browser(&out);
    }
    Ok(())
}

/// How long `--open` waits to hear whether the system's opener failed.
const OPENER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Hands the page to the system's opener; a failure is a warning (the page
/// is written and its path printed).
fn open_in_browser(page: &Path) {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut command = std::process::Command::new("cmd");
        command.args(["/C", "start", ""]);
        command
    } else {
        std::process::Command::new("xdg-open")
    };
    let warn = |why: &dyn std::fmt::Display| {
        eprintln!(
            "warning: could not open {} in a browser: {why}; open the file by hand",
            page.display()
        );
    };
    let mut opener = match command
        .arg(page)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(opener) => opener,
        Err(why) => return warn(&why),
    };
    // An opener hands the page on and exits; one that fails (no browser) says
    // so by its exit status. One still running after a moment (a browser in
    // the terminal) is left alone.
    let until = std::time::Instant::now() + OPENER_WAIT;
    while std::time::Instant::now() < until {
        match opener.try_wait() {
            Ok(Some(status)) if status.success() => return,
            Ok(Some(status)) => return warn(&format!("the opener failed ({status})")),
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(why) => return warn(&why),
        }
    }
}
