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
//! It is a depthwise convolution with the constant kernel 1/n (the tests check that,
//! both ways), but one with no weights to multiply or differentiate. The backward loop
//! ([`spread_over_windows`]) walks the windows as the forward does
//! (`ferrograd::tensor::conv::pooling`). Saves the input's shape and the options.
//! Read next: [`crate::composite::pool`] (adaptive average pooling).

use tensor::conv::{PoolOptions, WindowAxis, pooling};
use tensor::error::OrRaise;
use tensor::lanes::{as_slice, for_rows};
use tensor::{DType, Float, Tensor};

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
        let g = grad_out.contiguous();
        let (_, height, width) = (self.options)
            .geometry("avg_pool2d", &self.input_shape)
            .or_raise();
        let windows = Windows {
            rows: height.sources(),
            cols: width.sources(),
            height,
            width,
            include_pad: self.options.count_include_pad,
        };
        let shape = &self.input_shape;
        vec![Some(match g.dtype() {
            DType::F32 => spread_over_windows::<f32>(as_slice(&g), &windows, shape),
            DType::F64 => spread_over_windows::<f64>(as_slice(&g), &windows, shape),
            _ => unreachable!("the forward's avg_pool2d checked for a float dtype"),
        })]
    }
}

/// The windows of one plane: the two axes and the input positions each output row
/// and column reads.
struct Windows {
    height: WindowAxis,
    width: WindowAxis,
    rows: Vec<Vec<usize>>,
    cols: Vec<Vec<usize>>,
    include_pad: bool,
}

/// `∂L/∂x`: each window's gradient, divided by its divisor, added to every pixel of
/// the window, plane by plane.
fn spread_over_windows<T: Float>(g: &[T], windows: &Windows, input_shape: &[usize]) -> Tensor {
    let Windows {
        height,
        width,
        rows,
        cols,
        include_pad,
    } = windows;
    let (plane_in, plane_out) = (height.input * width.input, height.output * width.output);
    let kernel = height.kernel * width.kernel;
    let mut gx = vec![T::zero(); input_shape.iter().product()];
    for_rows(&mut gx, plane_in, |p, image| {
        let grad = &g[p * plane_out..(p + 1) * plane_out];
        for (grad_row, rows_i) in grad.chunks(width.output).zip(rows) {
            for (&g, cols_j) in grad_row.iter().zip(cols) {
                let share = g / T::of(pooling::divisor(kernel, rows_i, cols_j, *include_pad));
                for &ih in rows_i {
                    for &iw in cols_j {
                        let pixel = &mut image[ih * width.input + iw];
                        *pixel = *pixel + share;
                    }
                }
            }
        }
    });
    Tensor::try_from_vec_of(gx, input_shape)
        .expect("internal error: pooling input shape; this is a bug")
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
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::PoolOptions;
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
    use crate::ops::conv2d::conv2d_backward_reference;

    #[test]
    fn is_a_depthwise_convolution_with_constant_weights_both_ways() {
        tensor::manual_seed(9);
        for opts in [
            PoolOptions::new(2),
            PoolOptions::new([3, 2]).stride([2, 1]).padding([1, 0]),
        ] {
            let x = Tensor::randn(&[2, 3, 7, 6]).to_dtype(DType::F64);
            let (w, conv) = pooling::averaging_conv(&opts, 3, DType::F64);
            let (y, pool) = AvgPool2d::forward(&x, &opts);
            let g = Tensor::randn(y.shape()).to_dtype(DType::F64);
            let (gx, _) = conv2d_backward_reference(&x, &w, &g, &conv);
            let gx_pool = pool.backward(&g).remove(0).unwrap();
            assert!((&gx_pool - &gx).abs().max().item() < 1e-12);
        }
    }

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
