//! Pooling: the largest or the mean value of each window of each channel, as
//! `torch.nn.functional.max_pool2d` and `avg_pool2d`. The windows are those of the
//! convolution ([`WindowAxis`]), one channel at a time and with no weights.
//!
//! ```text
//! x: [B, C, H, W] → y: [B, C, H_out, W_out]     (kernel k, stride s = k by default, padding p)
//! max:  y[b, c, i, j] = max over the window's taps of x     (padding is −∞: never the max)
//!       index[b, c, i, j] = ih·W + iw of that max (first one on ties), PyTorch's
//!       `return_indices`; the backward sends the gradient there and nowhere else
//! avg:  y[b, c, i, j] = Σ taps x / (kH·kW)       (padding counts as zeros, PyTorch's
//!       default count_include_pad = true; with false: ÷ the taps inside the image)
//!       backward: each tap receives g / divisor
//! ```
//! Not supported: `ceil_mode` (a last partial window); the output size rounds down.
//! Read next: autograd's `ops/max_pool2d.rs` and `ops/avg_pool2d.rs`.

use rayon::prelude::*;

use crate::dtype::{DType, Element};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::parallel::worth_parallel;
use crate::tensor::Tensor;

use super::{Pair, WindowAxis};

/// The options of 2-d pooling, PyTorch's: `kernel_size`, `stride` (default: the
/// kernel size, so that windows tile the image), `padding` 0, `dilation` 1 (max
/// pooling only), `count_include_pad` true (average pooling only).
///
/// # Examples
/// ```
/// use tensor::conv::PoolOptions;
/// let opts = PoolOptions::new(3).stride(2).padding(1);
/// assert_eq!((opts.kernel_size, opts.stride, opts.padding), ([3, 3], [2, 2], [1, 1]));
/// assert_eq!(PoolOptions::new([2, 1]).stride, [2, 1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    /// Window size `[kH, kW]`.
    pub kernel_size: [usize; 2],
    /// Step between windows.
    pub stride: [usize; 2],
    /// Implicit padding on both sides (−∞ for max, 0 for average); at most half the kernel.
    pub padding: [usize; 2],
    /// Spacing between the taps of a window (max pooling).
    pub dilation: [usize; 2],
    /// Average pooling: whether the padding's zeros count in the divisor.
    pub count_include_pad: bool,
}

impl PoolOptions {
    /// Windows of `kernel_size` (`2` or `[2, 3]`), stride = kernel size, no padding.
    pub fn new(kernel_size: impl Pair) -> PoolOptions {
        let kernel_size = kernel_size.pair();
        PoolOptions {
            kernel_size,
            stride: kernel_size,
            padding: [0, 0],
            dilation: [1, 1],
            count_include_pad: true,
        }
    }

    /// Set the stride.
    pub fn stride(mut self, stride: impl Pair) -> PoolOptions {
        self.stride = stride.pair();
        self
    }

    /// Set the padding.
    pub fn padding(mut self, padding: impl Pair) -> PoolOptions {
        self.padding = padding.pair();
        self
    }

    /// Set the dilation (max pooling).
    pub fn dilation(mut self, dilation: impl Pair) -> PoolOptions {
        self.dilation = dilation.pair();
        self
    }

    /// Set `count_include_pad` (average pooling).
    pub fn count_include_pad(mut self, include: bool) -> PoolOptions {
        self.count_include_pad = include;
        self
    }

    /// These options for 1-d pooling seen as 2-d pooling of height 1: the width
    /// takes the value, the height a window of 1.
    ///
    /// # Errors
    /// A [`ErrorKind::Value`] error (naming `op`) if an option was given as two
    /// different values (`[2, 1]`), which 1-d pooling cannot use.
    pub fn as_1d(&self, op: &'static str) -> Result<PoolOptions, Error> {
        let one = |name: &str, [a, b]: [usize; 2]| {
            if a == b {
                Ok(a)
            } else {
                Err(Error::new(
                    op,
                    ErrorKind::Value,
                    format!("1-d pooling takes one {name}, got [{a}, {b}]"),
                ))
            }
        };
        Ok(PoolOptions {
            kernel_size: [1, one("kernel_size", self.kernel_size)?],
            stride: [1, one("stride", self.stride)?],
            padding: [0, one("padding", self.padding)?],
            dilation: [1, one("dilation", self.dilation)?],
            count_include_pad: self.count_include_pad,
        })
    }

    /// Check `input` (`[B, C, H, W]`, or `[B, C, L]` for 1-d pooling) against the
    /// options for `op`: the number of planes `B·C` and the two axes (in 1-d, a
    /// height axis of 1).
    ///
    /// # Errors
    /// A [`ErrorKind::Shape`] error if the input is not 3-d or 4-d or a window is
    /// larger than the padded input; a [`ErrorKind::Value`] error for a zero kernel,
    /// stride or dilation, or padding above half the kernel.
    pub fn geometry(
        &self,
        op: &'static str,
        input: &[usize],
    ) -> Result<(usize, WindowAxis, WindowAxis), Error> {
        let (planes, [h, w], options) = match *input {
            [b, c, l] => (b * c, [1, l], self.as_1d(op)?),
            [b, c, h, w] => (b * c, [h, w], *self),
            _ => {
                return Err(Error::new(
                    op,
                    ErrorKind::Shape,
                    format!("expected an input [B, C, H, W] (1-d: [B, C, L]), got shape {input:?}"),
                )
                .with_hint("add a batch dim with .unsqueeze(0)"));
            }
        };
        let PoolOptions {
            kernel_size: k,
            stride,
            padding,
            dilation,
            ..
        } = options;
        let shown = |[a, b]: [usize; 2]| {
            if input.len() == 3 {
                b.to_string()
            } else {
                format!("{a}×{b}")
            }
        };
        if k.contains(&0) || stride.contains(&0) || dilation.contains(&0) {
            return Err(Error::new(
                op,
                ErrorKind::Value,
                format!(
                    "kernel_size {}, stride {} and dilation {} must be ≥ 1",
                    shown(k),
                    shown(stride),
                    shown(dilation)
                ),
            ));
        }
        if padding[0] > k[0] / 2 || padding[1] > k[1] / 2 {
            return Err(Error::new(
                op,
                ErrorKind::Value,
                format!(
                    "padding {} is more than half the kernel_size {}",
                    shown(padding),
                    shown(k)
                ),
            )
            .with_hint("a window must hold at least one pixel of the input, as in PyTorch"));
        }
        let axis =
            |d: usize, n: usize| WindowAxis::new(n, k[d], stride[d], dilation[d], [padding[d]; 2]);
        match (axis(0, h), axis(1, w)) {
            (Some(height), Some(width)) => Ok((planes, height, width)),
            _ => Err(Error::new(
                op,
                ErrorKind::Shape,
                format!(
                    "input {input:?}: the window {} (dilation {}) is larger than the padded input {}",
                    shown(k),
                    shown(dilation),
                    shown([h + 2 * padding[0], w + 2 * padding[1]])
                ),
            )
            .with_hint("use a smaller kernel_size or a larger input")),
        }
    }
}

/// Run `plane(p, out)` for each of the `planes` output planes of `out` (in parallel
/// when large).
fn for_planes<U: Send>(out: &mut [U], len: usize, plane: impl Fn(usize, &mut [U]) + Sync + Send) {
    if worth_parallel(out.len()) {
        out.par_chunks_mut(len.max(1))
            .enumerate()
            .for_each(|(p, o)| plane(p, o));
    } else {
        out.chunks_mut(len.max(1))
            .enumerate()
            .for_each(|(p, o)| plane(p, o));
    }
}

impl Tensor {
    /// Max pooling of `[B, C, H, W]` with the argmax positions, as
    /// `torch.nn.functional.max_pool2d(.., return_indices=True)`.
    ///
    /// Returns `(values, indices)`: `indices[b, c, i, j]` = `ih·W + iw` of the window's
    /// max in its input plane (first on ties), as integer values in `self`'s dtype.
    ///
    /// # Shapes
    /// `[B, C, H, W]` → both `[B, C, H_out, W_out]`, `H_out = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1`.
    ///
    /// # Panics
    /// See [`PoolOptions::geometry`].
    ///
    /// # Examples
    /// ```
    /// use tensor::Tensor;
    /// use tensor::conv::PoolOptions;
    /// let x = Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]);
    /// let (y, at) = x.max_pool2d(&PoolOptions::new(2));
    /// assert_eq!(y.to_vec::<f32>(), vec![5., 9.]);
    /// assert_eq!(at.to_vec::<f32>(), vec![1., 6.]); // row 0 col 1, row 1 col 2
    /// ```
    #[track_caller]
    pub fn max_pool2d(&self, options: &PoolOptions) -> (Tensor, Tensor) {
        let (planes, height, width) = four_d("max_pool2d", options, self.shape());
        let x = self.contiguous();
        match self.dtype() {
            DType::F32 => max_pool::<f32>(&x, planes, &height, &width),
            DType::F64 => max_pool::<f64>(&x, planes, &height, &width),
        }
    }

    /// Average pooling of `[B, C, H, W]`, as `torch.nn.functional.avg_pool2d`
    /// (`dilation` must be 1).
    ///
    /// # Shapes
    /// `[B, C, H, W]` → `[B, C, H_out, W_out]`.
    ///
    /// # Panics
    /// See [`PoolOptions::geometry`].
    ///
    /// # Examples
    /// ```
    /// use tensor::Tensor;
    /// use tensor::conv::PoolOptions;
    /// let x = Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]);
    /// assert_eq!(x.avg_pool2d(&PoolOptions::new(2)).to_vec::<f32>(), vec![3.25, 4.75]);
    /// ```
    #[track_caller]
    pub fn avg_pool2d(&self, options: &PoolOptions) -> Tensor {
        let (planes, height, width) = avg_geometry(options, self.shape());
        let x = self.contiguous();
        match self.dtype() {
            DType::F32 => avg_pool::<f32>(&x, planes, &height, &width, options.count_include_pad),
            DType::F64 => avg_pool::<f64>(&x, planes, &height, &width, options.count_include_pad),
        }
    }

    /// The gradient of [`Tensor::avg_pool2d`] with respect to its input of shape
    /// `input_shape`, given `self = ∂L/∂y`: each tap of a window receives the
    /// window's gradient divided by the divisor.
    ///
    /// # Shapes
    /// `self: [B, C, H_out, W_out]` → `input_shape` `[B, C, H, W]`.
    ///
    /// # Panics
    /// See [`PoolOptions::geometry`]; also if `self` is not the output's shape.
    ///
    /// # Examples
    /// ```
    /// use tensor::Tensor;
    /// use tensor::conv::PoolOptions;
    /// let g = Tensor::from_vec(vec![4., 8.], &[1, 1, 1, 2]);
    /// let gx = g.avg_pool2d_backward(&[1, 1, 2, 4], &PoolOptions::new(2));
    /// assert_eq!(gx.to_vec::<f32>(), vec![1., 1., 2., 2., 1., 1., 2., 2.]);
    /// ```
    #[track_caller]
    pub fn avg_pool2d_backward(&self, input_shape: &[usize], options: &PoolOptions) -> Tensor {
        let (planes, height, width) = avg_geometry(options, input_shape);
        if self.shape() != [input_shape[0], input_shape[1], height.output, width.output] {
            Error::new(
                "avg_pool2d_backward",
                ErrorKind::Shape,
                format!(
                    "gradient {:?} does not fit input {input_shape:?}",
                    self.shape()
                ),
            )
            .raise();
        }
        let g = self.contiguous();
        match self.dtype() {
            DType::F32 => avg_backward::<f32>(
                &g,
                input_shape,
                planes,
                &height,
                &width,
                options.count_include_pad,
            ),
            DType::F64 => avg_backward::<f64>(
                &g,
                input_shape,
                planes,
                &height,
                &width,
                options.count_include_pad,
            ),
        }
    }
}

#[track_caller]
fn avg_geometry(options: &PoolOptions, shape: &[usize]) -> (usize, WindowAxis, WindowAxis) {
    if options.dilation != [1, 1] {
        Error::new(
            "avg_pool2d",
            ErrorKind::Value,
            format!(
                "dilation {:?} is not supported (PyTorch's avg_pool2d has none)",
                options.dilation
            ),
        )
        .raise();
    }
    four_d("avg_pool2d", options, shape)
}

/// The geometry of a 2-d pooling op, which takes 4-d inputs only.
#[track_caller]
fn four_d(
    op: &'static str,
    options: &PoolOptions,
    shape: &[usize],
) -> (usize, WindowAxis, WindowAxis) {
    if shape.len() != 4 {
        Error::new(
            op,
            ErrorKind::Shape,
            format!("expected an input [B, C, H, W], got shape {shape:?}"),
        )
        .with_hint("add a batch dim with .unsqueeze(0); 1-d signals go to the 1-d op")
        .raise();
    }
    options.geometry(op, shape).or_raise()
}

fn data<T: Element>(t: &Tensor) -> &[T] {
    t.array::<T>()
        .as_slice()
        .expect("internal error: pooling reads contiguous tensors; this is a bug")
}

fn output<T: Element>(
    values: Vec<T>,
    planes_shape: &[usize],
    height: &WindowAxis,
    width: &WindowAxis,
) -> Tensor {
    let shape = [
        planes_shape[0],
        planes_shape[1],
        height.output,
        width.output,
    ];
    Tensor::try_from_vec_of(values, &shape)
        .expect("internal error: pooling output shape; this is a bug")
}

fn max_pool<T: Element>(
    x: &Tensor,
    planes: usize,
    height: &WindowAxis,
    width: &WindowAxis,
) -> (Tensor, Tensor) {
    let (xs, plane_in) = (data::<T>(x), height.input * width.input);
    let plane_out = height.output * width.output;
    let mut best: Vec<(T, usize)> = vec![(T::neg_infinity(), 0); planes * plane_out];
    for_planes(&mut best, plane_out, |p, out| {
        let image = &xs[p * plane_in..(p + 1) * plane_in];
        for i in 0..height.output {
            for j in 0..width.output {
                let (mut max, mut at) = (T::neg_infinity(), usize::MAX);
                for ih in taps(height, i) {
                    for iw in taps(width, j) {
                        let v = image[ih * width.input + iw];
                        // NaN wins and stays (as PyTorch), so it is not hidden by pooling
                        if v > max || v.is_nan() || at == usize::MAX {
                            (max, at) = (v, ih * width.input + iw);
                        }
                    }
                }
                out[i * width.output + j] = (max, at);
            }
        }
    });
    let shape = x.shape();
    let values = best.iter().map(|&(v, _)| v).collect();
    let indices = best.iter().map(|&(_, at)| T::of(at as f64)).collect();
    (
        output(values, shape, height, width),
        output(indices, shape, height, width),
    )
}

/// The input positions of output position `out`'s taps that lie inside the input.
fn taps(axis: &WindowAxis, out: usize) -> impl Iterator<Item = usize> + Clone + '_ {
    (0..axis.kernel).filter_map(move |t| axis.source(out, t))
}

/// The divisor of window `(i, j)`: all its taps, or those inside the input.
fn divisor(height: &WindowAxis, width: &WindowAxis, i: usize, j: usize, include_pad: bool) -> f64 {
    let taps = if include_pad {
        height.kernel * width.kernel
    } else {
        taps(height, i).count() * taps(width, j).count()
    };
    taps as f64
}

fn avg_pool<T: Element>(
    x: &Tensor,
    planes: usize,
    height: &WindowAxis,
    width: &WindowAxis,
    include_pad: bool,
) -> Tensor {
    let (xs, plane_in) = (data::<T>(x), height.input * width.input);
    let plane_out = height.output * width.output;
    let mut y = vec![T::zero(); planes * plane_out];
    for_planes(&mut y, plane_out, |p, out| {
        let image = &xs[p * plane_in..(p + 1) * plane_in];
        for i in 0..height.output {
            for j in 0..width.output {
                let mut sum = T::zero();
                for ih in taps(height, i) {
                    for iw in taps(width, j) {
                        sum = sum + image[ih * width.input + iw];
                    }
                }
                out[i * width.output + j] = sum / T::of(divisor(height, width, i, j, include_pad));
            }
        }
    });
    output(y, x.shape(), height, width)
}

fn avg_backward<T: Element>(
    g: &Tensor,
    input_shape: &[usize],
    planes: usize,
    height: &WindowAxis,
    width: &WindowAxis,
    include_pad: bool,
) -> Tensor {
    let (gs, plane_out) = (data::<T>(g), height.output * width.output);
    let plane_in = height.input * width.input;
    let mut gx = vec![T::zero(); planes * plane_in];
    for_planes(&mut gx, plane_in, |p, image| {
        let grad = &gs[p * plane_out..(p + 1) * plane_out];
        for i in 0..height.output {
            for j in 0..width.output {
                let share =
                    grad[i * width.output + j] / T::of(divisor(height, width, i, j, include_pad));
                for ih in taps(height, i) {
                    for iw in taps(width, j) {
                        image[ih * width.input + iw] = image[ih * width.input + iw] + share;
                    }
                }
            }
        }
    });
    Tensor::try_from_vec_of(gx, input_shape)
        .expect("internal error: pooling input shape; this is a bug")
}
