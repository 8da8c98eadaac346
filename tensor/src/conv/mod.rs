//! Sliding-window ops on images `[B, C, H, W]`: 2-d convolution (and, through it,
//! 1-d), max pooling and average pooling. The kernels under autograd's `conv2d`,
//! `max_pool2d` and `avg_pool2d` ops; no gradients are recorded here.
//!
//! ```text
//! one spatial dim (height or width) of a window op:
//!   input n, kernel k, stride s, dilation d, padding p_before + p_after (zeros)
//!   output position o, kernel tap t  →  input position  i = o·s + t·d − p_before
//!                                       (a zero of the padding if i < 0 or i ≥ n)
//!   output size  n_out = ⌊(n + p_before + p_after − d·(k − 1) − 1) / s⌋ + 1
//!
//!   n = 7, k = 3, s = 2, d = 1, p = 1:   ·[x x x x x x x]·     n_out = 4
//!                                        ╰─o0─╯
//!                                            ╰─o1─╯ ...
//! ```
//! [`WindowAxis`] is that rule for one dim, [`ConvGeometry`] the whole convolution
//! (checked once, before any data is touched), [`ConvOptions`] what a caller
//! passes, with PyTorch's names and defaults.
//!
//! Files, in reading order:
//! ```text
//! mod.rs        the geometry and its checks (this file)
//! options.rs    ConvOptions and PoolOptions, PyTorch's arguments
//! reference.rs  the definition: seven nested loops                  ← start here
//! im2col.rs     copying every window of an image into a column ("im2col") and back
//! lowered.rs    the fast convolution: im2col, then one GEMM per image and group
//! pooling.rs    max pooling (with the argmax positions) and average pooling
//! ```
//! The backward of each op is in its autograd op file (`ops/conv2d/`,
//! `ops/max_pool2d.rs`, `ops/avg_pool2d.rs`), built from the pieces here.
//! Read next: [`reference`], then [`lowered`].

pub mod im2col;
pub mod lowered;
pub mod options;
pub mod pooling;
pub mod reference;

pub use options::{ConvOptions, Padding, Pair, PoolOptions};

use std::ops::Range;

use crate::error::{Error, ErrorKind};

/// One spatial dim of a window op: where each output position's kernel taps land in
/// the input (see the module doc for the formula).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowAxis {
    /// Input size `n`.
    pub input: usize,
    /// Kernel size `k`.
    pub kernel: usize,
    /// Stride `s`.
    pub stride: usize,
    /// Dilation `d`.
    pub dilation: usize,
    /// Zeros before the input, `p_before` (those after only shorten the output).
    pub pad_before: usize,
    /// Output size `n_out`.
    pub output: usize,
}

impl WindowAxis {
    /// The axis, or `None` if the dilated kernel `d·(k − 1) + 1` is longer than the
    /// padded input (or a size, stride or dilation is 0).
    pub fn new(
        input: usize,
        kernel: usize,
        stride: usize,
        dilation: usize,
        [pad_before, pad_after]: [usize; 2],
    ) -> Option<WindowAxis> {
        if kernel == 0 || stride == 0 || dilation == 0 {
            return None;
        }
        let span = dilation * (kernel - 1) + 1;
        let padded = input + pad_before + pad_after;
        (padded >= span).then(|| WindowAxis {
            input,
            kernel,
            stride,
            dilation,
            pad_before,
            output: (padded - span) / stride + 1,
        })
    }

    /// The input position that output position `out` reads at kernel tap `tap`, or
    /// `None` where that is a zero of the padding.
    #[inline]
    pub fn source(&self, out: usize, tap: usize) -> Option<usize> {
        let position = (out * self.stride + tap * self.dilation).checked_sub(self.pad_before)?;
        (position < self.input).then_some(position)
    }

    /// For each output position, the input positions its taps read that lie inside
    /// the input (pooling works them out once per call, not once per window).
    ///
    /// # Examples
    /// ```
    /// use ferrograd::tensor::conv::WindowAxis;
    /// // n = 4, k = 3, s = 2, padding 1: windows over positions −1..=1 and 1..=3
    /// let axis = WindowAxis::new(4, 3, 2, 1, [1, 1]).unwrap();
    /// assert_eq!(axis.sources(), vec![vec![0, 1], vec![1, 2, 3]]);
    /// ```
    pub fn sources(&self) -> Vec<Vec<usize>> {
        (0..self.output)
            .map(|out| {
                (0..self.kernel)
                    .filter_map(|t| self.source(out, t))
                    .collect()
            })
            .collect()
    }

    /// The output positions whose tap `tap` lands inside the input (a range, since
    /// the source moves by `stride` per output position).
    pub fn inside(&self, tap: usize) -> Range<usize> {
        let offset = tap * self.dilation; // source = out·s + offset − p_before
        let first = self.pad_before.saturating_sub(offset).div_ceil(self.stride);
        let end = (self.input + self.pad_before)
            .saturating_sub(offset)
            .div_ceil(self.stride);
        first.min(self.output)..end.min(self.output)
    }
}

/// Every size of one convolution, worked out and checked from the shapes of the
/// input `[B, C_in, H, W]` and the weight `[C_out, C_in/groups, k_h, k_w]` (a 1-d
/// convolution, `[B, C_in, L]` and `[C_out, C_in/groups, k]`, is one of height 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// B.
    pub batch: usize,
    /// C_in.
    pub in_channels: usize,
    /// C_out.
    pub out_channels: usize,
    /// G.
    pub groups: usize,
    /// The height axis (H, k_h, s_h, d_h, padding, H_out); all 1 (and no padding) in 1-d.
    pub height: WindowAxis,
    /// The width axis (the length in 1-d).
    pub width: WindowAxis,
}

/// The error for shapes of the wrong ranks: `spatial` 1 or 2 for an op of that
/// many spatial dims, 0 for one that takes either.
pub fn rank_error(op: &'static str, input: &[usize], weight: &[usize], spatial: usize) -> Error {
    let expected = match spatial {
        1 => "expected an input [B, C_in, L] and a weight [C_out, C_in/groups, k]",
        2 => "expected an input [B, C_in, H, W] and a weight [C_out, C_in/groups, kH, kW]",
        _ => {
            "expected an input [B, C_in, H, W] and a weight [C_out, C_in/groups, kH, kW] \
              (1-d: [B, C_in, L] and [C_out, C_in/groups, k])"
        }
    };
    Error::new(
        op,
        ErrorKind::Shape,
        format!("input {input:?}, weight {weight:?}: {expected}"),
    )
    .with_hint("add a batch dim with .unsqueeze(0)")
}

impl ConvGeometry {
    /// Check `input` `[B, C_in, H, W]` and `weight` `[C_out, C_in/G, k_h, k_w]` (or
    /// `[B, C_in, L]` and `[C_out, C_in/G, k]`) against each other and `options`, for
    /// the op `op` (named in the errors).
    ///
    /// # Errors
    /// A [`ErrorKind::Shape`] error naming the shapes if the ranks are not 4 and 4 (or
    /// 3 and 3), the channels are not divisible by the groups, the weight's input
    /// channels are not `C_in/G`, or the dilated kernel is larger than the padded
    /// input; a [`ErrorKind::Value`] error for a zero stride, dilation or group count,
    /// or `"same"` padding with a stride above 1.
    pub fn new(
        op: &'static str,
        input: &[usize],
        weight: &[usize],
        options: &ConvOptions,
    ) -> Result<ConvGeometry, Error> {
        let shape_error = |problem: String, hint: &str| {
            let message = format!("input {input:?}, weight {weight:?}: {problem}");
            Err(Error::new(op, ErrorKind::Shape, message).with_hint(hint))
        };
        let (x, w, options) = match (input, weight) {
            (&[b, c, l], &[o, c_g, k]) => ([b, c, 1, l], [o, c_g, 1, k], options.as_1d(op)?),
            (&[b, c, h, w], &[o, c_g, k_h, k_w]) => ([b, c, h, w], [o, c_g, k_h, k_w], *options),
            _ => return Err(rank_error(op, input, weight, 0)),
        };
        let one_d = input.len() == 3;
        let ([batch, c_in, h, w], [c_out, c_per_group, k_h, k_w]) = (x, w);
        let ConvOptions {
            stride,
            padding,
            dilation,
            groups,
        } = options;
        if groups == 0 || stride.contains(&0) || dilation.contains(&0) {
            return Err(Error::new(
                op,
                ErrorKind::Value,
                format!("stride {stride:?}, dilation {dilation:?} and groups {groups} must be ≥ 1"),
            ));
        }
        if !c_in.is_multiple_of(groups) || !c_out.is_multiple_of(groups) {
            return shape_error(
                format!(
                    "{c_in} input and {c_out} output channels are not both divisible by groups = {groups}"
                ),
                "groups must divide both channel counts",
            );
        }
        if c_per_group != c_in / groups {
            return shape_error(
                format!(
                    "the weight expects {} input channels ({c_per_group} per group × {groups} groups), the input has {c_in}",
                    c_per_group * groups
                ),
                "the weight's dim 1 is C_in / groups; channels go in dim 1 of the input",
            );
        }
        let pads = match padding {
            Padding::Size([p_h, p_w]) => [[p_h, p_h], [p_w, p_w]],
            Padding::Same if stride != [1, 1] => {
                return Err(Error::new(
                    op,
                    ErrorKind::Value,
                    format!(
                        "padding \"same\" needs stride 1, got stride {:?}",
                        options.stride
                    ),
                )
                .with_hint("pad explicitly, e.g. padding = kernel_size / 2"));
            }
            Padding::Same => {
                let total = |k: usize, d: usize| d * k.saturating_sub(1);
                let (t_h, t_w) = (total(k_h, dilation[0]), total(k_w, dilation[1]));
                [[t_h / 2, t_h - t_h / 2], [t_w / 2, t_w - t_w / 2]]
            }
        };
        let axes = (
            WindowAxis::new(h, k_h, stride[0], dilation[0], pads[0]),
            WindowAxis::new(w, k_w, stride[1], dilation[1], pads[1]),
        );
        let (Some(height), Some(width)) = axes else {
            let span = |k: usize, d: usize| d * (k.max(1) - 1) + 1;
            let padded = [h + pads[0][0] + pads[0][1], w + pads[1][0] + pads[1][1]];
            let (kernel, dilated, padded) = if one_d {
                (
                    k_w.to_string(),
                    span(k_w, dilation[1]).to_string(),
                    padded[1].to_string(),
                )
            } else {
                let dilated = format!("{}×{}", span(k_h, dilation[0]), span(k_w, dilation[1]));
                (
                    format!("{k_h}×{k_w}"),
                    dilated,
                    format!("{}×{}", padded[0], padded[1]),
                )
            };
            return shape_error(
                format!(
                    "the kernel {kernel} (dilated: {dilated}) is larger than the padded input {padded}"
                ),
                "use a smaller kernel or dilation, more padding, or a larger input",
            );
        };
        Ok(ConvGeometry {
            batch,
            in_channels: c_in,
            out_channels: c_out,
            groups,
            height,
            width,
        })
    }

    /// The output's shape, `[B, C_out, H_out, W_out]`.
    pub fn output_shape(&self) -> [usize; 4] {
        [
            self.batch,
            self.out_channels,
            self.height.output,
            self.width.output,
        ]
    }

    /// Rows of one group's im2col matrix: `C_in/G · k_h · k_w` (one per weight column).
    pub fn taps_per_group(&self) -> usize {
        self.in_channels / self.groups * self.height.kernel * self.width.kernel
    }

    /// Output positions per image, `H_out · W_out` (columns of the im2col matrix).
    pub fn positions(&self) -> usize {
        self.height.output * self.width.output
    }
}

#[cfg(test)]
mod tests;
