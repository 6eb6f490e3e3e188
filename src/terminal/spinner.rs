//! The spinner a person at a terminal sees while a generation runs (or
//! `watch` follows one, or a project is checked): the thread's status and the
//! elapsed time. After a first "done" it says that lovart re-checks before it
//! trusts it, as the reference's poll does. Inert when nothing may be drawn
//! (`Progress::Off`: not a terminal, or `--quiet`); no colour with `NO_COLOR`.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use lovart_core::progress::Progress;

/// A spinner showing `<label> · status <status> · <elapsed>`; inert when disabled.
pub struct Spinner {
    bar: Option<ProgressBar>,
    label: String,
}

impl Spinner {
    /// Starts drawing `label` (nothing when `progress` is off).
    pub fn start(progress: Progress, label: &str) -> Self {
        let bar = progress.enabled().then(|| {
            let template = if progress.colour() {
                "{spinner:.cyan} {msg} · {elapsed}"
            } else {
                "{spinner} {msg} · {elapsed}"
            };
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            label: label.to_string(),
        }
    }

    /// Runs `print` with the spinner off the screen, so that a line written
    /// to the same terminal (stdout) is not mixed with it.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Replaces the spinner's words.
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
    }

    /// Removes the spinner from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The spinner's words for a status: a first "done" is re-checked after a
/// pause (a follow-up step, such as a video, may still start), so say so.
pub fn status_message(label: &str, status: &str) -> String {
    match status {
        "done" => format!("{label} · done · re-checking in a moment that nothing follows"),
        _ => format!("{label} · status {status}"),
    }
}

impl Spinner {
    /// Shows the thread's status word.
    pub fn status(&self, status: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(status_message(&self.label, status));
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recheck_after_done_is_labelled() {
        assert_eq!(
            status_message("generating", "running"),
            "generating · status running"
        );
        assert!(status_message("generating", "done").contains("re-checking"));
    }
}
