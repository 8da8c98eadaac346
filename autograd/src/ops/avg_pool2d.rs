//! `avg_pool2d`: the mean of each window of each channel, as
//! `torch.nn.functional.avg_pool2d`.
//!
//! ```text
//! x: [B, C, H, W] → y: [B, C, H_out, W_out]        (windows: tensor::conv::pooling)
//! forward:   y[b, c, i, j] = Σ_(window taps) x / n        n = kH·kW (padding counts as
//!                                                          zeros), or the taps inside
//!                                                          with count_include_pad = false
//! backward:  ∂y[b, c, i, j]/∂x[b, c, ih, iw] = 1/n for each tap of window (i, j), so
//!            ∂L/∂x[b, c, ih, iw] = Σ over the windows holding it  g[b, c, i, j] / n
//! ```
//! It is a depthwise convolution with the constant kernel 1/n (the tests check that),
//! but one with no weights to multiply or differentiate. Saves the input's shape and
//! the options.
//! Read next: [`crate::composite::pool`] (adaptive average pooling).

use tensor::Tensor;
use tensor::conv::PoolOptions;

use crate::function::{Function, record};
use crate::var::Var;

/// The `avg_pool2d` op; holds the input's shape and the window options.
pub struct AvgPool2d {
    input_shape: Vec<usize>,
    options: PoolOptions,
}

impl AvgPool2d {
    /// `(y, op)`: the window means.
    #[track_caller]
    pub fn forward(x: &Tensor, options: &PoolOptions) -> (Tensor, AvgPool2d) {
        let y = x.avg_pool2d(options);
        let op = AvgPool2d {
            input_shape: x.shape().to_vec(),
            options: *options,
        };
        (y, op)
    }
}

impl Function for AvgPool2d {
    fn name(&self) -> &'static str {
        "avg_pool2d"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(
            grad_out.avg_pool2d_backward(&self.input_shape, &self.options),
        )]
    }
}

impl Var {
    /// Average pooling over windows of each channel, as
    /// `torch.nn.functional.avg_pool2d`; see [`tensor::conv::PoolOptions`] (stride =
    /// kernel size unless set; `dilation` must be 1).
    ///
    /// # Shapes
    /// `[B, C, H, W]` → `[B, C, H_out, W_out]`, `H_out = ⌊(H + 2p − k)/s⌋ + 1`.
    ///
    /// # Panics
    /// If the input is not 4-d, the window is larger than the padded input, the
    /// padding is more than half the kernel, or a dilation is set.
    ///
    /// # Examples
    /// ```
    /// # use autograd::Var; use tensor::Tensor;
    /// use tensor::conv::PoolOptions;
    /// let x = Var::param(Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]));
    /// let y = x.avg_pool2d(&PoolOptions::new(2));
    /// assert_eq!(y.value().to_vec::<f32>(), vec![3.25, 4.75]);
    /// y.sum().backward(); // each pixel is a quarter of one window
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.25; 8]);
    /// ```
    #[track_caller]
    pub fn avg_pool2d(&self, options: &PoolOptions) -> Var {
        record(AvgPool2d::forward(&self.value(), options), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    #[test]
    fn gradcheck_with_stride_and_padding_in_and_out_of_the_divisor() {
        let x = Tensor::randn(&[2, 3, 5, 6]).to_dtype(DType::F64);
        for opts in [
            PoolOptions::new(2),
            PoolOptions::new([3, 2]).stride([2, 1]).padding([1, 0]),
            PoolOptions::new(3)
                .stride(2)
                .padding(1)
                .count_include_pad(false),
        ] {
            gradcheck(|v| v[0].avg_pool2d(&opts), std::slice::from_ref(&x)).assert_passed();
        }
    }
}
