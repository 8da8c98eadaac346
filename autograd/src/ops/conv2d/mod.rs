//! `conv2d`: the 2-d convolution of `torch.nn.functional.conv2d` (a cross-correlation:
//! the kernel slides over the image unflipped), and `conv1d` on top of it.
//!
//! ```text
//! x: [B, C_in, H, W]   w: [C_out, C_in/G, kH, kW]   b: [C_out]   y: [B, C_out, H_out, W_out]
//! forward:   y[b, o, i, j] = b[o] + Σ_c Σ_p Σ_q w[o, c, p, q] · x[b, g·C_in/G + c, i·s + p·d − pad, j·s + q·d − pad]
//!            (g = the group of o; x = 0 in the padding)
//! backward:  y is linear in x and in w, each term w·x read once, so every term sends
//!            g_y[b, o, i, j] back to its two factors:
//!            ∂L/∂x[b, c', ih, iw] = Σ over the terms that read it  w[o, c, p, q] · g_y[b, o, i, j]
//!            ∂L/∂w[o, c, p, q]    = Σ_b Σ_i Σ_j  x[b, c', ih, iw] · g_y[b, o, i, j]
//!            ∂L/∂b[o]             = Σ_b Σ_i Σ_j  g_y[b, o, i, j]
//! as matrices, with cols = im2col(x[b]) [C_in·kH·kW, H_out·W_out] and y[b] = W · cols:
//!            ∂L/∂W = Σ_b g_y[b] · colsᵀ        ∂L/∂x[b] = col2im(Wᵀ · g_y[b])
//! ```
//! The gradient with respect to x is itself a convolution, of g_y with the flipped
//! kernel ("transposed convolution"); col2im is how it is computed here.
//!
//! Two versions of each direction, the readable one tested against the fast one:
//! ```text
//!            definition (seven loops)                     fast (im2col + GEMM per image)
//! forward    tensor::conv::reference::conv2d              Tensor::conv2d (tensor::conv::lowered)
//! backward   conv2d_backward_reference (below)            kernel.rs
//! ```
//! Saves `x` and `w` (each gradient needs the other); when `x` needs no gradient (a
//! first layer's images), col2im and its product are skipped.
//!
//! `conv1d` is `conv2d` of height 1: `[B, C, L]` → `[B, C, 1, L]`, a view, no copy.
//! Read next: [`kernel`].

pub mod kernel;
#[cfg(test)]
mod tests;

use tensor::Tensor;
use tensor::conv::{ConvGeometry, ConvOptions, reference};
use tensor::error::{Error, ErrorKind, OrRaise};

use crate::function::{Function, record};
use crate::var::Var;

/// The gradients `(∂L/∂x, ∂L/∂w)` of the convolution by its definition, given
/// `grad_out = ∂L/∂y`: the seven loops of [`reference::for_each_term`], each term
/// `w[o, c, p, q] · x[b, c', ih, iw]` of `y[b, o, i, j]` sending `g_y[b, o, i, j]` back
/// to both its factors. Computed in f64, returned in `x`'s dtype. What the fast
/// backward ([`kernel`]) is tested against; the bias's gradient is `grad_out` summed
/// over dims 0, 2 and 3.
///
/// ```text
/// ∂L/∂x[b, c', ih, iw] += w[o, c, p, q]     · g_y[b, o, i, j]
/// ∂L/∂w[o, c, p, q]    += x[b, c', ih, iw]  · g_y[b, o, i, j]
/// ```
///
/// # Shapes
/// `x: [B, C_in, H, W]`, `w: [C_out, C_in/groups, kH, kW]`, `grad_out: [B, C_out,
/// H_out, W_out]` → `([B, C_in, H, W], [C_out, C_in/groups, kH, kW])`.
///
/// # Panics
/// If `x` and `w` do not fit each other or the options (see
/// [`ConvGeometry::new`]).
///
/// # Examples
/// ```
/// # use tensor::Tensor; use tensor::conv::ConvOptions;
/// use autograd::ops::conv2d::conv2d_backward_reference;
/// let (x, w) = (Tensor::ones(&[1, 1, 3, 3]), Tensor::ones(&[1, 1, 2, 2]));
/// let g = Tensor::ones(&[1, 1, 2, 2]);
/// let (gx, gw) = conv2d_backward_reference(&x, &w, &g, &ConvOptions::default());
/// // the centre pixel is in all four windows, a corner in one; each tap saw four ones
/// assert_eq!(gx.to_vec::<f32>(), vec![1., 2., 1., 2., 4., 2., 1., 2., 1.]);
/// assert_eq!(gw.to_vec::<f32>(), vec![4.; 4]);
/// ```
#[track_caller]
pub fn conv2d_backward_reference(
    x: &Tensor,
    w: &Tensor,
    grad_out: &Tensor,
    options: &ConvOptions,
) -> (Tensor, Tensor) {
    let geo = ConvGeometry::new("conv2d", x.shape(), w.shape(), options).or_raise();
    let (xs, ws, gy) = (
        x.to_vec::<f64>(),
        w.to_vec::<f64>(),
        grad_out.to_vec::<f64>(),
    );
    let (mut gx, mut gw) = (vec![0.0; xs.len()], vec![0.0; ws.len()]);
    reference::for_each_term(&geo, |x, w, y| {
        gx[x] += ws[w] * gy[y];
        gw[w] += xs[x] * gy[y];
    });
    (
        Tensor::from_vec_f64(gx, x.shape()).to_dtype(x.dtype()),
        Tensor::from_vec_f64(gw, w.shape()).to_dtype(x.dtype()),
    )
}

/// The `conv2d` op; holds `x`, `w` and the options for backward.
pub struct Conv2d {
    x: Tensor,
    w: Tensor,
    options: ConvOptions,
    has_bias: bool,
    input_grad: bool,
}

impl Conv2d {
    /// `y = conv2d(x, w) + b` (shapes already checked by [`Var::conv2d`]);
    /// `input_grad` says whether backward must compute ∂L/∂x.
    pub fn forward(
        x: &Tensor,
        w: &Tensor,
        b: Option<&Tensor>,
        options: &ConvOptions,
        input_grad: bool,
    ) -> (Tensor, Conv2d) {
        let y = x.conv2d(w, b, options);
        let op = Conv2d {
            x: x.clone(),
            w: w.clone(),
            options: *options,
            has_bias: b.is_some(),
            input_grad,
        };
        (y, op)
    }
}

impl Function for Conv2d {
    fn name(&self) -> &'static str {
        "conv2d"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let (grad_x, grad_w) =
            kernel::backward(grad_out, &self.x, &self.w, &self.options, self.input_grad);
        let mut grads = vec![grad_x, Some(grad_w)];
        if self.has_bias {
            grads.push(Some(grad_out.sum_dims(&[0, 2, 3], false))); // [C_out]
        }
        grads
    }
}

/// Panics with the op's message unless `x` and `w` fit `options`, the bias is
/// `[C_out]` and the dtypes agree.
#[track_caller]
fn check(op: &'static str, x: &Var, weight: &Var, bias: Option<&Var>, options: &ConvOptions) {
    let (xs, ws) = (x.shape(), weight.shape());
    let geo = ConvGeometry::new(op, &xs, &ws, options).or_raise();
    let bias_ok = bias.is_none_or(|b| b.shape() == [geo.out_channels]);
    let dtypes_ok = weight.dtype() == x.dtype() && bias.is_none_or(|b| b.dtype() == x.dtype());
    if !bias_ok || !dtypes_ok {
        Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "input {} {xs:?}, weight {} {ws:?}, bias {}: expected a bias [{}] and one dtype",
                x.dtype(),
                weight.dtype(),
                bias.map_or("none".to_string(), |b| format!(
                    "{} {:?}",
                    b.dtype(),
                    b.shape()
                )),
                geo.out_channels
            ),
        )
        .raise();
    }
}

impl Var {
    /// 2-d convolution, as `torch.nn.functional.conv2d(x, weight, bias, stride,
    /// padding, dilation, groups)`; see [`tensor::conv::ConvOptions`] for the options.
    ///
    /// # Shapes
    /// `self: [B, C_in, H, W]`, `weight: [C_out, C_in/groups, kH, kW]`, `bias: [C_out]`
    /// → `[B, C_out, H_out, W_out]`, `H_out = ⌊(H + 2·pad − d·(kH − 1) − 1)/s⌋ + 1`.
    ///
    /// # Panics
    /// If a rank is not 4, the channels do not fit the weight and the groups, the
    /// dilated kernel is larger than the padded input, the bias is not `[C_out]`, or
    /// the dtypes differ; the message names the shapes.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::ConvOptions;
    /// let x = Var::new(Tensor::ones(&[1, 2, 5, 5]));
    /// let w = Var::param(Tensor::ones(&[3, 2, 3, 3]));
    /// let y = x.conv2d(&w, None, &ConvOptions::default().padding(1));
    /// assert_eq!(y.shape(), vec![1, 3, 5, 5]);
    /// y.sum().backward(); // ∂/∂w = the sum of the pixels each tap met: the centre tap met all 25
    /// assert_eq!(w.grad().unwrap().to_vec::<f32>()[4], 25.0);
    /// ```
    #[track_caller]
    pub fn conv2d(&self, weight: &Var, bias: Option<&Var>, options: &ConvOptions) -> Var {
        if self.dims() != 4 || weight.dims() != 4 {
            tensor::conv::rank_error("conv2d", &self.shape(), &weight.shape(), 2).raise();
        }
        check("conv2d", self, weight, bias, options);
        let b = bias.map(Var::value);
        let function = Conv2d::forward(
            &self.value(),
            &weight.value(),
            b.as_ref(),
            options,
            self.wants_grad(),
        );
        match bias {
            Some(bias) => record(function, &[self, weight, bias]),
            None => record(function, &[self, weight]),
        }
    }

    /// 1-d convolution, as `torch.nn.functional.conv1d`: [`Var::conv2d`] of height 1.
    /// Each option takes one value (`.stride(2)`, `.padding(1)`, [`Padding::Same`](tensor::conv::Padding::Same)).
    ///
    /// # Shapes
    /// `self: [B, C_in, L]`, `weight: [C_out, C_in/groups, k]`, `bias: [C_out]` →
    /// `[B, C_out, L_out]`, `L_out = ⌊(L + 2·pad − d·(k − 1) − 1)/s⌋ + 1`.
    ///
    /// # Panics
    /// As [`Var::conv2d`], for 3-d shapes; also if an option has two different values.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::ConvOptions;
    /// // a difference filter [−1, 1] over the signal 1, 4, 9, 16
    /// let x = Var::new(Tensor::from_vec(vec![1., 4., 9., 16.], &[1, 1, 4]));
    /// let w = Var::param(Tensor::from_vec(vec![-1., 1.], &[1, 1, 2]));
    /// let y = x.conv1d(&w, None, &ConvOptions::default());
    /// assert_eq!(y.value().to_vec::<f32>(), vec![3., 5., 7.]);
    /// ```
    #[track_caller]
    pub fn conv1d(&self, weight: &Var, bias: Option<&Var>, options: &ConvOptions) -> Var {
        if self.dims() != 3 || weight.dims() != 3 {
            tensor::conv::rank_error("conv1d", &self.shape(), &weight.shape(), 1).raise();
        }
        check("conv1d", self, weight, bias, options);
        let options = options.as_1d("conv1d").or_raise();
        self.unsqueeze(2)
            .conv2d(&weight.unsqueeze(2), bias, &options)
            .squeeze(2)
    }
}
