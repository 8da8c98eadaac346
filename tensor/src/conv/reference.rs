//! The convolution as its definition: seven nested loops, forward and backward. Slow
//! (one multiply-add per innermost step, no reuse of anything), but every line is the
//! formula, so it is the yardstick the fast [`super::lowered`] version is tested
//! against (`tests` at the end of `lowered.rs`).
//!
//! ```text
//! y[b, o, i, j] = bias[o] + Σ_c Σ_p Σ_q  w[o, c, p, q] · x[b, g·C_g + c, i·s_h + p·d_h − pad_h,
//!                                                                         j·s_w + q·d_w − pad_w]
//!     g = o / (C_out/G), the group of output channel o;  C_g = C_in/G;  x = 0 in the padding
//!
//! backward (g_y = ∂L/∂y): every term w·x of the sum sends g_y[b, o, i, j] back to both factors
//!     ∂L/∂x[b, g·C_g + c, ih, iw] += w[o, c, p, q]                · g_y[b, o, i, j]
//!     ∂L/∂w[o, c, p, q]           += x[b, g·C_g + c, ih, iw]      · g_y[b, o, i, j]
//!     ∂L/∂bias[o]                 += g_y[b, o, i, j]
//! ```
//! The numbers are computed in f64 and returned in the input's dtype.
//! Read next: [`super::im2col`].

use crate::error::OrRaise;
use crate::tensor::Tensor;

use super::{ConvGeometry, ConvOptions};

/// Sizes used by the loops, named as in the formula.
struct Loops {
    geo: ConvGeometry,
    /// Input channels per group, `C_g`.
    c_in_g: usize,
    /// Output channels per group.
    c_out_g: usize,
}

impl Loops {
    #[track_caller]
    fn new(x: &Tensor, weight: &Tensor, options: &ConvOptions) -> Loops {
        if x.dims() != 4 || weight.dims() != 4 {
            super::rank_error("conv2d", x.shape(), weight.shape(), 2).raise();
        }
        let geo = ConvGeometry::new("conv2d", x.shape(), weight.shape(), options).or_raise();
        Loops {
            geo,
            c_in_g: geo.in_channels / geo.groups,
            c_out_g: geo.out_channels / geo.groups,
        }
    }

    /// Row-major offset of `x[b, c, ih, iw]`.
    fn x_at(&self, b: usize, c: usize, ih: usize, iw: usize) -> usize {
        ((b * self.geo.in_channels + c) * self.geo.height.input + ih) * self.geo.width.input + iw
    }

    /// Row-major offset of `w[o, c, p, q]`.
    fn w_at(&self, o: usize, c: usize, p: usize, q: usize) -> usize {
        ((o * self.c_in_g + c) * self.geo.height.kernel + p) * self.geo.width.kernel + q
    }

    /// Row-major offset of `y[b, o, i, j]`.
    fn y_at(&self, b: usize, o: usize, i: usize, j: usize) -> usize {
        ((b * self.geo.out_channels + o) * self.geo.height.output + i) * self.geo.width.output + j
    }

    /// Call `visit(x offset, w offset, y offset)` for every term `w·x` of every output
    /// element: the seven loops, shared by the forward and the backward.
    fn for_each_term(&self, mut visit: impl FnMut(usize, usize, usize)) {
        let ConvGeometry {
            batch,
            out_channels,
            height,
            width,
            ..
        } = self.geo;
        for b in 0..batch {
            for o in 0..out_channels {
                let group = o / self.c_out_g;
                for i in 0..height.output {
                    for j in 0..width.output {
                        for c in 0..self.c_in_g {
                            for p in 0..height.kernel {
                                for q in 0..width.kernel {
                                    // a tap in the padding multiplies a zero
                                    let (Some(ih), Some(iw)) =
                                        (height.source(i, p), width.source(j, q))
                                    else {
                                        continue;
                                    };
                                    let x = self.x_at(b, group * self.c_in_g + c, ih, iw);
                                    visit(x, self.w_at(o, c, p, q), self.y_at(b, o, i, j));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The 2-d convolution by its definition (see the module doc), as
/// `torch.nn.functional.conv2d`.
///
/// # Shapes
/// `x: [B, C_in, H, W]`, `weight: [C_out, C_in/groups, kH, kW]`, `bias: [C_out]` →
/// `[B, C_out, H_out, W_out]`.
///
/// # Panics
/// If the shapes do not fit each other or the options (see [`ConvGeometry::new`]).
///
/// # Examples
/// ```
/// use tensor::Tensor;
/// use tensor::conv::{ConvOptions, reference};
/// // a 2×2 kernel of ones sums each 2×2 window of [[1, 2, 3], [4, 5, 6]]
/// let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[1, 1, 2, 3]);
/// let w = Tensor::ones(&[1, 1, 2, 2]);
/// let y = reference::conv2d(&x, &w, None, &ConvOptions::default());
/// assert_eq!(y.to_vec::<f32>(), vec![12., 16.]);
/// ```
#[track_caller]
pub fn conv2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, options: &ConvOptions) -> Tensor {
    let loops = Loops::new(x, weight, options);
    let (xs, ws) = (x.to_vec::<f64>(), weight.to_vec::<f64>());
    let shape = loops.geo.output_shape();
    let mut y = vec![0.0; shape.iter().product()];
    loops.for_each_term(|x, w, out| y[out] += ws[w] * xs[x]);
    let mut y = Tensor::from_vec_f64(y, &shape);
    if let Some(bias) = bias {
        y = &y + &bias.to_dtype(crate::DType::F64).reshape(&[shape[1], 1, 1]);
    }
    y.to_dtype(x.dtype())
}

/// The gradients `(∂L/∂x, ∂L/∂weight)` of [`conv2d`] given `grad_out = ∂L/∂y`, by the
/// same seven loops (the bias's gradient is `grad_out` summed over dims 0, 2, 3).
///
/// # Shapes
/// `grad_out: [B, C_out, H_out, W_out]` → `([B, C_in, H, W], [C_out, C_in/groups, kH, kW])`.
///
/// # Panics
/// As [`conv2d`].
///
/// # Examples
/// ```
/// use tensor::Tensor;
/// use tensor::conv::{ConvOptions, reference};
/// let (x, w) = (Tensor::ones(&[1, 1, 2, 2]), Tensor::ones(&[1, 1, 2, 2]));
/// // one output, y = Σ w·x: ∂y/∂x = w, ∂y/∂w = x
/// let (gx, gw) = reference::conv2d_backward(&x, &w, &Tensor::ones(&[1, 1, 1, 1]), &ConvOptions::default());
/// assert_eq!((gx.to_vec::<f32>(), gw.to_vec::<f32>()), (vec![1.; 4], vec![1.; 4]));
/// ```
#[track_caller]
pub fn conv2d_backward(
    x: &Tensor,
    weight: &Tensor,
    grad_out: &Tensor,
    options: &ConvOptions,
) -> (Tensor, Tensor) {
    let loops = Loops::new(x, weight, options);
    let (xs, ws, gy) = (
        x.to_vec::<f64>(),
        weight.to_vec::<f64>(),
        grad_out.to_vec::<f64>(),
    );
    let (mut gx, mut gw) = (vec![0.0; xs.len()], vec![0.0; ws.len()]);
    loops.for_each_term(|x, w, out| {
        gx[x] += ws[w] * gy[out];
        gw[w] += xs[x] * gy[out];
    });
    (
        Tensor::from_vec_f64(gx, x.shape()).to_dtype(x.dtype()),
        Tensor::from_vec_f64(gw, weight.shape()).to_dtype(x.dtype()),
    )
}
