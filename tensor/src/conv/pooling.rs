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

use super::{PoolOptions, WindowAxis};

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

    /// The gradient of [`Tensor::max_pool2d`] with respect to its input of shape
    /// `input_shape`, given `self = ∂L/∂y` and the forward's `indices`: each window's
    /// gradient is added at its max, `∂L/∂x[b, c, indices[b, c, i, j]] += g[b, c, i, j]`.
    ///
    /// # Shapes
    /// `self`, `indices: [B, C, H_out, W_out]` → `input_shape` `[B, C, H, W]`.
    ///
    /// # Panics
    /// If the shapes or dtypes of `self` and `indices` differ, or `input_shape` is not
    /// `[B, C, H, W]` with their B and C.
    ///
    /// # Examples
    /// ```
    /// use tensor::Tensor;
    /// use tensor::conv::PoolOptions;
    /// let x = Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]);
    /// let (_, at) = x.max_pool2d(&PoolOptions::new(2));
    /// let g = Tensor::from_vec(vec![10., 20.], &[1, 1, 1, 2]);
    /// let gx = g.max_pool2d_backward(&at, x.shape());
    /// assert_eq!(gx.to_vec::<f32>(), vec![0., 10., 0., 0., 0., 0., 20., 0.]);
    /// ```
    #[track_caller]
    pub fn max_pool2d_backward(&self, indices: &Tensor, input_shape: &[usize]) -> Tensor {
        let (g, at) = (self.shape(), indices.shape());
        let fits = g == at && g.len() == 4 && input_shape.len() == 4 && g[..2] == input_shape[..2];
        if !fits || self.dtype() != indices.dtype() {
            Error::new(
                "max_pool2d_backward",
                ErrorKind::Shape,
                format!(
                    "gradient {} {g:?} and indices {} {at:?} do not fit input {input_shape:?}",
                    self.dtype(),
                    indices.dtype()
                ),
            )
            .raise();
        }
        let (g, at) = (self.contiguous(), indices.contiguous());
        match self.dtype() {
            DType::F32 => max_backward::<f32>(&g, &at, input_shape),
            DType::F64 => max_backward::<f64>(&g, &at, input_shape),
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
    let (rows, cols, w_in) = (sources(height), sources(width), width.input);
    let plane_out = height.output * width.output;
    let mut best: Vec<(T, usize)> = vec![(T::neg_infinity(), 0); planes * plane_out];
    for_planes(&mut best, plane_out, |p, out| {
        let image = &xs[p * plane_in..(p + 1) * plane_in];
        for (out_row, rows_i) in out.chunks_mut(width.output).zip(&rows) {
            for (slot, cols_j) in out_row.iter_mut().zip(&cols) {
                let (mut max, mut at) = (T::neg_infinity(), usize::MAX);
                for &ih in rows_i {
                    let line = &image[ih * w_in..(ih + 1) * w_in];
                    for &iw in cols_j {
                        let v = line[iw];
                        // NaN wins and stays (as PyTorch), so it is not hidden by pooling
                        if v > max || v.is_nan() || at == usize::MAX {
                            (max, at) = (v, ih * w_in + iw);
                        }
                    }
                }
                *slot = (max, at);
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

/// For each output position of `axis`, the input positions its taps read that lie
/// inside the input (worked out once per call, not per window).
fn sources(axis: &WindowAxis) -> Vec<Vec<usize>> {
    (0..axis.output)
        .map(|out| {
            (0..axis.kernel)
                .filter_map(|t| axis.source(out, t))
                .collect()
        })
        .collect()
}

/// The divisor of a window of `kernel` taps whose taps inside the input are `rows` ×
/// `cols`: all of them, or those inside.
fn divisor(kernel: usize, rows: &[usize], cols: &[usize], include_pad: bool) -> f64 {
    if include_pad {
        kernel as f64
    } else {
        (rows.len() * cols.len()) as f64
    }
}

fn max_backward<T: Element>(g: &Tensor, indices: &Tensor, input_shape: &[usize]) -> Tensor {
    let (gs, at) = (data::<T>(g), data::<T>(indices));
    let plane_in = input_shape[2] * input_shape[3];
    let plane_out = g.shape()[2] * g.shape()[3];
    let mut gx = vec![T::zero(); input_shape.iter().product()];
    for_planes(&mut gx, plane_in, |p, image| {
        let window = p * plane_out..(p + 1) * plane_out;
        for (&grad, &index) in gs[window.clone()].iter().zip(&at[window]) {
            let pixel = index
                .to_usize()
                .expect("internal error: a pooling index; this is a bug");
            image[pixel] = image[pixel] + grad;
        }
    });
    Tensor::try_from_vec_of(gx, input_shape)
        .expect("internal error: pooling input shape; this is a bug")
}

fn avg_pool<T: Element>(
    x: &Tensor,
    planes: usize,
    height: &WindowAxis,
    width: &WindowAxis,
    include_pad: bool,
) -> Tensor {
    let (xs, plane_in) = (data::<T>(x), height.input * width.input);
    let (rows, cols, w_in) = (sources(height), sources(width), width.input);
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

fn avg_backward<T: Element>(
    g: &Tensor,
    input_shape: &[usize],
    planes: usize,
    height: &WindowAxis,
    width: &WindowAxis,
    include_pad: bool,
) -> Tensor {
    let (gs, plane_out) = (data::<T>(g), height.output * width.output);
    let (rows, cols, w_in) = (sources(height), sources(width), width.input);
    let (plane_in, kernel) = (height.input * w_in, height.kernel * width.kernel);
    let mut gx = vec![T::zero(); planes * plane_in];
    for_planes(&mut gx, plane_in, |p, image| {
        let grad = &gs[p * plane_out..(p + 1) * plane_out];
        for (grad_row, rows_i) in grad.chunks(width.output).zip(&rows) {
            for (&g, cols_j) in grad_row.iter().zip(&cols) {
                let share = g / T::of(divisor(kernel, rows_i, cols_j, include_pad));
                for &ih in rows_i {
                    for &iw in cols_j {
                        image[ih * w_in + iw] = image[ih * w_in + iw] + share;
                    }
                }
            }
        }
    });
    Tensor::try_from_vec_of(gx, input_shape)
        .expect("internal error: pooling input shape; this is a bug")
}
