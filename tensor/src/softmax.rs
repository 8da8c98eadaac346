//! Softmax and log-softmax along a dim, computed stably by subtracting the max.
//!
//! ```text
//! softmax(x)ᵢ     = exp(xᵢ) / Σⱼ exp(xⱼ)
//!                 = exp(xᵢ − m) / Σⱼ exp(xⱼ − m)          m = maxⱼ xⱼ
//! log_softmax(x)ᵢ = xᵢ − ln Σⱼ exp(xⱼ)
//!                 = (xᵢ − m) − ln Σⱼ exp(xⱼ − m)
//! ```
//!
//! Both lines of each pair are equal (the factor exp(−m) cancels), but only the
//! second can be computed. `exp` overflows f32 to `inf` above x ≈ 88.7 (f64 above
//! ≈ 709.8), so logits of 100 give `inf / inf = NaN` in the naive form; very negative
//! logits underflow every term to 0 and give `0 / 0 = NaN`. After subtracting m,
//! every exponent is ≤ 0 and the largest term is exactly 1, so the sum lies in
//! `[1, n]`: no overflow, no division by zero, and `ln` of it is finite.
//!
//! log_softmax is not `ln(softmax(x))`: a probability that underflows to 0 would give
//! `ln 0 = −∞`, whereas `(xᵢ − m) − ln Σ` stays finite (e.g. −1e4 for a logit 1e4
//! below the max). Cross-entropy is built on log_softmax for this reason.
//!
//! A lane of all −∞ (a fully masked attention row) gives NaN, as in PyTorch: there
//! is no distribution over zero candidates.
//!
//! Forward kernels only, one lane at a time over [`crate::lanes`]; the backward
//! passes are autograd's (`ops::softmax`, `ops::log_softmax`, `ops::log_softmax_gather`).
//! Read next: [`crate::movement`].

mod gather;
pub mod online;

use crate::dtype::Storage;
use crate::error::{Error, OrRaise};
use crate::lanes::map_lanes;
use crate::reduce::{max_slice, sum_slice};
use crate::shape::normalize_dim;
use crate::tensor::{Tensor, check_float};
use crate::unary::vectorised::{Vectorised, exp_map};
use online::max_and_exp_sum_vectorised;

/// `y = softmax(x)` for one lane: exp(x − m), then divide by the sum.
fn softmax_lane<T: Vectorised>(x: &[T], y: &mut [T]) {
    let m = max_slice(x);
    exp_map(x, y, move |v| v - m, |e| e);
    let sum = sum_slice(y);
    y.iter_mut().for_each(|e| *e = *e / sum);
}

/// `y = log_softmax(x)` for one lane: (x − m) − ln Σ exp(x − m), with m and the sum
/// from one pass over `x` ([`online`]), then one pass writing `y`.
fn log_softmax_lane<T: Vectorised>(x: &[T], y: &mut [T]) {
    let (m, sum) = max_and_exp_sum_vectorised(x);
    let log_sum = sum.ln();
    y.iter_mut()
        .zip(x)
        .for_each(|(y, &x)| *y = (x - m) - log_sum);
}

impl Tensor {
    fn try_map_lanes(
        &self,
        op: &'static str,
        dim: isize,
        f32_fn: impl Fn(&[f32], &mut [f32]) + Sync + Send,
        f64_fn: impl Fn(&[f64], &mut [f64]) + Sync + Send,
    ) -> Result<Tensor, Error> {
        let axis = normalize_dim(op, dim, self.shape())?;
        check_float(op, self)?;
        Ok(match &self.storage {
            Storage::F32(a) => Tensor::from_array(map_lanes(a, axis, f32_fn)),
            Storage::F64(a) => Tensor::from_array(map_lanes(a, axis, f64_fn)),
            _ => unreachable!("the dtype was checked to be a float above"),
        })
    }

    /// Softmax along `dim`: every lane along `dim` becomes a probability
    /// distribution, `exp(xᵢ − m) / Σⱼ exp(xⱼ − m)` with `m` the lane's max (see the
    /// module doc for why the max is subtracted).
    ///
    /// # Shapes
    /// Output shape = input shape, e.g. logits `[B, C]` with dim −1 → probabilities
    /// `[B, C]` whose rows sum to 1. The output is contiguous.
    ///
    /// # Panics
    /// If `dim` is out of range for the shape (a 0-d tensor has no dims).
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// // Logits this large overflow exp in f32; the max shift keeps them exact.
    /// let p = Tensor::from_vec(vec![1000.0, 1000.0, 0.0, 0.0], &[2, 2]).softmax(-1);
    /// assert_eq!(p.to_vec::<f32>(), vec![0.5, 0.5, 0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn softmax(&self, dim: isize) -> Tensor {
        self.try_map_lanes("softmax", dim, softmax_lane, softmax_lane)
            .or_raise()
    }

    /// Log-softmax along `dim`: `(xᵢ − m) − ln Σⱼ exp(xⱼ − m)`, the log of
    /// [`Tensor::softmax`] computed without ever taking `ln` of a probability, so it
    /// stays finite where the probability underflows to 0.
    ///
    /// # Shapes
    /// Output shape = input shape. The output is contiguous.
    ///
    /// # Panics
    /// If `dim` is out of range for the shape.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// // softmax([0, -1e4]) = [1, e^(-1e4)] = [1, 0] in f32, but log_softmax keeps -1e4.
    /// let y = Tensor::from_vec(vec![0.0, -1e4], &[2]).log_softmax(0);
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, -1e4]);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, dim: isize) -> Tensor {
        self.try_map_lanes("log_softmax", dim, log_softmax_lane, log_softmax_lane)
            .or_raise()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, ArrayD};

    use crate::dtype::DType;
    use crate::tensor::Tensor;

    const DTYPES: [DType; 2] = [DType::F32, DType::F64];

    /// softmax straight from the definition, exp(xᵢ) / Σ exp(xⱼ), over rows of `cols`.
    fn naive_softmax_rows(x: &[f64], cols: usize) -> Vec<f64> {
        x.chunks(cols)
            .flat_map(|row| {
                let sum: f64 = row.iter().map(|v| v.exp()).sum();
                row.iter().map(move |v| v.exp() / sum)
            })
            .collect()
    }

    fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
        assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
        let ok = actual
            .iter()
            .zip(expected)
            .all(|(a, e)| (a - e).abs() <= tol);
        assert!(ok, "{actual:?} vs {expected:?}");
    }

    const LOGITS: [f64; 6] = [1.0, 2.0, 3.0, -1.0, 0.0, 0.5];

    #[test]
    fn softmax_equals_the_naive_formula_on_small_inputs() {
        for dt in DTYPES {
            let x = Tensor::from_vec_f64(LOGITS.to_vec(), &[2, 3]).to_dtype(dt);
            let p = x.softmax(1);
            assert_eq!((p.shape(), p.dtype()), (&[2, 3][..], dt));
            assert_close(&p.to_vec::<f64>(), &naive_softmax_rows(&LOGITS, 3), 1e-6);
            // −1 is the same dim as 1 here.
            assert_eq!(x.softmax(-1).to_vec::<f64>(), p.to_vec::<f64>());
        }
    }

    #[test]
    fn rows_sum_to_one() {
        for dt in DTYPES {
            let x = Tensor::from_vec_f64(LOGITS.to_vec(), &[2, 3]).to_dtype(dt);
            for dim in [0, 1, -2] {
                let p = x.softmax(dim);
                let sums = p.sum_dim(dim, false).to_vec::<f64>();
                assert_close(&sums, &vec![1.0; sums.len()], 1e-6);
                assert!(p.to_vec::<f64>().iter().all(|&v| v > 0.0 && v < 1.0));
            }
        }
    }

    #[test]
    fn softmax_along_dim_0_normalises_columns() {
        // Columns [1, −1], [2, 0], [3, 0.5]: softmax of [a, b] is
        // [1/(1 + e^(b−a)), 1/(1 + e^(a−b))], with b − a = −2, −2, −2.5.
        let x = Tensor::from_vec_f64(LOGITS.to_vec(), &[2, 3]);
        let s = |d: f64| 1.0 / (1.0 + d.exp());
        let expected = [s(-2.0), s(-2.0), s(-2.5), s(2.0), s(2.0), s(2.5)];
        assert_close(&x.softmax(0).to_vec::<f64>(), &expected, 1e-12);
    }

    #[test]
    fn finite_at_huge_logits() {
        for dt in DTYPES {
            // Naively exp(1e4) = inf in both dtypes and inf/inf = NaN.
            let x =
                Tensor::from_vec_f64(vec![1e4, 1e4 - 1.0, -1e4, -1e4 + 2.0], &[2, 2]).to_dtype(dt);
            let p = x.softmax(1).to_vec::<f64>();
            // [a, a − 1] → [1/(1 + e⁻¹), e⁻¹/(1 + e⁻¹)]; [b, b + 2] → [e⁻²/(1 + e⁻²), 1/(1 + e⁻²)]
            let (e1, e2) = ((-1f64).exp(), (-2f64).exp());
            assert_close(
                &p,
                &[
                    1.0 / (1.0 + e1),
                    e1 / (1.0 + e1),
                    e2 / (1.0 + e2),
                    1.0 / (1.0 + e2),
                ],
                1e-6,
            );
            let lp = x.log_softmax(1).to_vec::<f64>();
            assert!(lp.iter().all(|v| v.is_finite()), "{lp:?}");
            // Logits 2e4 apart: the probability underflows to 0 but its log is −2e4.
            let far = Tensor::from_vec_f64(vec![1e4, -1e4], &[2]).to_dtype(dt);
            assert_eq!(far.softmax(0).to_vec::<f64>(), vec![1.0, 0.0]);
            assert_close(&far.log_softmax(0).to_vec::<f64>(), &[0.0, -2e4], 1e-9);
        }
    }

    #[test]
    fn log_softmax_equals_ln_of_softmax() {
        for dt in DTYPES {
            let x = Tensor::from_vec_f64(LOGITS.to_vec(), &[3, 2]).to_dtype(dt);
            for dim in [0, -1] {
                let ln_p: Vec<f64> = x
                    .softmax(dim)
                    .to_vec::<f64>()
                    .iter()
                    .map(|p| p.ln())
                    .collect();
                assert_close(&x.log_softmax(dim).to_vec::<f64>(), &ln_p, 1e-6);
            }
            assert_eq!(x.log_softmax(0).dtype(), dt);
        }
    }

    #[test]
    fn works_on_a_transposed_view() {
        // LOGITS as [3, 2], transposed to [2, 3]: rows [1, 3, 0] and [2, −1, 0.5].
        let a: ArrayD<f64> = Array2::from_shape_vec((3, 2), LOGITS.to_vec())
            .unwrap()
            .into_dyn();
        for dt in DTYPES {
            let t = Tensor::from_array(a.clone().reversed_axes()).to_dtype(dt);
            assert!(!t.is_contiguous());
            let rows = [1.0, 3.0, 0.0, 2.0, -1.0, 0.5];
            let expected = naive_softmax_rows(&rows, 3);
            let p = t.softmax(-1);
            assert!(p.is_contiguous());
            assert_close(&p.to_vec::<f64>(), &expected, 1e-6);
            let ln_expected: Vec<f64> = expected.iter().map(|p| p.ln()).collect();
            assert_close(&t.log_softmax(1).to_vec::<f64>(), &ln_expected, 1e-6);
        }
    }

    #[test]
    fn size_one_dim_gives_probability_one_and_a_masked_row_gives_nan() {
        let x = Tensor::from_vec(vec![5.0, -3.0], &[2, 1]);
        assert_eq!(x.softmax(1).to_vec::<f32>(), vec![1.0, 1.0]);
        assert_eq!(x.log_softmax(1).to_vec::<f32>(), vec![0.0, 0.0]);
        // −∞ entries get probability 0; a row of only −∞ is NaN, as in PyTorch.
        let inf = f32::INFINITY;
        let m = Tensor::from_vec(vec![0.0, -inf, -inf, -inf], &[2, 2]);
        let p = m.softmax(1).to_vec::<f32>();
        assert_eq!(&p[..2], &[1.0, 0.0]);
        assert!(p[2].is_nan() && p[3].is_nan());
        assert_eq!(m.log_softmax(1).to_vec::<f32>()[..2], [0.0, -inf]);
    }

    #[test]
    fn empty_inputs_give_empty_outputs() {
        assert_eq!(Tensor::zeros(&[0, 3]).softmax(1).shape(), &[0, 3]);
        assert_eq!(Tensor::zeros(&[2, 0]).log_softmax(-1).shape(), &[2, 0]);
    }

    #[test]
    fn large_input_takes_the_parallel_path() {
        // [512, 128] = 65 536 elements, above parallel::THRESHOLD; row r is r·[0, 1, ..., 127]/128.
        let data: Vec<f64> = (0..512 * 128)
            .map(|i| ((i / 128) * (i % 128)) as f64 / 128.0)
            .collect();
        let x = Tensor::from_vec_f64(data.clone(), &[512, 128]);
        let p = x.softmax(1).to_vec::<f64>();
        assert_close(&p, &naive_softmax_rows(&data, 128), 1e-12);
    }

    #[test]
    #[should_panic(expected = "softmax: dim 2 is out of range for shape [2, 3]")]
    fn softmax_dim_out_of_range_panics() {
        Tensor::zeros(&[2, 3]).softmax(2);
    }

    #[test]
    #[should_panic(
        expected = "log_softmax: dim 0 is out of range for shape [] (a 0-d tensor has no dims)"
    )]
    fn log_softmax_of_0d_panics() {
        Tensor::scalar(1.0).log_softmax(0);
    }
}
