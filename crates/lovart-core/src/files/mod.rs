//! Files people can find again: names they choose ([`naming`]), the
//! provenance of each downloaded file ([`record`]: the sidecar and the history
//! line share one versioned shape), the download history ([`history`]) and
//! the gallery page over it ([`gallery`]).
//!
//! All of it is opt-in or additive: without `--name` a download keeps the
//! reference's file name byte for byte, a sidecar is written only when asked
//! for, and the history lives in its own file beside `state.json`.

pub mod gallery;
pub mod history;
pub(crate) mod media;
pub mod naming;
pub mod record;
