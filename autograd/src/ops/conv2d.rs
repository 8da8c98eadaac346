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
//! The kernels are in [`tensor::conv`]: [`tensor::conv::reference`] is the definition
//! (seven loops, forward and backward), `tensor::conv::lowered` the im2col + GEMM
//! version used here, tested against it. Saves `x` and `w` (each gradient needs the
//! other); when `x` needs no gradient (a first layer's images), col2im and its
//! product are skipped.
//!
//! `conv1d` is `conv2d` of height 1: `[B, C, L]` → `[B, C, 1, L]`, a view, no copy.
//! Read next: [`crate::ops::max_pool2d`].

use tensor::Tensor;
use tensor::conv::{ConvGeometry, ConvOptions};
use tensor::error::{Error, ErrorKind, OrRaise};

use crate::function::{Function, record};
use crate::var::Var;

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
            grad_out.conv2d_backward(&self.x, &self.w, &self.options, self.input_grad);
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
    /// # use autograd::Var; use tensor::Tensor;
    /// use tensor::conv::ConvOptions;
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
    /// # use autograd::Var; use tensor::Tensor;
    /// use tensor::conv::ConvOptions;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;
    use tensor::conv::{Padding, reference};

    fn randn64(shape: &[usize]) -> Tensor {
        Tensor::randn(shape).to_dtype(DType::F64)
    }

    #[test]
    fn gradcheck_with_stride_padding_dilation_and_groups() {
        let o = ConvOptions::default;
        for (x, w, opts) in [
            ([2, 2, 5, 4], [3, 2, 3, 2], o().stride([2, 1]).padding(1)),
            (
                [1, 4, 6, 6],
                [4, 2, 3, 3],
                o().dilation(2).padding([2, 1]).groups(2),
            ),
            (
                [2, 3, 4, 5],
                [3, 1, 2, 2],
                o().padding(Padding::Same).groups(3),
            ),
        ] {
            let (x, w, b) = (randn64(&x), randn64(&w), randn64(&[w[0]]));
            gradcheck(
                |v| v[0].conv2d(&v[1], Some(&v[2]), &opts),
                &[x.clone(), w.clone(), b],
            )
            .assert_passed();
            // a permuted (non-contiguous) input
            let xt = x.transpose(2, 3).contiguous().transpose(2, 3);
            gradcheck(|v| v[0].conv2d(&v[1], None, &opts), &[xt, w]).assert_passed();
        }
    }

    #[test]
    fn conv1d_gradcheck_and_definition() {
        let opts = ConvOptions::default().stride(2).padding(1).dilation(2);
        let (x, w, b) = (randn64(&[2, 3, 9]), randn64(&[4, 3, 3]), randn64(&[4]));
        gradcheck(
            |v| v[0].conv1d(&v[1], Some(&v[2]), &opts),
            &[x.clone(), w.clone(), b.clone()],
        )
        .assert_passed();
        let y = Var::new(x.clone()).conv1d(&Var::new(w.clone()), Some(&Var::new(b.clone())), &opts);
        assert_eq!(y.shape(), vec![2, 4, 4]); // ⌊(9 + 2 − 4 − 1)/2⌋ + 1
        let two_d = opts.as_1d("test").unwrap();
        let expected = reference::conv2d(&x.unsqueeze(2), &w.unsqueeze(2), Some(&b), &two_d);
        assert_eq!(y.value().to_vec::<f64>().len(), expected.numel());
        let diff = (&y.value() - &expected.squeeze(2)).abs().max().item();
        assert!(diff < 1e-12, "{diff}");
    }

    #[test]
    fn an_input_without_gradient_gets_none() {
        let (x, w) = (
            Var::new(Tensor::ones(&[1, 1, 3, 3])),
            Var::param(Tensor::ones(&[1, 1, 2, 2])),
        );
        x.conv2d(&w, None, &ConvOptions::default()).sum().backward();
        assert!(x.grad().is_none());
        assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![4.; 4]);
    }

    #[test]
    #[should_panic(
        expected = "conv2d: input f32 [1, 2, 5, 5], weight f32 [3, 2, 3, 3], bias f32 [2]: expected a bias [3]"
    )]
    fn a_wrong_bias_names_all_shapes() {
        let x = Var::new(Tensor::zeros(&[1, 2, 5, 5]));
        x.conv2d(
            &Var::new(Tensor::zeros(&[3, 2, 3, 3])),
            Some(&Var::new(Tensor::zeros(&[2]))),
            &ConvOptions::default(),
        );
    }

    #[test]
    #[should_panic(
        expected = "conv1d: input [2, 5], weight [3, 2, 3]: expected an input [B, C_in, L]"
    )]
    fn conv1d_of_a_2d_input_panics() {
        Var::new(Tensor::zeros(&[2, 5])).conv1d(
            &Var::new(Tensor::zeros(&[3, 2, 3])),
            None,
            &ConvOptions::default(),
        );
    }
}
