//! `linear`: the affine map of `nn::Linear`, `y = x · Wᵀ + b`, as one op. A fused op:
//! read [`linear_reference`] first, the same map from `matmul` and `+`.
//!
//! ```text
//! x: [.., in]   W: [out, in]   b: [out]   y: [.., out]
//! reference: y = matmul(x, Wᵀ) + b
//! rows: X = x as [N, in], G = g as [N, out]       (N = product of the leading dims)
//! forward:   Y = X · Wᵀ, then Y[r, :] += b  for every row r     (in place)
//! backward:  ∂L/∂x = G · W                       [N, in]  → x's shape
//!            ∂L/∂W = Gᵀ · X                      [out, in]
//!            ∂L/∂b = Σ_r G[r, :]                 [out]    (column sums)
//! ```
//! Why fused: in the reference the `+` first copies `b` into a full `[N, out]` tensor
//! (`broadcast_to`), then reads both into a third one; here the bias is added into the
//! product's own fresh buffer. The backward is the matmul's (stacked rows, see
//! [`crate::ops::matmul`]) plus a column sum. For a language-model head (`N = 1024`,
//! `out = 8000`) that saves two 32 MB temporaries per step. Saves `x` and `W`. Its
//! tests check values and gradients against the reference.
//! Read next: [`crate::ops::dropout`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::function::{Function, record};
use crate::ops::matmul::stacked_rows;
use crate::var::Var;

/// The affine map from primitive ops, the definition the fused [`Var::linear`] is
/// tested against: `x · Wᵀ`, plus `b` broadcast over the rows.
///
/// # Shapes
/// `x: [.., in]`, `weight: [out, in]`, `bias: [out]` → `[.., out]`.
///
/// # Panics
/// If the shapes do not fit or the dtypes differ (the message comes from `matmul`
/// or `+`).
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::linear::linear_reference; use ferrograd::tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![1.0, 2.0], &[1, 2]));
/// let w = Var::param(Tensor::from_vec(vec![1.0, 1.0, 0.0, 1.0], &[2, 2]));
/// let b = Var::param(Tensor::from_vec(vec![0.5, -1.0], &[2]));
/// let y = linear_reference(&x, &w, Some(&b)); // [1 + 2 + 0.5, 2 − 1]
/// assert_eq!(y.value().to_vec::<f32>(), vec![3.5, 1.0]);
/// ```
#[track_caller]
pub fn linear_reference(x: &Var, weight: &Var, bias: Option<&Var>) -> Var {
    let y = x.matmul(&weight.t());
    match bias {
        Some(b) => &y + b,
        None => y,
    }
}

/// The `linear` op; holds `x` and `W` (each gradient of the product needs the other).
pub struct Linear {
    x: Tensor,
    w: Tensor,
    has_bias: bool,
}

impl Linear {
    /// `y = x · Wᵀ + b` (shapes already checked by [`Var::linear`]).
    pub fn forward(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> (Tensor, Linear) {
        let mut out_shape = x.shape().to_vec();
        *out_shape
            .last_mut()
            .expect("internal error: linear input has ≥ 1 dim; this is a bug") = w.shape()[0];
        let mut y = stacked_rows(x).matmul(&w.t()); // [N, out], a fresh buffer
        if let Some(b) = b {
            y += b; // broadcast over the rows, in place
        }
        let linear = Linear {
            x: x.clone(),
            w: w.clone(),
            has_bias: b.is_some(),
        };
        (y.reshape(&out_shape), linear)
    }
}

impl Function for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let g = stacked_rows(grad_out); // [N, out]
        let grad_x = g.matmul(&self.w).reshape(self.x.shape()); // [N, in]
        let grad_w = g.t().matmul(&stacked_rows(&self.x)); // [out, in]
        let mut grads = vec![Some(grad_x), Some(grad_w)];
        if self.has_bias {
            grads.push(Some(g.sum_to(&[g.shape()[1]]))); // [out]
        }
        grads
    }
}

impl Var {
    /// `self · weightᵀ + bias`, the affine map of `nn::Linear`
    /// (`torch.nn.functional.linear`), as one op.
    ///
    /// # Shapes
    /// `self: [.., in]`, `weight: [out, in]`, `bias: [out]` → `[.., out]`.
    ///
    /// # Panics
    /// If `self` is 0-d, `weight` is not `[out, in]` for `self`'s last dim `in`, `bias`
    /// is not `[out]`, or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0, 2.0], &[1, 2]));
    /// let w = Var::param(Tensor::from_vec(vec![1.0, 1.0, 0.0, 1.0], &[2, 2]));
    /// let b = Var::param(Tensor::from_vec(vec![0.5, -1.0], &[2]));
    /// let y = x.linear(&w, Some(&b)); // [1 + 2 + 0.5, 2 − 1]
    /// assert_eq!(y.value().to_vec::<f32>(), vec![3.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn linear(&self, weight: &Var, bias: Option<&Var>) -> Var {
        let (x, w) = (self.value(), weight.value());
        let b = bias.map(Var::value);
        let (xs, ws) = (x.shape(), w.shape());
        let width = xs.last().copied();
        let bias_ok = b
            .as_ref()
            .is_none_or(|b| b.shape() == &ws[..ws.len().min(1)]);
        let dtypes_ok = w.dtype() == x.dtype() && b.as_ref().is_none_or(|b| b.dtype() == x.dtype());
        if ws.len() != 2 || width != Some(ws[1]) || !bias_ok || !dtypes_ok {
            Error::new(
                "linear",
                ErrorKind::Shape,
                format!(
                    "input {} {xs:?}, weight {} {ws:?}, bias {}: expected [.., in], [out, in], \
                     [out] of one dtype",
                    x.dtype(),
                    w.dtype(),
                    b.as_ref().map_or("none".to_string(), |b| format!(
                        "{} {:?}",
                        b.dtype(),
                        b.shape()
                    )),
                ),
            )
            .raise();
        }
        let function = Linear::forward(&x, &w, b.as_ref());
        match bias {
            Some(bias) => record(function, &[self, weight, bias]),
            None => record(function, &[self, weight]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    fn randn64(shape: &[usize]) -> Tensor {
        Tensor::randn(shape).to_dtype(DType::F64)
    }

    #[test]
    fn equals_the_reference_forward_and_backward() {
        let g = randn64(&[2, 3, 4]);
        let fused = [randn64(&[2, 3, 5]), randn64(&[4, 5]), randn64(&[4])].map(Var::param);
        let comp = fused.clone().map(|v| Var::param(v.value()));
        let y = fused[0].linear(&fused[1], Some(&fused[2]));
        y.backward_with(&g);
        let z = linear_reference(&comp[0], &comp[1], Some(&comp[2]));
        z.backward_with(&g);
        let close = |a: Tensor, b: Tensor| {
            let (a, b) = (a.to_vec::<f64>(), b.to_vec::<f64>());
            assert!(
                a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-12),
                "{a:?} vs {b:?}"
            );
        };
        close(y.value(), z.value());
        for (f, c) in fused.iter().zip(&comp) {
            close(f.grad().unwrap(), c.grad().unwrap());
        }
    }

    #[test]
    fn gradcheck_with_and_without_bias() {
        let (w, b) = (randn64(&[3, 4]), randn64(&[3]));
        for x in [
            randn64(&[4]),
            randn64(&[2, 4]),
            randn64(&[4, 2]).t(),
            randn64(&[2, 2, 4]),
        ] {
            gradcheck(
                |v| v[0].linear(&v[1], Some(&v[2])),
                &[x.clone(), w.clone(), b.clone()],
            )
            .assert_passed();
            gradcheck(|v| v[0].linear(&v[1], None), &[x, w.clone()]).assert_passed();
        }
    }

    #[test]
    #[should_panic(
        expected = "linear: input f32 [2, 5], weight f32 [3, 4], bias none: expected [.., in]"
    )]
    fn mismatched_widths_name_all_shapes() {
        Var::new(Tensor::zeros(&[2, 5])).linear(&Var::new(Tensor::zeros(&[3, 4])), None);
    }
}
