//! `log_softmax`: log-probabilities along one dim, fused for numerical stability.
//!
//! ```text
//! forward:   y = x − m − ln Σⱼ exp(xⱼ − m)        m = maxⱼ xⱼ (along dim)
//!            (subtracting m makes every exp ≤ 1: no overflow, and ln gets a sum ≥ 1)
//! backward:  ∂yᵢ/∂xₖ = δᵢₖ − softmax(x)ₖ = δᵢₖ − exp(yₖ)
//!            ∂L/∂xₖ = Σᵢ gᵢ (δᵢₖ − exp(yₖ)) = gₖ − exp(yₖ) · Σᵢ gᵢ
//! ```
//! Why fused, not `x − logsumexp(x)`: the composite is just as stable forward, but
//! this is the op under every cross-entropy loss, and one node whose backward reuses
//! the saved output (`softmax = exp(y)`) is both cheaper and easier to read. Its tests
//! compare it with the composite, forward and backward.
//! The backward is one pass per lane ([`backward_lane`]) over the tensor crate's lane
//! loop. Saves the output `y` and the (normalized) dim.
//!
//! Built on it: the losses in `nn`; [`crate::ops::softmax`] is its sibling.
//! Read next: [`crate::ops::softmax`].

use tensor::Tensor;
use tensor::error::OrRaise;
use tensor::reduce::sum_slice;
use tensor::shape::normalize_dim;
use tensor::unary::vectorised::{Vectorised, exp_map};

use crate::function::{Function, record};
use crate::var::Var;

/// The `log_softmax` op; holds its output (whose `exp` is the softmax) for backward.
pub struct LogSoftmax {
    y: Tensor,
    dim: isize,
}

impl LogSoftmax {
    /// `y = x − m − ln Σ exp(x − m)` along `dim`.
    #[track_caller]
    pub fn forward(x: &Tensor, dim: isize) -> (Tensor, LogSoftmax) {
        let dim = normalize_dim("log_softmax", dim, x.shape()).or_raise() as isize;
        let y = x.log_softmax(dim);
        (y.clone(), LogSoftmax { y, dim })
    }
}

impl Function for LogSoftmax {
    fn name(&self) -> &'static str {
        "log_softmax"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let lanes = |y: &Tensor| {
            y.zip_lanes(
                grad_out,
                "log_softmax",
                self.dim,
                backward_lane,
                backward_lane,
            )
        };
        vec![Some(lanes(&self.y))]
    }
}

/// `∂L/∂x` for one lane, from the output `y` and `g = ∂L/∂y`: `gᵢ − exp(yᵢ) · Σⱼ gⱼ`
/// (`exp(y)` is the softmax). One pass where the composite (`exp`, `sum_dim`, `*`,
/// `−`) would make four tensors of the input's size.
fn backward_lane<T: Vectorised>(y: &[T], g: &[T], dx: &mut [T]) {
    let g_sum = sum_slice(g);
    exp_map(y, dx, |v| v, |e| e);
    dx.iter_mut()
        .zip(g)
        .for_each(|(dx, &g)| *dx = g - *dx * g_sum);
}

impl Var {
    /// `ln softmax(x)` along `dim`, computed stably: `x − max − ln Σ exp(x − max)`.
    ///
    /// # Shapes
    /// Any shape with at least one dim; output has the input's shape.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0, 0.0], &[2]));
    /// let y = x.log_softmax(0).value().to_vec::<f32>();
    /// assert!((y[0] - 0.5f32.ln()).abs() < 1e-6); // two equal logits: p = 1/2 each
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, dim: isize) -> Var {
        record(LogSoftmax::forward(&self.value(), dim), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    fn close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn known_values() {
        // x = [1, 2, 3]: ln Σ eˣ = 3 + ln(1 + e⁻¹ + e⁻²) = 3.40760596
        let x = Var::new(Tensor::from_vec_f64(vec![1.0, 2.0, 3.0], &[3]));
        let lse = 3.0 + (1.0 + (-1.0f64).exp() + (-2.0f64).exp()).ln();
        close(
            &x.log_softmax(0).value().to_vec::<f64>(),
            &[1.0 - lse, 2.0 - lse, 3.0 - lse],
            1e-12,
        );
    }

    #[test]
    fn large_logits_do_not_overflow() {
        // e¹⁰⁰⁰ overflows f32 and f64; with the max subtracted this is [−1 − ln(1+e⁻¹), −ln(1+e⁻¹)]
        let x = Var::param(Tensor::from_vec(vec![1000.0, 1001.0], &[2]));
        let y = x.log_softmax(-1);
        let l = (1.0 + (-1.0f64).exp()).ln();
        close(&y.value().to_vec::<f64>(), &[-1.0 - l, -l], 1e-5);
        y.backward_with(&Tensor::from_vec(vec![1.0, 0.0], &[2]));
        assert!(
            x.grad()
                .unwrap()
                .to_vec::<f32>()
                .iter()
                .all(|g| g.is_finite())
        );
    }

    #[test]
    fn gradient_of_one_output() {
        // L = y₀ ⇒ ∂L/∂xₖ = δ₀ₖ − pₖ;  x = [0, 0] ⇒ p = [½, ½] ⇒ [½, −½]
        let x = Var::param(Tensor::from_vec(vec![0.0, 0.0], &[2]));
        x.log_softmax(0)
            .backward_with(&Tensor::from_vec(vec![1.0, 0.0], &[2]));
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5, -0.5]);
    }

    #[test]
    fn equals_the_composite_forward_and_backward() {
        let data: Vec<f64> = (0..12).map(|k| (k as f64 * 1.3).sin() * 3.0).collect();
        let g = Tensor::from_vec_f64((0..12).map(|k| k as f64 - 5.5).collect(), &[3, 4]);
        for dim in [0, 1, -1] {
            let fused_x = Var::param(Tensor::from_vec_f64(data.clone(), &[3, 4]));
            let fused = fused_x.log_softmax(dim);
            fused.backward_with(&g);
            let comp_x = Var::param(Tensor::from_vec_f64(data.clone(), &[3, 4]));
            let comp = &comp_x - &comp_x.logsumexp(dim, true);
            comp.backward_with(&g);
            close(
                &fused.value().to_vec::<f64>(),
                &comp.value().to_vec::<f64>(),
                1e-12,
            );
            close(
                &fused_x.grad().unwrap().to_vec::<f64>(),
                &comp_x.grad().unwrap().to_vec::<f64>(),
                1e-12,
            );
        }
    }

    #[test]
    fn backward_lanes_equal_the_tensor_composite() {
        // g − softmax · Σ g, on rows (dim 1) and on columns of a transposed view (dim 0)
        let logits = vec![1.0, 2.0, 3.0, -1.0, 0.0, 0.5];
        let g = Tensor::from_vec_f64(vec![0.5, -1.0, 2.0, 0.0, 1.5, -0.25], &[2, 3]);
        for dt in [tensor::DType::F32, tensor::DType::F64] {
            let x = Tensor::from_vec_f64(logits.clone(), &[2, 3]).to_dtype(dt);
            let g = g.to_dtype(dt);
            for (x, g, dim) in [
                (x.clone(), g.clone(), 1),
                (x.transpose(0, 1), g.transpose(0, 1), 0),
            ] {
                let (y, op) = LogSoftmax::forward(&x, dim);
                let composite = &g - &(&y.exp() * &g.sum_dim(dim, true));
                let fused = op.backward(&g).remove(0).unwrap();
                assert_eq!(fused.dtype(), dt);
                close(&fused.to_vec::<f64>(), &composite.to_vec::<f64>(), 1e-6);
            }
        }
    }

    #[test]
    fn gradcheck_each_dim_and_transposed() {
        let x = Tensor::from_vec_f64(
            (0..24).map(|k| (k as f64 * 0.9).cos() * 2.0).collect(),
            &[2, 3, 4],
        );
        for dim in [0, 1, 2] {
            gradcheck(|v| v[0].log_softmax(dim), std::slice::from_ref(&x)).assert_passed();
        }
        gradcheck(|v| v[0].permute(&[2, 0, 1]).log_softmax(-1), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "log_softmax: dim 1 is out of range")]
    fn bad_dim_panics() {
        Var::new(Tensor::zeros(&[3])).log_softmax(1);
    }
}
