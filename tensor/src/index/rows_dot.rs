//! `rows_dot` and `scaled_rows`: dot products of rows picked from two tables, and rows
//! picked and scaled — word2vec's logit and its gradient, without writing the looked-up
//! rows out first.
//!
//! ```text
//! rows_dot:     A: [V_a, C], i: [..] in 0..V_a, B: [V_b, C], j: [..] in 0..V_b  →  y: [..]
//!               y[n] = Σ_c A[i[n], c] · B[j[n], c]
//!             = (A.index_select(0, i) ⊙ B.index_select(0, j)).sum(−1)
//! scaled_rows:  A: [V, C], i: [..], s: [..] (i's shape)                        →  [.., C]
//!               out[n, :] = s[n] · A[i[n], :]
//!             = A.index_select(0, i) ⊙ s[.., None]
//! ```
//! The composite writes two `[N, C]` lookups and their `[N, C]` product to get `N`
//! numbers; `rows_dot` reads each pair of rows once, in place, and writes `N`. Its
//! gradient with respect to a row of A is a row of B times the incoming gradient, which
//! is `scaled_rows` (autograd's `ops::embedding_dot` uses both). Index tensors are i64,
//! checked to be in range before any row is read, like `index_select`'s.

use super::index_values;
use crate::dtype::{DType, Float};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::lanes::{as_slice, dot};
use crate::tensor::{Tensor, check_float, check_same_dtype};

/// Check that `table` is a float `[V, C]` table and return the values of `index` as
/// row numbers in `0..V` (`op` names the caller in errors; `bag_sum` shares it).
pub(super) fn rows_of(
    op: &'static str,
    table: &Tensor,
    index: &Tensor,
) -> Result<Vec<usize>, Error> {
    check_float(op, table)?;
    let &[rows, _] = table.shape() else {
        return Err(Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "the table must be 2-D [V, C], got shape {:?}",
                table.shape()
            ),
        )
        .with_hint("one row of C features per index in 0..V"));
    };
    index_values(
        op,
        index,
        rows,
        &|| format!("a table of {rows} rows"),
        &|| {
            format!(
                "table shape {:?}, index shape {:?}",
                table.shape(),
                index.shape()
            )
        },
    )
}

/// `y[n] = ⟨a[i[n]], b[j[n]]⟩` over contiguous tables of `c` columns.
fn dots<T: Float>(a: &[T], i: &[usize], b: &[T], j: &[usize], c: usize) -> Vec<T> {
    i.iter()
        .zip(j)
        .map(|(&i, &j)| dot(&a[i * c..(i + 1) * c], &b[j * c..(j + 1) * c]))
        .collect()
}

/// `out[n, :] = s[n] · a[i[n], :]` into a new `shape` tensor, written once (no zero
/// fill first).
fn scaled<T: Float>(a: &[T], i: &[usize], s: &[T], c: usize, shape: &[usize]) -> Tensor {
    let mut out = Vec::with_capacity(i.len() * c);
    for (&r, &s) in i.iter().zip(s) {
        out.extend(a[r * c..(r + 1) * c].iter().map(|&x| s * x));
    }
    Tensor::try_from_vec_of(out, shape)
        .expect("internal error: one row of C per index; this is a bug")
}

impl Tensor {
    /// `y[n] = Σ_c self[index[n], c] · other[other_index[n], c]`: one dot product per
    /// pair of looked-up rows, the same as `(self.index_select(0, index) *
    /// other.index_select(0, other_index)).sum_dim(-1)` without the `[N, C]` lookups.
    ///
    /// # Errors
    /// A table that is not 2-D float, tables of different widths or dtypes, index
    /// tensors of different shapes ([`ErrorKind::Shape`] / [`ErrorKind::DType`]), a
    /// non-i64 index, or an index outside its table's rows ([`ErrorKind::Index`]).
    pub fn try_rows_dot(
        &self,
        index: &Tensor,
        other: &Tensor,
        other_index: &Tensor,
    ) -> Result<Tensor, Error> {
        let op = "rows_dot";
        let i = rows_of(op, self, index)?;
        let j = rows_of(op, other, other_index)?;
        check_same_dtype(op, self, other)?;
        if self.shape()[1] != other.shape()[1] || index.shape() != other_index.shape() {
            return Err(Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "needs tables of one width and indices of one shape, got tables {:?} \
                     and {:?}, indices {:?} and {:?}",
                    self.shape(),
                    other.shape(),
                    index.shape(),
                    other_index.shape()
                ),
            ));
        }
        let (a, b, c) = (self.contiguous(), other.contiguous(), self.shape()[1]);
        let shape = index.shape();
        Ok(match self.dtype() {
            DType::F32 => Tensor::from_vec(dots(as_slice(&a), &i, as_slice(&b), &j, c), shape),
            _ => Tensor::from_vec_f64(dots(as_slice(&a), &i, as_slice(&b), &j, c), shape),
        })
    }

    /// [`Tensor::try_rows_dot`], panicking on bad input.
    ///
    /// # Shapes
    /// `self: [V_a, C]`, `index: [..]`, `other: [V_b, C]`, `other_index: [..]` (the
    /// same shape) → `[..]`.
    ///
    /// # Panics
    /// On the errors of [`Tensor::try_rows_dot`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
    /// let ids = |v: Vec<i64>| Tensor::from_vec_i64(v, &[2]);
    /// let y = a.rows_dot(&ids(vec![1, 0]), &b, &ids(vec![2, 1]));
    /// assert_eq!(y.to_vec::<f32>(), vec![3.0 + 4.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn rows_dot(&self, index: &Tensor, other: &Tensor, other_index: &Tensor) -> Tensor {
        self.try_rows_dot(index, other, other_index).or_raise()
    }

    /// `out[n, :] = scale[n] · self[index[n], :]`: looked-up rows, each times its own
    /// number (the gradient of [`Tensor::rows_dot`] with respect to the other table's
    /// rows).
    ///
    /// # Errors
    /// A table that is not 2-D float, a `scale` of another dtype or of a shape other than
    /// `index`'s, a non-i64 index, or an index outside the table's rows.
    pub fn try_scaled_rows(&self, index: &Tensor, scale: &Tensor) -> Result<Tensor, Error> {
        let op = "scaled_rows";
        let i = rows_of(op, self, index)?;
        check_same_dtype(op, self, scale)?;
        if scale.shape() != index.shape() {
            return Err(Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "needs one scale per index, got scale {:?} and index {:?}",
                    scale.shape(),
                    index.shape()
                ),
            ));
        }
        let (a, c) = (self.contiguous(), self.shape()[1]);
        let shape: Vec<usize> = index.shape().iter().copied().chain([c]).collect();
        Ok(match self.dtype() {
            DType::F32 => scaled::<f32>(as_slice(&a), &i, &scale.to_vec(), c, &shape),
            _ => scaled::<f64>(as_slice(&a), &i, &scale.to_vec(), c, &shape),
        })
    }

    /// [`Tensor::try_scaled_rows`], panicking on bad input.
    ///
    /// # Shapes
    /// `self: [V, C]`, `index: [..]`, `scale: [..]` (the same shape) → `[.., C]`.
    ///
    /// # Panics
    /// On the errors of [`Tensor::try_scaled_rows`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let out = a.scaled_rows(&Tensor::from_vec_i64(vec![1, 1], &[2]), &Tensor::from_vec(vec![2.0, -1.0], &[2]));
    /// assert_eq!(out.to_vec::<f32>(), vec![6.0, 8.0, -3.0, -4.0]);
    /// ```
    #[track_caller]
    pub fn scaled_rows(&self, index: &Tensor, scale: &Tensor) -> Tensor {
        self.try_scaled_rows(index, scale).or_raise()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(values: &[i64]) -> Tensor {
        Tensor::from_vec_i64(values.to_vec(), &[values.len()])
    }

    #[test]
    fn rows_dot_equals_the_composite() {
        for dtype in [DType::F32, DType::F64] {
            let a = Tensor::randn(&[5, 37]).to_dtype(dtype);
            let b = Tensor::randn(&[4, 37]).to_dtype(dtype);
            let (i, j) = (ids(&[4, 0, 4, 2, 1, 3]), ids(&[3, 3, 0, 1, 2, 0]));
            let fused = a.rows_dot(&i, &b, &j).to_vec::<f64>();
            let composite = a
                .index_select(0, &i)
                .mul(&b.index_select(0, &j))
                .sum_dims(&[1], false)
                .to_vec::<f64>();
            for (f, c) in fused.iter().zip(&composite) {
                assert!((f - c).abs() < 1e-5 * (1.0 + c.abs()), "{f} vs {c}");
            }
        }
    }

    #[test]
    fn indices_of_any_shape_give_that_shape() {
        let a = Tensor::randn(&[3, 4]);
        let idx = Tensor::from_vec_i64(vec![0, 1, 2, 0, 1, 2], &[2, 3]);
        assert_eq!(a.rows_dot(&idx, &a, &idx).shape(), &[2, 3]);
        let s = Tensor::ones(&[2, 3]);
        assert_eq!(a.scaled_rows(&idx, &s).shape(), &[2, 3, 4]);
    }

    #[test]
    fn scaled_rows_equals_the_composite() {
        let a = Tensor::randn(&[4, 9]).to_dtype(DType::F64);
        let i = ids(&[3, 0, 3]);
        let s = Tensor::from_vec_f64(vec![0.5, -2.0, 3.0], &[3]);
        let composite = a
            .index_select(0, &i)
            .mul(&s.reshape(&[3, 1]).broadcast_to(&[3, 9]));
        assert_eq!(
            a.scaled_rows(&i, &s).to_vec::<f64>(),
            composite.to_vec::<f64>()
        );
    }

    #[test]
    fn errors_name_the_op_and_the_shapes() {
        let a = Tensor::zeros(&[3, 4]);
        let err = a.try_rows_dot(&ids(&[3]), &a, &ids(&[0])).unwrap_err();
        assert_eq!(err.op, "rows_dot");
        assert!(err.to_string().contains("index 3 is out of range"), "{err}");
        let err = a
            .try_rows_dot(&ids(&[0]), &Tensor::zeros(&[3, 5]), &ids(&[0]))
            .unwrap_err();
        assert!(err.to_string().contains("[3, 4] and [3, 5]"), "{err}");
        let err = a
            .try_scaled_rows(&ids(&[0, 1]), &Tensor::zeros(&[3]))
            .unwrap_err();
        assert!(err.to_string().contains("scale [3] and index [2]"), "{err}");
        let err = Tensor::zeros(&[4])
            .try_scaled_rows(&ids(&[0]), &Tensor::zeros(&[1]))
            .unwrap_err();
        assert!(err.to_string().contains("2-D [V, C]"), "{err}");
    }
}
