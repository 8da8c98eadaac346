//! One error type for every misuse of a tensor op, with messages that name the op,
//! the problem, the shapes and, when there is one, a hint.
//!
//! ```text
//! matmul: cannot multiply [32, 64] by [65, 10]: inner dimensions 64 and 65 differ
//! ```
//!
//! Programmer errors panic at once (`#[track_caller]` blames the caller's line); the
//! shape-checking ops also have `try_*` variants that return `Result<_, ShapeError>`.
//! The panicking op is always the `try_` op plus [`ShapeError::raise`]: one code path.
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
    /// Any other invalid argument (a negative step count, an empty list, ...).
    Value,
}

/// A misuse of a tensor op: which op, what went wrong (with the shapes) and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    /// The op that refused its arguments, e.g. `"matmul"`.
    pub op: &'static str,
    /// The kind of problem.
    pub kind: ErrorKind,
    /// The problem, with the shapes or values involved.
    pub message: String,
    /// What the caller can do about it, if anything obvious.
    pub hint: Option<String>,
}

impl ShapeError {
    /// An error of `kind` raised by `op`.
    pub fn new(op: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        ShapeError {
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

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, ". Hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ShapeError {}

/// Unwrap a `Result<T, ShapeError>`, panicking with the error's message at the caller.
pub trait OrRaise<T> {
    /// The value, or a panic carrying the error's message.
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T, ShapeError> {
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
        let e = ShapeError::new(
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
        let r: Result<(), ShapeError> = Err(ShapeError::new(
            "sum",
            ErrorKind::Dim,
            "dim 3 is out of range",
        ));
        r.or_raise();
    }
}
