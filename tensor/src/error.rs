//! The framework's one error type: every misuse of an op and every failed file
//! operation is an [`Error`] of some [`ErrorKind`] (shape, dim, index, dtype, value,
//! io, memory), with a message that names the op, the problem, the shapes and, when
//! there is one, a hint.
//!
//! ```text
//! matmul: cannot multiply [32, 64] by [65, 10]: inner dimensions 64 and 65 differ
//! ```
//!
//! Programmer errors panic at once (`#[track_caller]` blames the caller's line); the
//! shape-checking ops also have `try_*` variants that return `Result<_, Error>`.
//! The panicking op is always the `try_` op plus [`Error::raise`]: one code path.
//! Read next: [`crate::shape`], the checks that produce these errors.

use std::fmt;

/// What kind of misuse an error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Shapes that do not fit the op (broadcast, matmul, reshape, cat, ...).
    Shape,
    /// A dimension index out of range.
    Dim,
    /// An element index out of range (index_select, gather, one_hot, narrow).
    Index,
    /// Two tensors of different dtypes, or a dtype the op does not accept.
    DType,
    /// Any other invalid argument (a negative step count, an empty list, a learning
    /// rate below zero, `backward` on a non-scalar, ...).
    Value,
    /// A file that cannot be read or written, or whose contents are not what the op
    /// expects (a checkpoint, a data set).
    Io,
    /// A tensor larger than the memory the machine can give (PyTorch's "not enough
    /// memory"): a valid shape, too big to allocate. The `try_*` twins of the
    /// constructors return it, so a program can fall back to a smaller request.
    Memory,
}

/// A misuse of an op or a failed file operation: which op, what kind of problem, what
/// went wrong (with the shapes or the file) and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The op that refused its arguments, e.g. `"matmul"`.
    pub op: &'static str,
    /// The kind of problem.
    pub kind: ErrorKind,
    /// The problem, with the shapes or values involved.
    pub message: String,
    /// What the caller can do about it, if anything obvious.
    pub hint: Option<String>,
}

impl Error {
    /// An error of `kind` raised by `op`.
    pub fn new(op: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            op,
            kind,
            message: message.into(),
            hint: None,
        }
    }

    /// Add a hint telling the caller what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Panic with this error's message. Used by every panicking op on its `try_` twin.
    #[track_caller]
    pub fn raise(self) -> ! {
        panic!("{self}")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, ". Hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Unwrap a `Result<T, Error>`, panicking with the error's message at the caller.
pub trait OrRaise<T> {
    /// The value, or a panic carrying the error's message.
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T, Error> {
    #[track_caller]
    fn or_raise(self) -> T {
        match self {
            Ok(value) => value,
            Err(e) => e.raise(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_op_message_and_hint() {
        let e = Error::new(
            "matmul",
            ErrorKind::Shape,
            "cannot multiply [2, 3] by [4, 5]",
        )
        .with_hint("transpose one operand");
        assert_eq!(
            e.to_string(),
            "matmul: cannot multiply [2, 3] by [4, 5]. Hint: transpose one operand"
        );
    }

    #[test]
    #[should_panic(expected = "sum: dim 3 is out of range")]
    fn raise_panics_with_the_message() {
        let r: Result<(), Error> = Err(Error::new("sum", ErrorKind::Dim, "dim 3 is out of range"));
        r.or_raise();
    }
}
