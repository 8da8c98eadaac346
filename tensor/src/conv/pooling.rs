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
//! ```
//! The backward loops are in autograd's op files; they read the windows through
//! [`WindowAxis::sources`], [`divisor`] and [`positions`], as the forward does.
//! Not supported: `ceil_mode` (a last partial window); the output size rounds down.
//! Read next: autograd's `ops/max_pool2d.rs` and `ops/avg_pool2d.rs`.

use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

use crate::dtype::{DType, Element, Float};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::lanes::as_slice;
use crate::parallel::worth_parallel;
use crate::sort::index_tensor;
use crate::tensor::{Tensor, check_float};

use super::{ConvOptions, PoolOptions, WindowAxis};

impl PoolOptions {
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
    /// use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::PoolOptions;
    /// let x = Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]);
    /// let (y, at) = x.max_pool2d(&PoolOptions::new(2));
    /// assert_eq!(y.to_vec::<f32>(), vec![5., 9.]);
    /// assert_eq!(at.to_vec::<i64>(), vec![1, 6]); // row 0 col 1, row 1 col 2
    /// ```
    #[track_caller]
    pub fn max_pool2d(&self, options: &PoolOptions) -> (Tensor, Tensor) {
        let (planes, height, width) = four_d("max_pool2d", options, self.shape());
        check_float("max_pool2d", self).or_raise();
        let x = self.contiguous();
        match self.dtype() {
            DType::F32 => max_pool::<f32>(&x, planes, &height, &width),
            DType::F64 => max_pool::<f64>(&x, planes, &height, &width),
            _ => unreachable!("the dtype was checked to be a float above"),
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
    /// use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::PoolOptions;
    /// let x = Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]);
    /// assert_eq!(x.avg_pool2d(&PoolOptions::new(2)).to_vec::<f32>(), vec![3.25, 4.75]);
    /// ```
    #[track_caller]
    pub fn avg_pool2d(&self, options: &PoolOptions) -> Tensor {
        let (planes, height, width) = avg_geometry(options, self.shape());
        check_float("avg_pool2d", self).or_raise();
        let x = self.contiguous();
        match self.dtype() {
            DType::F32 => avg_pool::<f32>(&x, planes, &height, &width, options.count_include_pad),
            DType::F64 => avg_pool::<f64>(&x, planes, &height, &width, options.count_include_pad),
            _ => unreachable!("the dtype was checked to be a float above"),
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

/// The positions `ih·W + iw` that an index tensor of [`Tensor::max_pool2d`] holds, in
/// row-major order (what autograd's `ops/max_pool2d` sends each gradient to).
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// use ferrograd::tensor::conv::{PoolOptions, pooling};
/// let x = Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]);
/// let (_, at) = x.max_pool2d(&PoolOptions::new(2));
/// assert_eq!(pooling::positions(&at), vec![1, 6]);
/// ```
pub fn positions(indices: &Tensor) -> Vec<usize> {
    indices
        .to_vec::<i64>()
        .into_iter()
        .map(|at| at as usize)
        .collect()
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

fn max_pool<T: Float>(
    x: &Tensor,
    planes: usize,
    height: &WindowAxis,
    width: &WindowAxis,
) -> (Tensor, Tensor) {
    let (xs, plane_in) = (as_slice::<T>(x), height.input * width.input);
    let (w_in, w_out) = (width.input, width.output);
    let plane_out = height.output * w_out;
    // each window's (max, position), position usize::MAX until its first tap is read
    let unseen = (T::neg_infinity(), usize::MAX);
    let mut best: Vec<(T, usize)> = vec![unseen; planes * plane_out];
    for_planes(&mut best, plane_out, |p, out| {
        let image = &xs[p * plane_in..(p + 1) * plane_in];
        // Tap by tap, as im2col walks them: tap (a, b) of every window that has it
        // inside the image, a whole output row at a time (long loops, not one short
        // loop per window). Taps come in row-major order, so the first max wins a tie.
        for a in 0..height.kernel {
            for i in height.inside(a) {
                let ih = i * height.stride + a * height.dilation - height.pad_before;
                let line = &image[ih * w_in..(ih + 1) * w_in];
                let row = &mut out[i * w_out..(i + 1) * w_out];
                for b in 0..width.kernel {
                    let inside = width.inside(b);
                    if inside.is_empty() {
                        continue;
                    }
                    let first = inside.start * width.stride + b * width.dilation - width.pad_before;
                    let sources = line[first..].iter().step_by(width.stride);
                    for (k, (slot, &v)) in row[inside].iter_mut().zip(sources).enumerate() {
                        // NaN wins and stays (as PyTorch), so it is not hidden by pooling
                        if v > slot.0 || v.is_nan() || slot.1 == usize::MAX {
                            *slot = (v, ih * w_in + first + k * width.stride);
                        }
                    }
                }
            }
        }
    });
    let shape = x.shape();
    let values = best.iter().map(|&(v, _)| v).collect();
    let y = output(values, shape, height, width);
    // where each window's max is, in the crate's index dtype (i64, as PyTorch's
    // return_indices): `index_tensor` decides it for argsort, topk and this alike
    let at = best.iter().map(|&(_, at)| at).collect();
    let at = ArrayD::from_shape_vec(IxDyn(y.shape()), at)
        .expect("internal error: pooling index shape; this is a bug");
    (y, index_tensor(at))
}

/// Average pooling as a convolution, the identity the tests check it with: one filter
/// per channel (`groups = C`), every one of its `kH·kW` weights `1 / (kH·kW)`, with the
/// pooling's stride and padding. `x.conv2d(&w, None, &conv)` then equals
/// `x.avg_pool2d(options)` when `count_include_pad` is on (the default).
///
/// # Shapes
/// The weight `w` is `[C, 1, kH, kW]` for `channels = C`.
///
/// # Examples
/// ```
/// use ferrograd::tensor::conv::{PoolOptions, pooling};
/// use ferrograd::tensor::{DType, Tensor};
/// let x = Tensor::randn(&[1, 2, 4, 4]);
/// let options = PoolOptions::new(2);
/// let (w, conv) = pooling::averaging_conv(&options, 2, DType::F32);
/// let gap = (&x.conv2d(&w, None, &conv) - &x.avg_pool2d(&options)).abs().max().item();
/// assert!(gap < 1e-6);
/// ```
pub fn averaging_conv(
    options: &PoolOptions,
    channels: usize,
    dtype: DType,
) -> (Tensor, ConvOptions) {
    let [kh, kw] = options.kernel_size;
    let weight = Tensor::full_dtype(&[channels, 1, kh, kw], 1.0 / (kh * kw) as f64, dtype);
    let conv = ConvOptions::default()
        .stride(options.stride)
        .padding(options.padding)
        .groups(channels);
    (weight, conv)
}

/// The divisor of an average-pooling window of `kernel` taps whose taps inside the
/// input are `rows` × `cols` ([`WindowAxis::sources`]): all of them
/// (`count_include_pad`), or those inside. Also the backward's (autograd's
/// `ops/avg_pool2d`), which gives each tap `g / divisor`.
pub fn divisor(kernel: usize, rows: &[usize], cols: &[usize], include_pad: bool) -> f64 {
    if include_pad {
        kernel as f64
    } else {
        (rows.len() * cols.len()) as f64
    }
}

fn avg_pool<T: Float>(
    x: &Tensor,
    planes: usize,
    height: &WindowAxis,
    width: &WindowAxis,
    include_pad: bool,
) -> Tensor {
    let (xs, plane_in) = (as_slice::<T>(x), height.input * width.input);
    let (rows, cols, w_in) = (height.sources(), width.sources(), width.input);
    let (plane_out, kernel) = (height.output * width.output, height.kernel * width.kernel);
    let mut y = vec![T::zero(); planes * plane_out];
    for_planes(&mut y, plane_out, |p, out| {
        let image = &xs[p * plane_in..(p + 1) * plane_in];
        for (out_row, rows_i) in out.chunks_mut(width.output).zip(&rows) {
            for (slot, cols_j) in out_row.iter_mut().zip(&cols) {
                let mut sum = T::zero();
                for &ih in rows_i {
                    for &iw in cols_j {
                        sum = sum + image[ih * w_in + iw];
                    }
                }
                *slot = sum / T::of(divisor(kernel, rows_i, cols_j, include_pad));
            }
        }
    });
    output(y, x.shape(), height, width)
}
