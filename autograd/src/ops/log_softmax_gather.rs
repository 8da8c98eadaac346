//! `log_softmax_gather`: the log-probability of one chosen class per row, the fused
//! core of cross-entropy. Read [`log_softmax_gather_reference`] first: the same
//! function as `log_softmax` then `gather`.
//!
//! ```text
//! reference: y = log_softmax(x, 1).gather(1, index)          an [N, C] tensor in between
//! forward:   x: [N, C], index: [N] (classes tᵢ in 0..C)   →   y: [N]
//!            mᵢ = max_c x[i, c]      sᵢ = ln Σ_c exp(x[i, c] − mᵢ)   (saved: [N, 2])
//!            y[i] = log_softmax(x)[i, tᵢ] = (x[i, tᵢ] − mᵢ) − sᵢ
//! backward:  ∂y[i]/∂x[i, c] = [c = tᵢ] − softmax(x)[i, c]          (log_softmax's rule)
//!            ∂L/∂x[i, c]    = gᵢ · [c = tᵢ] − gᵢ · exp((x[i, c] − mᵢ) − sᵢ)
//! ```
//! Why fused: the reference writes a `[N, C]` log-softmax forward, and a `[N, C]`
//! scatter of g plus another `[N, C]` gradient backward; with a 10 000-word vocabulary
//! and 1 120 rows each is 45 MB. Fused, the forward keeps two numbers per row and the
//! backward ([`backward_rows`]) writes the `[N, C]` gradient in one pass over the
//! logits: `−gᵢ · exp((x − mᵢ) − sᵢ)` for every class, then `+ gᵢ` at the target. Each
//! element comes out of the same expressions as the reference, so its tests find the
//! values and gradients equal bit for bit. Saves `x` (shared, not copied), the indices
//! and the per-row normalisers.
//! Read next: `ferrograd::nn::loss::cross_entropy`, which uses it.

use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::index::check_index_dtype;
use tensor::lanes::{as_slice, from_rows};
use tensor::unary::vectorised::{Vectorised, exp_map};
use tensor::{DType, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// `log_softmax(x, 1)` picked at one class per row from primitive ops, the definition
/// the fused [`Var::log_softmax_gather`] is tested against.
///
/// # Shapes
/// `x: [N, C]`, `index: [N]` (i64 classes in `0..C`) → `[N]`.
///
/// # Panics
/// If `x` is not 2-D or an index is out of range (the message comes from `gather`).
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::log_softmax_gather::log_softmax_gather_reference;
/// # use ferrograd::tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0], &[2, 2]));
/// let y = log_softmax_gather_reference(&x, &Tensor::from_vec_i64(vec![1, 0], &[2]));
/// assert!((y.value().to_vec::<f32>()[0] - 0.5f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn log_softmax_gather_reference(x: &Var, index: &Tensor) -> Var {
    x.log_softmax(1).gather(1, &index.unsqueeze(1)).squeeze(1)
}

/// The `log_softmax_gather` op; holds the logits, the target classes and the row
/// normalisers `[N, 2]` for backward.
pub struct LogSoftmaxGather {
    x: Tensor,
    index: Vec<usize>,
    norm: Tensor,
}

impl LogSoftmaxGather {
    /// `y[i] = log_softmax(x)[i, index[i]]`.
    #[track_caller]
    pub fn forward(x: &Tensor, index: &Tensor) -> (Tensor, LogSoftmaxGather) {
        check_index_dtype("log_softmax_gather", "index", index).or_raise();
        let shapes_fit = x.dims() == 2 && index.shape() == [x.shape()[0]];
        let classes = index.to_vec::<i64>();
        let num_classes = x.shape().get(1).copied().unwrap_or(0) as i64;
        let bad = classes.iter().find(|&&t| !(0..num_classes).contains(&t));
        if !shapes_fit || bad.is_some() {
            Error::new(
                "log_softmax_gather",
                ErrorKind::Index,
                format!(
                    "needs logits [N, C] and N class indices in 0..C, got logits {:?} and \
                     indices {:?}{}",
                    x.shape(),
                    index.shape(),
                    bad.map(|t| format!(" holding {t}")).unwrap_or_default()
                ),
            )
            .raise();
        }
        let index: Vec<usize> = classes.into_iter().map(|t| t as usize).collect();
        let (y, norm) = x.log_softmax_gather(&index);
        let saved = LogSoftmaxGather {
            x: x.clone(),
            index,
            norm,
        };
        (y, saved)
    }
}

impl Function for LogSoftmaxGather {
    fn name(&self) -> &'static str {
        "log_softmax_gather"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let x = self.x.contiguous();
        let dx = match x.dtype() {
            DType::F32 => backward_rows::<f32>(&x, &self.norm, &self.index, grad_out),
            DType::F64 => backward_rows::<f64>(&x, &self.norm, &self.index, grad_out),
            _ => unreachable!("the forward's log_softmax_gather checked for a float dtype"),
        };
        vec![Some(dx)]
    }
}

/// `∂L/∂x[i, c] = gᵢ·[c = tᵢ] − gᵢ·exp((x[i, c] − mᵢ) − sᵢ)`, row by row over the
/// contiguous logits `x: [N, C]`, with `norm[i] = (mᵢ, sᵢ)` and `grad = g: [N]`.
fn backward_rows<T: Vectorised>(
    x: &Tensor,
    norm: &Tensor,
    index: &[usize],
    grad: &Tensor,
) -> Tensor {
    let (logits, c) = (as_slice::<T>(x), x.shape()[1]);
    let (norm, g) = (norm.to_vec::<T>(), grad.to_vec::<T>());
    from_rows(x.shape(), c, |i, dx| {
        let (m, s, g_sum) = (norm[2 * i], norm[2 * i + 1], g[i]);
        // g − exp(y)·Σg, with g = gᵢ at the target and 0 elsewhere (as log_softmax's)
        let row = &logits[i * c..(i + 1) * c];
        exp_map(
            row,
            dx,
            move |x| (x - m) - s,
            move |e| T::zero() - e * g_sum,
        );
        dx[index[i]] = g_sum + dx[index[i]];
    })
}

impl Var {
    /// `log_softmax(self, 1)` picked at one class per row: `y[i] = log_softmax(x)[i,
    /// index[i]]`, the same as `self.log_softmax(1).gather(1, index[:, None])` but
    /// without the `[N, C]` intermediate (cross-entropy's core; see the module doc).
    ///
    /// # Shapes
    /// `self: [N, C]`, `index: [N]` (i64 classes in `0..C`) → `[N]`.
    ///
    /// # Panics
    /// If `self` is not 2-D, `index` is not `[N]`, or a class is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0], &[2, 2]));
    /// let y = x.log_softmax_gather(&Tensor::from_vec_i64(vec![1, 0], &[2]));
    /// assert!((y.value().to_vec::<f32>()[0] - 0.5f32.ln()).abs() < 1e-6);
    /// ```
    #[track_caller]
    pub fn log_softmax_gather(&self, index: &Tensor) -> Var {
        record(LogSoftmaxGather::forward(&self.value(), index), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    #[test]
    fn equals_the_reference_bit_for_bit() {
        for dtype in [DType::F32, DType::F64] {
            let x = Tensor::randn(&[5, 7]).mul_scalar(3.0).to_dtype(dtype);
            let index = Tensor::from_vec_i64(vec![0, 6, 3, 3, 1], &[5]);
            let g = Tensor::randn(&[5]).to_dtype(dtype);
            let run = |fused: bool| {
                let xv = Var::param(x.clone());
                let y = if fused {
                    xv.log_softmax_gather(&index)
                } else {
                    log_softmax_gather_reference(&xv, &index)
                };
                (&y * &Var::new(g.clone())).sum().backward();
                (
                    y.value().to_vec::<f64>(),
                    xv.grad().unwrap().to_vec::<f64>(),
                )
            };
            assert_eq!(run(true), run(false));
        }
    }

    #[test]
    fn gradcheck_rows() {
        let x = Tensor::randn(&[3, 4]).to_dtype(DType::F64);
        let index = Tensor::from_vec_i64(vec![2, 0, 3], &[3]);
        gradcheck(|v| v[0].log_softmax_gather(&index), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(
        expected = "log_softmax_gather: needs logits [N, C] and N class indices in 0..C, got logits [2, 3] and indices [2] holding 3"
    )]
    fn out_of_range_class_names_the_op() {
        let x = Var::new(Tensor::zeros(&[2, 3]));
        x.log_softmax_gather(&Tensor::from_vec_i64(vec![0, 3], &[2]));
    }
}
