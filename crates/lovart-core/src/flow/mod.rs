//! The steps commands share, so that no command imports another.
//!
//! A command parses its options, calls these steps in its order, and prints.
//! [`generate`] is the use case `chat` and MCP `generate` share (send, then
//! close after the wait), [`generation`] the typed values a wait returns; [`project`] finds, validates, creates and names the
//! project a prompt goes into; [`send`] builds the one `POST /chat` request and records the sent
//! thread at once; [`poll`] waits for a thread to settle; [`outcome`] shapes
//! a settled thread's output and downloads its artifacts; [`interrupt`] turns
//! a stop mid-generation into a resume hint; [`hints`] says what a person
//! at a terminal can do next; [`threads`] turns a typed thread-id prefix into
//! the saved thread's id; [`batch`] runs many prompts within the rate limits,
//! resumably; [`watch`] follows a thread with the same poll, downloading each
//! artifact as it lands.

pub mod batch;
pub mod generate;
pub mod generation;
pub mod hints;
pub mod interrupt;
pub mod library;
pub mod outcome;
pub mod poll;
pub mod project;
pub mod send;
pub mod settle;
pub mod threads;
pub mod watch;
