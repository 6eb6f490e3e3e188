//! Python compatibility: the one home of everything `lovart` does the way the
//! reference's Python does it, byte for byte.
//!
//! Agents and scripts compare `lovart`'s output with what `agent_skill.py`
//! printed, so its Python semantics live here and nowhere else: `json.dumps`
//! and `str()` ([`dumps_compact`], [`dumps_pretty`], [`py_str`]), a lenient
//! `json.loads` ([`loads`]), `str.strip()` and slicing by code points
//! ([`prefix_stripped`]), `os.path.splitext`/`join`, `urlencode`, argparse's
//! `int()` ([`parse_int`]) and truthiness (the wire contract's
//! [`lovart_wire::reply::is_set`], re-exported as [`is_truthy`]). This module is
//! a leaf: it imports nothing else of the crate.

mod int;
mod json;
mod loads;
mod path;
mod text;
mod url;

pub use int::parse_int;
pub use json::{dumps_compact, dumps_pretty, py_str};
pub use loads::{loads, loads_bytes, repair_lone_surrogates};
pub use lovart_wire::reply::is_set as is_truthy;
pub(crate) use path::{join, splitext_ext};
pub use text::prefix_stripped;
pub(crate) use text::{is_py_whitespace, os_error_text};
pub(crate) use url::urlencode;
