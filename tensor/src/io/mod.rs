//! Saving and loading tensors: state dicts and safetensors files. They live here, below
//! every crate that needs them (`nn` saves modules, `optim` saves optimizer state), so
//! that neither of those depends on the other.
//!
//! ```text
//! StateDict         names → tensors, sorted by name:
//!                   "0.weight" [8, 4], "0.bias" [8], "state.0.exp_avg" [8, 4], "lr" [], ...
//! save_state_dict   StateDict → a safetensors file, written atomically (never half a file)
//! load_file         a safetensors file → StateDict
//! StateDictReader   copies a StateDict into a module or an optimizer, name by name, and
//!                   reports every missing name, unexpected name and wrong shape at once
//! ```
//! Every failure is an [`Error`] of kind [`ErrorKind::Io`] whose message names the file
//! (or the state dict) and the problem, e.g.
//! `load_file: model.safetensors: cannot read: No such file or directory (os error 2)`.
//! Read next: [`state_dict`], then [`safetensors`], then [`atomic`].

pub mod atomic;
pub mod safetensors;
pub mod state_dict;

use std::fmt::Display;
use std::path::Path;

use crate::error::{Error, ErrorKind};

pub use self::atomic::write_atomic;
pub use self::safetensors::{load_file, save_state_dict};
pub use self::state_dict::{StateDict, StateDictReader};

/// An [`ErrorKind::Io`] error of `op` about the file at `path`:
/// `"<op>: <path>: <problem>"`.
///
/// # Examples
/// ```
/// use std::path::Path;
/// let e = ferrograd::tensor::io::file_error("load_file", Path::new("m.safetensors"), "cannot read");
/// assert_eq!(e.to_string(), "load_file: m.safetensors: cannot read");
/// ```
pub fn file_error(op: &'static str, path: &Path, problem: impl Display) -> Error {
    Error::new(op, ErrorKind::Io, format!("{}: {problem}", path.display()))
}

/// `error` (say, a state dict that does not fit) as an error of `op` about the
/// checkpoint file at `path` it came from; its kind and hint are kept.
///
/// # Examples
/// ```
/// use std::path::Path;
/// use ferrograd::tensor::{Error, ErrorKind};
/// let e = Error::new("load_state_dict", ErrorKind::Io, "missing: bias");
/// let e = ferrograd::tensor::io::in_checkpoint(e, "load", Path::new("m.safetensors"));
/// assert_eq!(e.to_string(), "load: checkpoint m.safetensors: missing: bias");
/// ```
pub fn in_checkpoint(error: Error, op: &'static str, path: &Path) -> Error {
    Error {
        op,
        message: format!("checkpoint {}: {}", path.display(), error.message),
        ..error
    }
}
