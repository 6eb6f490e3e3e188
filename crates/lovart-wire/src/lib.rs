//! The Lovart Agent OpenAPI as both of its speakers see it.
//!
//! The `lovart` client and its sandbox server import this crate and nothing of
//! each other, so a change to the contract is made once and both sides follow:
//! [`paths`] names every endpoint and header, [`sign`] owns the HMAC,
//! [`envelope`] the `{code, message, data}` wrapper and error bodies,
//! [`reply`] typed read-only views of the answers the flows read (result,
//! artifact, status, validation), and [`catalog`] the built-in model table.
//!
//! Nothing here formats text for a user: Python-compatible printing is the
//! client's concern.

#![warn(missing_docs)]

pub mod catalog;
pub mod envelope;
pub mod paths;
pub mod reply;
pub mod sign;
