//! Progress on stderr for a person at a terminal: a spinner with the thread's
//! status and the elapsed time while a generation runs. Nothing is drawn when
//! stderr is not a terminal or `--quiet` is given, so piped runs keep the
//! reference's bytes; `NO_COLOR` turns colour off.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::flow::poll::PollObserver;

/// Whether progress may use colour.
pub fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// A spinner showing `<label> · status <status> · <elapsed>`; inert when disabled.
pub struct Spinner {
    bar: Option<ProgressBar>,
    label: String,
}

impl Spinner {
    pub fn start(enabled: bool, label: &str) -> Self {
        let bar = enabled.then(|| {
            let template = if colour_allowed() {
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

    /// Removes the spinner from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl PollObserver for Spinner {
    fn status(&self, status: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} · status {status}", self.label));
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.finish();
    }
}
