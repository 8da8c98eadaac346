//! Pooling layers, as `torch.nn.MaxPool1d`, `MaxPool2d`, `AvgPool2d` and
//! `AdaptiveAvgPool2d`: each channel's windows shrunk to one number, no parameters.
//!
//! ```text
//! MaxPool2d(k):         y[b, c, i, j] = max of the k × k window at (i·s, j·s)   (s = k by default)
//! AvgPool2d(k):         y[b, c, i, j] = mean of that window
//! AdaptiveAvgPool2d(m): windows chosen so that the output is m × m, whatever the input
//! ```
//! Max pooling keeps the strongest response of a filter in each neighbourhood, so a
//! feature may move by a pixel or two without changing the output, and it halves the
//! image (k = 2), which cuts the next convolution's work by four.
//! The ops: `ferrograd::autograd::ops::{max_pool2d, avg_pool2d}` and `ferrograd::autograd::composite::pool`.
//! Read next: [`crate::layers::flatten`].

use autograd::Var;
use tensor::Tensor;
use tensor::conv::{Pair, PoolOptions};
use tensor::error::{Error, ErrorKind};

use crate::module::{Forward, Module};

/// Max pooling of `[B, C, L]` signals, as `torch.nn.MaxPool1d`.
pub type MaxPool1d = MaxPool<1>;
/// Max pooling of `[B, C, H, W]` images, as `torch.nn.MaxPool2d`.
pub type MaxPool2d = MaxPool<2>;

/// Max pooling with `SPATIAL` spatial dims; use the aliases [`MaxPool1d`] and
/// [`MaxPool2d`]. The backward sends each window's gradient to its max (the
/// positions are saved by the op; [`MaxPool::forward_with_indices`] returns them).
///
/// # Shapes
/// - input: `[B, C, H, W]` (1-d: `[B, C, L]`)
/// - output: `[B, C, H_out, W_out]`, `H_out = ⌊(H + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1`
///
/// # Examples
/// ```
/// use ferrograd::nn::{Forward, MaxPool2d};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let pool = MaxPool2d::new(2); // stride 2: halves height and width
/// assert_eq!(pool.forward(&Var::new(Tensor::randn(&[4, 8, 28, 28]))).shape(), vec![4, 8, 14, 14]);
/// ```
pub struct MaxPool<const SPATIAL: usize> {
    /// Kernel size, stride, padding and dilation.
    pub options: PoolOptions,
}

impl<const SPATIAL: usize> MaxPool<SPATIAL> {
    /// Windows of `kernel_size`, stride = kernel size, no padding.
    pub fn new(kernel_size: impl Pair) -> Self {
        MaxPool {
            options: PoolOptions::new(kernel_size),
        }
    }

    /// Set the stride.
    pub fn stride(mut self, stride: impl Pair) -> Self {
        self.options = self.options.stride(stride);
        self
    }

    /// Set the padding (−∞, at most half the kernel).
    pub fn padding(mut self, padding: impl Pair) -> Self {
        self.options = self.options.padding(padding);
        self
    }

    /// Set the dilation.
    pub fn dilation(mut self, dilation: impl Pair) -> Self {
        self.options = self.options.dilation(dilation);
        self
    }

    /// The pooled output and where each max is (`return_indices=True`): its position
    /// `ih·W + iw` in its input plane (1-d: in its row), whole numbers in the
    /// input's dtype.
    ///
    /// # Panics
    /// As [`Forward::forward`].
    #[track_caller]
    pub fn forward_with_indices(&self, x: &Var) -> (Var, Tensor) {
        let name = if SPATIAL == 1 {
            "MaxPool1d"
        } else {
            "MaxPool2d"
        };
        check_window(name, &self.options, SPATIAL, x);
        match SPATIAL {
            1 => x.max_pool1d_with_indices(&self.options),
            _ => x.max_pool2d_with_indices(&self.options),
        }
    }
}

/// Panics with a message naming the layer `name` unless `x` is `SPATIAL`-d and its
/// windows fit `options`.
#[track_caller]
fn check_window(name: &'static str, options: &PoolOptions, spatial: usize, x: &Var) {
    let shape = x.shape();
    let described = |options: &PoolOptions| {
        let one = |[a, b]: [usize; 2]| {
            if spatial == 1 {
                b.to_string()
            } else {
                format!("{:?}", [a, b])
            }
        };
        format!(
            "{name}(kernel_size={}, stride={}, padding={})",
            one(options.kernel_size),
            one(options.stride),
            one(options.padding)
        )
    };
    let result = if shape.len() == spatial + 2 {
        options.geometry(name, &shape).map(|_| ())
    } else {
        let expected = if spatial == 1 {
            "[B, C, L]"
        } else {
            "[B, C, H, W]"
        };
        Err(Error::new(
            name,
            ErrorKind::Shape,
            format!("expected an input {expected}, got shape {shape:?}"),
        )
        .with_hint("add a batch dim with .unsqueeze(0)"))
    };
    if let Err(e) = result {
        let mut error = Error::new(
            name,
            e.kind,
            format!("{}: {}", described(options), e.message),
        );
        error.hint = e.hint;
        error.raise();
    }
}

impl<const SPATIAL: usize> Module for MaxPool<SPATIAL> {
    fn visit_params(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}
}

impl<const SPATIAL: usize> Forward for MaxPool<SPATIAL> {
    /// The largest value of each window of each channel.
    ///
    /// # Panics
    /// If `x` has the wrong rank or a window does not fit; the message names the layer.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.forward_with_indices(x).0
    }
}

/// Average pooling of `[B, C, H, W]` images, as `torch.nn.AvgPool2d` (padding counts
/// as zeros unless `count_include_pad(false)`).
///
/// # Shapes
/// - input: `[B, C, H, W]`
/// - output: `[B, C, H_out, W_out]`, `H_out = ⌊(H + 2·padding − k)/stride⌋ + 1`
///
/// # Examples
/// ```
/// use ferrograd::nn::{AvgPool2d, Forward};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let y = AvgPool2d::new(2).forward(&Var::new(Tensor::ones(&[1, 3, 4, 4])));
/// assert_eq!(y.shape(), vec![1, 3, 2, 2]);
/// ```
pub struct AvgPool2d {
    /// Kernel size, stride, padding and `count_include_pad`.
    pub options: PoolOptions,
}

impl AvgPool2d {
    /// Windows of `kernel_size`, stride = kernel size, no padding.
    pub fn new(kernel_size: impl Pair) -> AvgPool2d {
        AvgPool2d {
            options: PoolOptions::new(kernel_size),
        }
    }

    /// Set the stride.
    pub fn stride(mut self, stride: impl Pair) -> AvgPool2d {
        self.options = self.options.stride(stride);
        self
    }

    /// Set the padding (zeros, at most half the kernel).
    pub fn padding(mut self, padding: impl Pair) -> AvgPool2d {
        self.options = self.options.padding(padding);
        self
    }

    /// With `false`, a window's mean is over its pixels inside the image only.
    pub fn count_include_pad(mut self, include: bool) -> AvgPool2d {
        self.options = self.options.count_include_pad(include);
        self
    }
}

impl Module for AvgPool2d {
    fn visit_params(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}
}

impl Forward for AvgPool2d {
    /// The mean of each window of each channel.
    ///
    /// # Panics
    /// If `x` is not 4-d or a window does not fit; the message names the layer.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        check_window("AvgPool2d", &self.options, 2, x);
        x.avg_pool2d(&self.options)
    }
}

/// Average pooling to a fixed output size, as `torch.nn.AdaptiveAvgPool2d`;
/// `AdaptiveAvgPool2d::new(1)` is global average pooling.
///
/// # Shapes
/// - input: `[B, C, H, W]`
/// - output: `[B, C, H_out, W_out]` = `[B, C] + output_size`
///
/// # Examples
/// ```
/// use ferrograd::nn::{AdaptiveAvgPool2d, Forward};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let y = AdaptiveAvgPool2d::new(1).forward(&Var::new(Tensor::randn(&[2, 16, 7, 5])));
/// assert_eq!(y.shape(), vec![2, 16, 1, 1]);
/// ```
pub struct AdaptiveAvgPool2d {
    /// `[H_out, W_out]`.
    pub output_size: [usize; 2],
}

impl AdaptiveAvgPool2d {
    /// Pool to `output_size` (`1` or `[7, 7]`).
    pub fn new(output_size: impl Pair) -> AdaptiveAvgPool2d {
        AdaptiveAvgPool2d {
            output_size: output_size.pair(),
        }
    }
}

impl Module for AdaptiveAvgPool2d {
    fn visit_params(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}
}

impl Forward for AdaptiveAvgPool2d {
    /// Each channel averaged down to `output_size`.
    ///
    /// # Panics
    /// If `x` is not 4-d; the message names the layer.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        if x.dims() != 4 {
            Error::new(
                "AdaptiveAvgPool2d",
                ErrorKind::Shape,
                format!(
                    "AdaptiveAvgPool2d(output_size={:?}): expected an input [B, C, H, W], got shape {:?}",
                    self.output_size,
                    x.shape()
                ),
            )
            .raise();
        }
        x.adaptive_avg_pool2d(self.output_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_pool_1d_returns_positions_in_the_row() {
        let x = Var::new(Tensor::from_vec(
            vec![3., 1., 4., 1., 5., 9., 2., 6.],
            &[1, 1, 8],
        ));
        let (y, at) = MaxPool1d::new(3)
            .stride(2)
            .padding(1)
            .forward_with_indices(&x);
        // windows over ·3 1 4 1 5 9 2 6: [·31] [141] [159] [926]
        assert_eq!(y.value().to_vec::<f32>(), vec![3., 4., 9., 9.]);
        assert_eq!(at.to_vec::<i64>(), vec![0, 2, 5, 5]);
    }

    #[test]
    #[should_panic(
        expected = "MaxPool2d: MaxPool2d(kernel_size=[2, 2], stride=[2, 2], padding=[0, 0]): expected an input [B, C, H, W], got shape [8, 28, 28]"
    )]
    fn a_missing_batch_dim_names_the_layer() {
        MaxPool2d::new(2).forward(&Var::new(Tensor::zeros(&[8, 28, 28])));
    }

    #[test]
    #[should_panic(
        expected = "AvgPool2d: AvgPool2d(kernel_size=[5, 5], stride=[5, 5], padding=[0, 0]): input [1, 2, 4, 4]: the window 5×5 (dilation 1×1) is larger than the padded input 4×4"
    )]
    fn a_window_larger_than_the_image_names_the_layer() {
        AvgPool2d::new(5).forward(&Var::new(Tensor::zeros(&[1, 2, 4, 4])));
    }

    #[test]
    #[should_panic(
        expected = "MaxPool1d: MaxPool1d(kernel_size=2, stride=2, padding=2): padding 2 is more than half the kernel_size 2"
    )]
    fn too_much_padding_names_the_layer() {
        MaxPool1d::new(2)
            .padding(2)
            .forward(&Var::new(Tensor::zeros(&[1, 2, 8])));
    }
}
