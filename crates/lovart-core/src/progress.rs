//! Progress on stderr for a person at a terminal: a spinner with the thread's
//! status and the elapsed time while a generation runs (or `watch` follows
//! one, or a project is checked). After a first "done" the spinner says that
//! lovart re-checks before it trusts it, as the reference's poll does. Nothing is drawn when
//! stderr is not a terminal or `--quiet` is given, so piped runs keep the
//! reference's bytes; `NO_COLOR` turns colour off.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::flow::poll::PollObserver;

/// What may be drawn on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing (not a terminal, or `--quiet`).
    Off,
    /// Spinners and bars without colour (`NO_COLOR`).
    Plain,
    /// Spinners and bars in colour.
    Colour,
}

impl Progress {
    /// Whether anything is drawn.
    pub fn enabled(self) -> bool {
        self != Self::Off
    }

    /// Whether colour is used.
    pub fn colour(self) -> bool {
        self == Self::Colour
    }
}

/// A spinner showing `<label> · status <status> · <elapsed>`; inert when disabled.
pub struct Spinner {
    bar: Option<ProgressBar>,
    label: String,
}

impl Spinner {
    /// Starts a spinner saying `label` (ticking every 120 ms) when `progress`
    /// is enabled; otherwise a spinner that draws nothing.
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

impl PollObserver for Spinner {
    fn status(&self, status: &str) {
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
