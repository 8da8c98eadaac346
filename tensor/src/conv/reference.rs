//! The convolution as its definition: seven nested loops. Slow (one multiply-add per
//! innermost step, no reuse of anything), but every line is the formula, so it is the
//! yardstick the fast [`super::lowered`] version is tested against (`conv/tests.rs`).
//!
//! ```text
//! y[b, o, i, j] = bias[o] + Σ_c Σ_p Σ_q  w[o, c, p, q] · x[b, g·C_g + c, i·s_h + p·d_h − pad_h,
//!                                                                         j·s_w + q·d_w − pad_w]
//!     g = o / (C_out/G), the group of output channel o;  C_g = C_in/G;  x = 0 in the padding
//! ```
//! [`for_each_term`] walks the terms `w·x` of that sum; the forward adds them up, and
//! autograd's `ops/conv2d` walks the same terms backward (its seven-loop reference
//! gradient). The numbers are computed in f64 and returned in the input's dtype.
//! Read next: [`super::im2col`].

use crate::error::OrRaise;
use crate::tensor::Tensor;

use super::{ConvGeometry, ConvOptions};

/// Call `visit(x offset, w offset, y offset)` for every term `w[o, c, p, q] · x[b, c', ih, iw]`
/// of every output element `y[b, o, i, j]` (row-major offsets into the three
/// tensors): the seven loops of the definition. Taps in the padding (a zero times
/// `w`) are skipped.
///
/// # Examples
/// ```
/// use ferrograd::tensor::conv::{ConvGeometry, ConvOptions, reference};
/// // a 2×2 kernel over a 2×3 image: two windows of four terms each
/// let geo = ConvGeometry::new("conv2d", &[1, 1, 2, 3], &[1, 1, 2, 2], &ConvOptions::default()).unwrap();
/// let mut terms = vec![];
/// reference::for_each_term(&geo, |x, w, y| terms.push((x, w, y)));
/// assert_eq!(terms.len(), 8);
/// assert_eq!(terms[..2], [(0, 0, 0), (1, 1, 0)]); // y[0] = w[0]·x[0] + w[1]·x[1] + …
/// ```
pub fn for_each_term(geo: &ConvGeometry, mut visit: impl FnMut(usize, usize, usize)) {
    let ConvGeometry {
        batch,
        in_channels,
        out_channels,
        groups,
        height,
        width,
    } = *geo;
    let (c_in_g, c_out_g) = (in_channels / groups, out_channels / groups);
    let x_at = |b, c, ih, iw| ((b * in_channels + c) * height.input + ih) * width.input + iw;
    let w_at = |o, c, p, q| ((o * c_in_g + c) * height.kernel + p) * width.kernel + q;
    let y_at = |b, o, i, j| ((b * out_channels + o) * height.output + i) * width.output + j;
    for b in 0..batch {
        for o in 0..out_channels {
            let group = o / c_out_g;
            for i in 0..height.output {
                for j in 0..width.output {
                    for c in 0..c_in_g {
                        for p in 0..height.kernel {
                            for q in 0..width.kernel {
                                // a tap in the padding multiplies a zero
                                let (Some(ih), Some(iw)) =
                                    (height.source(i, p), width.source(j, q))
                                else {
                                    continue;
                                };
                                let x = x_at(b, group * c_in_g + c, ih, iw);
                                visit(x, w_at(o, c, p, q), y_at(b, o, i, j));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The geometry of `conv2d` (4-d shapes only), or the panic naming the shapes.
#[track_caller]
fn geometry(x: &Tensor, weight: &Tensor, options: &ConvOptions) -> ConvGeometry {
    if x.dims() != 4 || weight.dims() != 4 {
        super::rank_error("conv2d", x.shape(), weight.shape(), 2).raise();
    }
    ConvGeometry::new("conv2d", x.shape(), weight.shape(), options).or_raise()
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
/// use ferrograd::tensor::Tensor;
/// use ferrograd::tensor::conv::{ConvOptions, reference};
/// // a 2×2 kernel of ones sums each 2×2 window of [[1, 2, 3], [4, 5, 6]]
/// let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[1, 1, 2, 3]);
/// let w = Tensor::ones(&[1, 1, 2, 2]);
/// let y = reference::conv2d(&x, &w, None, &ConvOptions::default());
/// assert_eq!(y.to_vec::<f32>(), vec![12., 16.]);
/// ```
#[track_caller]
pub fn conv2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, options: &ConvOptions) -> Tensor {
    let geo = geometry(x, weight, options);
    let (xs, ws) = (x.to_vec::<f64>(), weight.to_vec::<f64>());
    let shape = geo.output_shape();
    let mut y = vec![0.0; shape.iter().product()];
    for_each_term(&geo, |x, w, out| y[out] += ws[w] * xs[x]);
    let mut y = Tensor::from_vec_f64(y, &shape);
    if let Some(bias) = bias {
        y = &y + &bias.to_dtype(crate::DType::F64).reshape(&[shape[1], 1, 1]);
    }
    y.to_dtype(x.dtype())
}
