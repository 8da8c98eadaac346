//! Pure shape rules, checked before any data is touched: negative dims, NumPy
//! broadcasting, element counts. Each returns `Result<_, Error>` naming the op.
//!
//! ```text
//! broadcasting (NumPy / PyTorch): align shapes on the right; each pair of sizes
//! must be equal or one of them 1; the result takes the larger.
//!     [4, 1, 3]
//!        [5, 1]
//!     ---------
//!     [4, 5, 3]
//! ```
//! Read next: [`crate::elementwise`], which applies these rules.

use crate::error::{Error, ErrorKind, OrRaise};

/// Turn a possibly negative `dim` into an index in `0..ndim` (`-1` is the last dim).
///
/// # Errors
/// A [`ErrorKind::Dim`] error naming `op`, the dim and the shape when out of range.
pub fn normalize_dim(op: &'static str, dim: isize, shape: &[usize]) -> Result<usize, Error> {
    normalize_dim_for_rank(op, dim, shape.len(), shape)
}

/// Like [`normalize_dim`] for an op that inserts a dim (`unsqueeze`, `stack`), where
/// `dim` may also equal `ndim` (or `-(ndim + 1)`).
///
/// # Errors
/// A [`ErrorKind::Dim`] error when `dim` is outside `-(ndim+1)..=ndim`.
pub fn normalize_insert_dim(op: &'static str, dim: isize, shape: &[usize]) -> Result<usize, Error> {
    normalize_dim_for_rank(op, dim, shape.len() + 1, shape)
}

fn normalize_dim_for_rank(
    op: &'static str,
    dim: isize,
    rank: usize,
    shape: &[usize],
) -> Result<usize, Error> {
    let rank_i = rank as isize;
    let index = if dim < 0 { dim + rank_i } else { dim };
    if rank == 0 || index < 0 || index >= rank_i {
        let valid = if rank == 0 {
            "a 0-d tensor has no dims".to_string()
        } else {
            format!("valid dims are {}..={}", -rank_i, rank_i - 1)
        };
        return Err(Error::new(
            op,
            ErrorKind::Dim,
            format!("dim {dim} is out of range for shape {shape:?} ({valid})"),
        ));
    }
    Ok(index as usize)
}

/// Normalize a list of dims and check they are distinct.
///
/// # Errors
/// A [`ErrorKind::Dim`] error for an out-of-range or repeated dim.
pub fn normalize_dims(
    op: &'static str,
    dims: &[isize],
    shape: &[usize],
) -> Result<Vec<usize>, Error> {
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let n = normalize_dim(op, d, shape)?;
        if out.contains(&n) {
            return Err(Error::new(
                op,
                ErrorKind::Dim,
                format!("dim {d} appears more than once in {dims:?} (shape {shape:?})"),
            ));
        }
        out.push(n);
    }
    Ok(out)
}

/// The shape two operands broadcast to, following NumPy's rules.
///
/// # Errors
/// A [`ErrorKind::Shape`] error naming both shapes and the first incompatible dim.
pub fn broadcast_shapes(
    op: &'static str,
    lhs: &[usize],
    rhs: &[usize],
) -> Result<Vec<usize>, Error> {
    let rank = lhs.len().max(rhs.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        // Walk from the right: i-th dim from the end, 1 where a shape is shorter.
        let l = if i < lhs.len() {
            lhs[lhs.len() - 1 - i]
        } else {
            1
        };
        let r = if i < rhs.len() {
            rhs[rhs.len() - 1 - i]
        } else {
            1
        };
        out[rank - 1 - i] = match (l, r) {
            (a, b) if a == b => a,
            (1, b) => b,
            (a, 1) => a,
            (a, b) => {
                return Err(Error::new(
                    op,
                    ErrorKind::Shape,
                    format!(
                        "shapes {lhs:?} and {rhs:?} cannot be broadcast: \
                         dim {} from the end has sizes {a} and {b}",
                        i + 1
                    ),
                )
                .with_hint("sizes must be equal or one of them 1; use unsqueeze to add a dim"));
            }
        };
    }
    try_numel(op, &out)?; // [2³², 1] and [1, 2³²] are fine alone, not together
    Ok(out)
}

/// Check that `shape` can be broadcast *to* `target` (one-sided: only `shape`'s
/// size-1 or missing dims may grow).
///
/// # Errors
/// A [`ErrorKind::Shape`] error naming both shapes.
pub fn check_broadcast_to(
    op: &'static str,
    shape: &[usize],
    target: &[usize],
) -> Result<(), Error> {
    let fits = shape.len() <= target.len()
        && shape
            .iter()
            .rev()
            .zip(target.iter().rev())
            .all(|(&s, &t)| s == t || s == 1);
    if fits {
        Ok(())
    } else {
        Err(Error::new(
            op,
            ErrorKind::Shape,
            format!("cannot broadcast shape {shape:?} to {target:?}"),
        )
        .with_hint("each dim must equal the target's or be 1, aligned from the right"))
    }
}

/// Number of elements of a shape (1 for a 0-d scalar), refused when no tensor can
/// have that shape:
/// ```text
/// numel = d₀ · d₁ · … · dₙ₋₁,   each product checked (a plain `*` wraps silently in
///                               release builds: [2³², 2³²] would count 0 elements)
/// the product of the nonzero dims must be ≤ isize::MAX = 2⁶³ − 1, ndarray's limit
/// ```
///
/// # Errors
/// A [`ErrorKind::Shape`] error naming `op` and the shape when the count overflows.
pub fn try_numel(op: &'static str, shape: &[usize]) -> Result<usize, Error> {
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| isize::try_from(n).is_ok());
    match nonzero {
        Some(_) if shape.contains(&0) => Ok(0),
        Some(n) => Ok(n),
        None => Err(Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "shape {shape:?} has more elements than any tensor can hold (the product of its \
                 sizes exceeds 2⁶³ − 1)"
            ),
        )
        .with_hint("a size is probably wrong: check the arithmetic that computed the shape")),
    }
}

/// Number of elements of a shape that is known to be valid (a tensor's, or one
/// [`try_numel`] accepted); 1 for a 0-d scalar.
///
/// # Panics
/// If the count overflows (see [`try_numel`]).
#[track_caller]
pub fn numel(shape: &[usize]) -> usize {
    try_numel("numel", shape).or_raise()
}

/// The index (one coordinate per dim) of the element at row-major position `flat`,
/// as NumPy's `unravel_index`: for shape `[2, 3]`, position 4 is `[1, 1]`. For
/// messages that say where a bad value is.
///
/// ```text
/// index[d] = (flat / (shape[d+1] · … · shape[n−1])) mod shape[d]
/// ```
///
/// ```
/// assert_eq!(tensor::shape::unravel_index(4, &[2, 3]), vec![1, 1]);
/// ```
pub fn unravel_index(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        index[d] = flat % shape[d];
        flat /= shape[d];
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_dims_count_from_the_end() {
        assert_eq!(normalize_dim("t", -1, &[2, 3, 4]).unwrap(), 2);
        assert_eq!(normalize_dim("t", -3, &[2, 3, 4]).unwrap(), 0);
        assert_eq!(normalize_insert_dim("t", -1, &[2, 3]).unwrap(), 2);
        let e = normalize_dim("sum", 3, &[2, 3, 4]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sum: dim 3 is out of range for shape [2, 3, 4] (valid dims are -3..=2)"
        );
        assert!(normalize_dim("sum", 0, &[]).is_err());
    }

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(
            broadcast_shapes("add", &[4, 1, 3], &[5, 1]).unwrap(),
            vec![4, 5, 3]
        );
        assert_eq!(broadcast_shapes("add", &[], &[2]).unwrap(), vec![2]);
        let e = broadcast_shapes("add", &[2, 3], &[4]).unwrap_err();
        assert!(e.to_string().contains("[2, 3] and [4]"), "{e}");
        assert!(check_broadcast_to("expand", &[3, 1], &[2, 3, 5]).is_ok());
        assert!(check_broadcast_to("expand", &[3, 2], &[3, 5]).is_err());
    }

    #[test]
    fn element_counts_are_checked_not_wrapped() {
        assert_eq!(try_numel("t", &[]).unwrap(), 1);
        assert_eq!(try_numel("t", &[3, 0, 5]).unwrap(), 0);
        assert_eq!(try_numel("t", &[1 << 31, 1 << 31]).unwrap(), 1 << 62);
        // 2³² · 2³² wraps to 0 with a plain product
        let e = try_numel("zeros", &[1 << 32, 1 << 32]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Shape);
        assert!(
            e.to_string().starts_with(
                "zeros: shape [4294967296, 4294967296] has more elements than any tensor can hold"
            ),
            "{e}"
        );
        assert!(try_numel("t", &[1 << 32, 1 << 31]).is_err()); // 2⁶³ > isize::MAX
        assert!(try_numel("t", &[1 << 40, 1 << 40, 0]).is_err()); // as ndarray refuses it
        let e = broadcast_shapes("add", &[1 << 32, 1], &[1, 1 << 32]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("add: shape [4294967296, 4294967296]"),
            "{e}"
        );
    }

    #[test]
    fn repeated_dims_are_rejected() {
        assert!(normalize_dims("permute", &[0, -2], &[2, 3]).is_err());
        assert_eq!(
            normalize_dims("permute", &[1, 0], &[2, 3]).unwrap(),
            vec![1, 0]
        );
    }
}
