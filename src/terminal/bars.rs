//! The bars a person at a terminal sees: one per download (bytes, rate) and
//! the batch's line (rows settled of all, running, queued, rate-limit waits).
//! Nothing is drawn when `Progress::Off`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use lovart_core::progress::Progress;

use super::lock;

/// The downloads' bars, keyed by transfer id.
pub struct Transfers {
    /// `None` when nothing may be drawn.
    group: Option<MultiProgress>,
    colour: bool,
    bars: Mutex<HashMap<u64, ProgressBar>>,
}

impl Transfers {
    pub fn new(progress: Progress) -> Self {
        Self {
            group: progress
                .enabled()
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            colour: progress.colour(),
            bars: Mutex::new(HashMap::new()),
        }
    }

    /// A bar for a transfer of `total` bytes (a spinner when unknown).
    pub fn start(&self, id: u64, name: &str, total: Option<u64>) {
        let Some(group) = &self.group else { return };
        let bar_style = if self.colour {
            "{bar:24.cyan/blue}"
        } else {
            "{bar:24}"
        };
        // Added to the group before anything is set, so that no line is drawn
        // outside the group (it would stay on the screen).
        let (bar, template) = match total {
            Some(total) => (
                group.add(ProgressBar::new(total)),
                format!(
                    "{{msg:30!}} {bar_style} {{bytes:>10}}/{{total_bytes:<10}} {{bytes_per_sec:>12}}"
                ),
            ),
            None => (
                group.add(ProgressBar::new_spinner()),
                "{msg:30!} {spinner} {bytes:>10} {bytes_per_sec:>12}".to_string(),
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_string());
        lock(&self.bars).insert(id, bar);
    }

    pub fn progress(&self, id: u64, bytes: u64) {
        if let Some(bar) = lock(&self.bars).get(&id) {
            bar.set_position(bytes);
        }
    }

    /// Takes the transfer's bar off the screen, whether it finished or failed.
    pub fn end(&self, id: u64) {
        let (Some(group), Some(bar)) = (&self.group, lock(&self.bars).remove(&id)) else {
            return;
        };
        bar.finish_and_clear();
        group.remove(&bar);
    }
}

/// The batch's progress line, made at its first update.
pub struct BatchBar {
    progress: Progress,
    bar: Mutex<Option<ProgressBar>>,
}

impl BatchBar {
    pub fn new(progress: Progress) -> Self {
        Self {
            progress,
            bar: Mutex::new(None),
        }
    }

    /// Rows settled of `total`, running, and (sends, queries) waiting for the rate limit.
    pub fn update(&self, settled: usize, running: usize, total: usize, waiting: (usize, usize)) {
        if !self.progress.enabled() {
            return;
        }
        let mut slot = lock(&self.bar);
        let bar = slot.get_or_insert_with(|| {
            let bar = ProgressBar::new(total as u64);
            let template = "{bar:30} {pos}/{len} · {msg} · {elapsed}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let queued = total.saturating_sub(settled + running);
        let waits = match waiting {
            (0, 0) => String::new(),
            (chat, query) => {
                format!(" · waiting for the rate limit: {chat} sends, {query} queries")
            }
        };
        bar.set_position(settled as u64);
        bar.set_message(format!("{running} running · {queued} queued{waits}"));
    }

    /// Runs `print` with the line off the screen.
    pub fn suspend(&self, print: impl FnOnce()) {
        match lock(&self.bar).as_ref() {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = lock(&self.bar).take() {
            bar.finish_and_clear();
        }
    }
}
