//! What a front end may draw for a person at a terminal (spinners, bars),
//! as resolved into [`crate::settings::Settings::progress`]: nothing when
//! stderr is not a terminal or `--quiet` is given, so piped runs keep the
//! reference's bytes; no colour with `NO_COLOR`. The engine itself draws
//! nothing: it reports [`crate::events::Event`]s.

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
