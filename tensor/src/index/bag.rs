//! `bag_sum`: weighted sums of looked-up rows, one per bag — the forward of an
//! embedding bag (PyTorch's `F.embedding_bag`), without writing the looked-up rows out.
//!
//! ```text
//! W: [V, C], rows: [M] in 0..V, bags: [M] in 0..G, weights: [M]     →   out: [G, C]
//! out[b, :] = Σ_{m : bags[m] = b} weights[m] · W[rows[m], :]
//!           = zeros([G, C]).index_add(0, bags, W.scaled_rows(rows, weights))
//! ```
//! A bag of context words (word2vec's CBOW) is the sum (weights 1) or the mean
//! (weights 1/count) of its rows. The composite writes the `[M, C]` scaled rows and
//! then adds them; here each row is read in place and added into its bag's sum.

use super::index_values;
use super::rows_dot::rows_of;
use crate::dtype::{DType, Float};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::lanes::as_slice;
use crate::tensor::{Tensor, check_same_dtype};

/// `out[bags[m]] += weights[m] · w[rows[m]]` over a contiguous table of `c` columns.
fn sums<T: Float>(
    w: &[T],
    rows: &[usize],
    bags: &[usize],
    weights: &[T],
    c: usize,
    g: usize,
) -> Vec<T> {
    let mut out = vec![T::zero(); g * c];
    for ((&r, &b), &s) in rows.iter().zip(bags).zip(weights) {
        let (row, sum) = (&w[r * c..(r + 1) * c], &mut out[b * c..(b + 1) * c]);
        sum.iter_mut().zip(row).for_each(|(o, &x)| *o = *o + s * x);
    }
    out
}

impl Tensor {
    /// `out[b] = Σ_{m : bags[m] = b} weights[m] · self[rows[m]]` for `b` in
    /// `0..num_bags`: weighted sums of looked-up rows (see the module doc). A bag that
    /// no entry names is zero.
    ///
    /// # Errors
    /// A table that is not 2-D float, `rows`, `bags` and `weights` not of one length
    /// `[M]`, `weights` of another dtype than the table, a non-i64 index, or an index
    /// out of range (a row outside `0..V`, a bag outside `0..num_bags`).
    pub fn try_bag_sum(
        &self,
        rows: &Tensor,
        bags: &Tensor,
        weights: &Tensor,
        num_bags: usize,
    ) -> Result<Tensor, Error> {
        let op = "bag_sum";
        let r = rows_of(op, self, rows)?; // a float [V, C] table, rows in 0..V
        check_same_dtype(op, self, weights)?;
        let (m, c) = (r.len(), self.shape()[1]);
        if rows.dims() != 1 || bags.shape() != [m] || weights.shape() != [m] {
            return Err(Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "needs 1-D rows [M] with one bag and one weight each, got rows {:?}, bags {:?}, weights {:?}",
                    rows.shape(),
                    bags.shape(),
                    weights.shape()
                ),
            ));
        }
        let shapes = || format!("table shape {:?}, {m} entries", self.shape());
        let b = index_values(op, bags, num_bags, &|| format!("{num_bags} bags"), &shapes)?;
        let w = self.contiguous();
        Ok(match self.dtype() {
            DType::F32 => {
                let out = sums::<f32>(as_slice(&w), &r, &b, &weights.to_vec(), c, num_bags);
                Tensor::from_vec(out, &[num_bags, c])
            }
            _ => {
                let out = sums::<f64>(as_slice(&w), &r, &b, &weights.to_vec(), c, num_bags);
                Tensor::from_vec_f64(out, &[num_bags, c])
            }
        })
    }

    /// [`Tensor::try_bag_sum`], panicking on bad input.
    ///
    /// # Shapes
    /// `self: [V, C]`, `rows`, `bags`, `weights`: `[M]` → `[num_bags, C]`.
    ///
    /// # Panics
    /// On the errors of [`Tensor::try_bag_sum`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// let w = Tensor::from_vec(vec![1.0, 2.0, 10.0, 20.0], &[2, 2]);
    /// let ids = |v: Vec<i64>| Tensor::from_vec_i64(v, &[3]);
    /// let out = w.bag_sum(&ids(vec![0, 1, 1]), &ids(vec![0, 0, 1]), &Tensor::ones(&[3]), 2);
    /// assert_eq!(out.to_vec::<f32>(), vec![11.0, 22.0, 10.0, 20.0]);
    /// ```
    #[track_caller]
    pub fn bag_sum(
        &self,
        rows: &Tensor,
        bags: &Tensor,
        weights: &Tensor,
        num_bags: usize,
    ) -> Tensor {
        self.try_bag_sum(rows, bags, weights, num_bags).or_raise()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(values: &[i64]) -> Tensor {
        Tensor::from_vec_i64(values.to_vec(), &[values.len()])
    }

    #[test]
    fn equals_the_composite() {
        let w = Tensor::randn(&[5, 11]).to_dtype(DType::F64);
        let (rows, bags) = (ids(&[4, 0, 4, 2, 1]), ids(&[2, 0, 0, 2, 2]));
        let weights = Tensor::from_vec_f64(vec![0.5, 1.0, -2.0, 3.0, 1.5], &[5]);
        let composite = Tensor::zeros_dtype(&[4, 11], DType::F64).index_add(
            0,
            &bags,
            &w.scaled_rows(&rows, &weights),
        );
        let fused = w.bag_sum(&rows, &bags, &weights, 4);
        for (f, c) in fused.to_vec::<f64>().iter().zip(composite.to_vec::<f64>()) {
            assert!((f - c).abs() < 1e-12, "{f} vs {c}");
        }
    }

    #[test]
    fn errors_name_the_op_and_the_sizes() {
        let w = Tensor::zeros(&[3, 2]);
        let err = w
            .try_bag_sum(&ids(&[0]), &ids(&[2]), &Tensor::ones(&[1]), 2)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("bag_sum: index 2 is out of range for 2 bags"),
            "{err}"
        );
        let err = w
            .try_bag_sum(&ids(&[0, 1]), &ids(&[0]), &Tensor::ones(&[2]), 2)
            .unwrap_err();
        assert!(
            err.to_string().contains("with one bag and one weight each"),
            "{err}"
        );
    }
}
