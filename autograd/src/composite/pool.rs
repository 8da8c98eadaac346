//! Adaptive average pooling (`torch.nn.functional.adaptive_avg_pool2d`): average
//! pooling that picks its windows so that the output has a given size, whatever the
//! input's. `output_size = 1` is the "global average pooling" at the end of a ResNet.
//!
//! ```text
//! window i of an axis of n inputs and m outputs:  [⌊i·n/m⌋, ⌈(i+1)·n/m⌉)
//!   n = 5, m = 3:  [0, 2) [1, 4) [3, 5)     (windows may overlap and differ in size)
//! a window's mean over a rectangle is a row mean of column means, so with the
//! averaging matrix A_n→m [m, n], A[i, h] = 1/|window i| for h in window i (else 0):
//!   y[b, c] = A_H→H_out · x[b, c] · A_W→W_outᵀ        two matmuls, batched over [B, C]
//! ```
//! A composite: its gradient is the matmuls' (`Aᵀ · g · A`), with no code of its own.
//! Read next: [`crate::ops::conv2d`] for the layer these usually follow.

use tensor::conv::Pair;
use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

use crate::var::Var;

/// The `[m, n]` matrix whose row `i` averages window `i` of `n` inputs (see the
/// module doc).
fn averaging_matrix(n: usize, m: usize, dtype: DType) -> Tensor {
    let mut a = vec![0.0; m * n];
    for i in 0..m {
        let (start, end) = (i * n / m, ((i + 1) * n).div_ceil(m));
        for h in start..end {
            a[i * n + h] = 1.0 / (end - start) as f64;
        }
    }
    Tensor::from_vec_f64(a, &[m, n]).to_dtype(dtype)
}

impl Var {
    /// Average pooling to a fixed output size `[H_out, W_out]` (`1` or `[7, 7]`), as
    /// `torch.nn.functional.adaptive_avg_pool2d`: window `i` of an axis of `n` covers
    /// `[⌊i·n/m⌋, ⌈(i+1)·n/m⌉)`.
    ///
    /// # Shapes
    /// `[B, C, H, W]` → `[B, C, H_out, W_out]`.
    ///
    /// # Panics
    /// If the input is not 4-d or an output size is 0.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::arange(0.0, 6.0, 1.0).reshape(&[1, 1, 2, 3]));
    /// // global average of [[0, 1, 2], [3, 4, 5]]
    /// assert_eq!(x.adaptive_avg_pool2d(1).value().to_vec::<f32>(), vec![2.5]);
    /// // columns [0, 2), [1, 3) of each row, then both rows: (0+1+3+4)/4, (1+2+4+5)/4
    /// assert_eq!(x.adaptive_avg_pool2d([1, 2]).value().to_vec::<f32>(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn adaptive_avg_pool2d(&self, output_size: impl Pair) -> Var {
        let [h_out, w_out] = output_size.pair();
        let shape = self.shape();
        let &[_, _, h, w] = &shape[..] else {
            Error::new(
                "adaptive_avg_pool2d",
                ErrorKind::Shape,
                format!("expected an input [B, C, H, W], got shape {shape:?}"),
            )
            .with_hint("add a batch dim with .unsqueeze(0)")
            .raise()
        };
        if h_out == 0 || w_out == 0 {
            Error::new(
                "adaptive_avg_pool2d",
                ErrorKind::Value,
                format!("output_size [{h_out}, {w_out}] must be ≥ 1 (input {shape:?})"),
            )
            .raise();
        }
        let rows = Var::new(averaging_matrix(h, h_out, self.dtype())); // [H_out, H]
        let cols = Var::new(averaging_matrix(w, w_out, self.dtype()).t()); // [W, W_out]
        rows.matmul(self).matmul(&cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::conv::PoolOptions;

    #[test]
    fn windows_overlap_when_the_size_does_not_divide() {
        // n = 5, m = 3: [0, 2) [1, 4) [3, 5)
        let a = averaging_matrix(5, 3, DType::F64).to_vec::<f64>();
        let third = 1.0 / 3.0;
        let expected = [
            0.5, 0.5, 0., 0., 0., 0., third, third, third, 0., 0., 0., 0., 0.5, 0.5,
        ];
        assert_eq!(a, expected);
    }

    #[test]
    fn a_dividing_size_is_plain_average_pooling() {
        let x = Var::new(Tensor::randn(&[2, 3, 6, 4]));
        let adaptive = x.adaptive_avg_pool2d([3, 2]).value();
        let pooled = x.avg_pool2d(&PoolOptions::new([2, 2])).value();
        assert!((&adaptive - &pooled).abs().max().item() < 1e-6);
    }

    #[test]
    fn gradcheck_with_overlapping_windows() {
        let x = Tensor::randn(&[2, 2, 5, 7]).to_dtype(DType::F64);
        gradcheck(|v| v[0].adaptive_avg_pool2d([3, 4]), &[x]).assert_passed();
    }
}
