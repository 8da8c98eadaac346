//! `log_softmax_gather`: the log-probability of one chosen class per row, the fused
//! core of cross-entropy.
//!
//! ```text
//! forward:   x: [N, C], index: [N] (classes tᵢ in 0..C)   →   y: [N]
//!            y[i] = log_softmax(x)[i, tᵢ] = (x[i, tᵢ] − mᵢ) − ln Σ_c exp(x[i, c] − mᵢ)
//! backward:  ∂y[i]/∂x[i, c] = [c = tᵢ] − softmax(x)[i, c]          (log_softmax's rule)
//!            ∂L/∂x[i, c]    = gᵢ · ([c = tᵢ] − softmax(x)[i, c])
//! ```
//! The same values and gradients as `x.log_softmax(1).gather(1, index)` (its tests
//! compare the two, bit for bit), without the `[N, C]` log-softmax in between: the
//! forward keeps two numbers per row (`mᵢ` and the log-sum) and the backward writes
//! the `[N, C]` gradient in one pass. Saves `x` (shared, not copied), the indices and
//! the per-row normalisers.
//! Read next: `nn::loss::cross_entropy`, which uses it.

use tensor::Tensor;
use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::index::check_index_dtype;

use crate::function::{Function, record};
use crate::var::Var;

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
        let dx = self
            .x
            .log_softmax_gather_backward(&self.norm, &self.index, grad_out);
        vec![Some(dx)]
    }
}

impl Var {
    /// `log_softmax(self, 1)` picked at one class per row: `y[i] = log_softmax(x)[i,
    /// index[i]]`, the same as `self.log_softmax(1).gather(1, index[:, None])` but
    /// without the `[N, C]` intermediate (cross-entropy's core; see the module doc).
    ///
    /// # Shapes
    /// `self: [N, C]`, `index: [N]` (whole numbers in `0..C`) → `[N]`.
    ///
    /// # Panics
    /// If `self` is not 2-D, `index` is not `[N]`, or a class is out of range.
    ///
    /// # Examples
    /// ```
    /// # use autograd::Var; use tensor::Tensor;
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
    fn equals_log_softmax_then_gather_bit_for_bit() {
        for dtype in [DType::F32, DType::F64] {
            let x = Tensor::randn(&[5, 7]).mul_scalar(3.0).to_dtype(dtype);
            let index = Tensor::from_vec_i64(vec![0, 6, 3, 3, 1], &[5]);
            let g = Tensor::randn(&[5]).to_dtype(dtype);
            let run = |fused: bool| {
                let xv = Var::param(x.clone());
                let y = if fused {
                    xv.log_softmax_gather(&index)
                } else {
                    xv.log_softmax(1).gather(1, &index.unsqueeze(1)).squeeze(1)
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
