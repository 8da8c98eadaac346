//! `softmax`: probabilities along one dim. A fused op: read [`softmax_reference`]
//! first, the same function built from primitives.
//!
//! ```text
//! reference: m = max(x) along dim, a constant (any shift cancels in the ratio)
//!            e = exp(x − m)      y = e / Σ e         six nodes (two are broadcasts)
//! forward:   yᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m)       one node, one pass per lane
//! backward:  ∂yⱼ/∂xᵢ = yⱼ (δᵢⱼ − yᵢ)
//!            ∂L/∂xᵢ = Σⱼ gⱼ yⱼ (δᵢⱼ − yᵢ) = yᵢ · (gᵢ − Σⱼ yⱼ gⱼ)
//! ```
//! Why fused: each node of the reference writes a tensor of the input's size forward
//! and again backward; attention calls softmax on every `[B, H, T_q, T_k]` score
//! tensor, so the passes saved show. (PyTorch's `softmax` is its own kernel too,
//! computed as here.) The backward is one pass per lane ([`backward_lane`]) over the
//! tensor crate's lane loop. Saves the output `y` and the (normalized) dim; its tests
//! check values and gradients against the reference.
//! Read next: [`crate::composite`].

use tensor::error::OrRaise;
use tensor::shape::normalize_dim;
use tensor::{Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// Softmax from primitive ops, the definition the fused [`Var::softmax`] is tested
/// against: `e / Σ e` with `e = exp(x − m)`, `m` the lane's max held as a constant
/// (exp(x − m) ≤ 1 cannot overflow, and the factor exp(−m) cancels in the ratio, so
/// `m` needs no gradient).
///
/// # Shapes
/// Any shape with at least one dim; output has the input's shape.
///
/// # Panics
/// If `dim` is out of range.
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::softmax::softmax_reference; use ferrograd::tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.0, 3f32.ln()], &[2]));
/// let p = softmax_reference(&x, 0).value().to_vec::<f32>(); // [1, 3] / 4
/// assert!((p[0] - 0.25).abs() < 1e-6 && (p[1] - 0.75).abs() < 1e-6);
/// ```
#[track_caller]
pub fn softmax_reference(x: &Var, dim: isize) -> Var {
    let m = Var::new(x.value().max_dim(dim, true).0);
    let e = (x - &m).exp();
    &e / &e.sum_dim(dim, true)
}

/// The `softmax` op; holds its output for backward.
pub struct Softmax {
    y: Tensor,
    dim: isize,
}

impl Softmax {
    /// `y = exp(x − m) / Σ exp(x − m)` along `dim`.
    #[track_caller]
    pub fn forward(x: &Tensor, dim: isize) -> (Tensor, Softmax) {
        let dim = normalize_dim("softmax", dim, x.shape()).or_raise() as isize;
        let y = x.softmax(dim);
        (y.clone(), Softmax { y, dim })
    }
}

impl Function for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let lanes =
            |y: &Tensor| y.zip_lanes(grad_out, "softmax", self.dim, backward_lane, backward_lane);
        vec![Some(lanes(&self.y))]
    }
}

/// `∂L/∂x` for one lane, from the output `y` and `g = ∂L/∂y`: `yᵢ · (gᵢ − Σⱼ yⱼ gⱼ)`
/// (the Jacobian `diag(y) − y yᵀ` applied to `g`).
fn backward_lane<T: Float>(y: &[T], g: &[T], dx: &mut [T]) {
    let dot = y.iter().zip(g).fold(T::zero(), |s, (&y, &g)| s + y * g);
    dx.iter_mut()
        .zip(y.iter().zip(g))
        .for_each(|(dx, (&y, &g))| *dx = y * (g - dot));
}

impl Var {
    /// Probabilities along `dim`: `exp(xᵢ) / Σⱼ exp(xⱼ)`, computed stably with the
    /// max subtracted (see the [module docs](crate::ops::softmax)).
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
    /// let x = Var::new(Tensor::from_vec(vec![0.0, 3f32.ln()], &[2]));
    /// let p = x.softmax(-1).value().to_vec::<f32>(); // [1, 3] / 4
    /// assert!((p[0] - 0.25).abs() < 1e-6 && (p[1] - 0.75).abs() < 1e-6);
    /// ```
    #[track_caller]
    pub fn softmax(&self, dim: isize) -> Var {
        record(Softmax::forward(&self.value(), dim), &[self])
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
    fn softmax_known_values_and_rows_sum_to_one() {
        let x = Var::new(Tensor::from_vec_f64(
            vec![0.0, 2f64.ln(), 0.0, 0.0],
            &[2, 2],
        ));
        // row 0: [1, 2] / 3; row 1: [½, ½]
        close(
            &x.softmax(1).value().to_vec::<f64>(),
            &[1. / 3., 2. / 3., 0.5, 0.5],
            1e-12,
        );
        // along dim 0: column 0 = softmax([0, 0]), column 1 = softmax([ln 2, 0]) = [2/3, 1/3]
        close(
            &x.softmax(0).value().to_vec::<f64>(),
            &[0.5, 2. / 3., 0.5, 1. / 3.],
            1e-12,
        );
    }

    #[test]
    fn softmax_gradient_of_a_constant_sum_is_zero() {
        // Σ softmax = 1 for every x, so its gradient vanishes
        let x = Var::param(Tensor::from_vec_f64(vec![0.5, -1.0, 2.0], &[3]));
        x.softmax(0).sum().backward();
        close(&x.grad().unwrap().to_vec::<f64>(), &[0.0; 3], 1e-12);
    }

    #[test]
    fn equals_the_reference_and_exp_of_log_softmax_forward_and_backward() {
        let data: Vec<f64> = (0..12).map(|k| (k as f64 * 1.3).sin() * 3.0).collect();
        let g = Tensor::from_vec_f64((0..12).map(|k| k as f64 - 5.5).collect(), &[3, 4]);
        for dim in [0, 1, -1] {
            let fused_x = Var::param(Tensor::from_vec_f64(data.clone(), &[3, 4]));
            let fused = fused_x.softmax(dim);
            fused.backward_with(&g);
            let composites: [fn(&Var, isize) -> Var; 2] =
                [softmax_reference, |x, dim| x.log_softmax(dim).exp()];
            for composite in composites {
                let comp_x = Var::param(Tensor::from_vec_f64(data.clone(), &[3, 4]));
                let comp = composite(&comp_x, dim);
                comp.backward_with(&g);
                let (a, b) = (fused.value().to_vec::<f64>(), comp.value().to_vec::<f64>());
                close(&a, &b, 1e-12);
                let (a, b) = (fused_x.grad().unwrap(), comp_x.grad().unwrap());
                close(&a.to_vec::<f64>(), &b.to_vec::<f64>(), 1e-12);
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
            gradcheck(|v| v[0].softmax(dim), std::slice::from_ref(&x)).assert_passed();
        }
        gradcheck(|v| v[0].permute(&[2, 0, 1]).softmax(-1), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "softmax: dim 1 is out of range")]
    fn bad_dim_panics() {
        Var::new(Tensor::zeros(&[3])).softmax(1);
    }
}
