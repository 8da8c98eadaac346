//! `gradcheck`: compare the gradients `backward` computes with finite differences.
//!
//! ```text
//! L(x) = Σ w ⊙ f(x)            w: fixed pseudo-random weights (so every output counts)
//! analytic:  ∂L/∂xⱼ from backward
//! numeric:   (L(x + ε eⱼ) − L(x − ε eⱼ)) / 2ε      central difference, error O(ε²)
//! pass if    |analytic − numeric| ≤ atol + rtol · |numeric|
//! ```
//! Everything runs in f64 (inputs are converted), with PyTorch's default tolerances:
//! ε = 1e-6, atol = 1e-5, rtol = 1e-3. In f32, rounding error (~1e-7 relative) divided
//! by ε would swamp the comparison; in f64 it is ~1e-10.
//! Every element is checked for inputs of up to [`FULL_CHECK_LIMIT`] elements; larger
//! inputs are checked at that many evenly spread positions.
//! Read next: [`crate::graphviz`].

use std::fmt;

use tensor::shape::unravel_index;
use tensor::{DType, Tensor};

use crate::no_grad::no_grad;
use crate::var::Var;

/// Finite-difference step (PyTorch's `eps`).
pub const EPS: f64 = 1e-6;
/// Absolute tolerance (PyTorch's `atol`).
pub const ATOL: f64 = 1e-5;
/// Relative tolerance (PyTorch's `rtol`).
pub const RTOL: f64 = 1e-3;
/// Inputs with at most this many elements are checked at every element.
pub const FULL_CHECK_LIMIT: usize = 256;

/// One element whose analytic and numeric gradients disagree.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// Which input (position in `inputs`, then `params` continuing the count).
    pub input: usize,
    /// The element's multi-dimensional index.
    pub index: Vec<usize>,
    /// Gradient from `backward`.
    pub analytic: f64,
    /// Gradient from central differences.
    pub numeric: f64,
}

/// The outcome of [`gradcheck`].
#[derive(Clone, Debug)]
pub struct GradcheckReport {
    /// Name of the op that produced the checked output.
    pub op: &'static str,
    /// Number of input elements compared.
    pub checked: usize,
    /// Largest |analytic − numeric| seen.
    pub max_abs_error: f64,
    /// Elements outside the tolerance.
    pub failures: Vec<Mismatch>,
}

impl GradcheckReport {
    /// Whether every checked element was within tolerance.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Panic with the full report unless the check passed.
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "{self}");
    }
}

impl fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        writeln!(
            f,
            "gradcheck of `{}` {verdict}: {} elements checked, max |analytic − numeric| = {:.3e} \
             (eps {EPS:e}, atol {ATOL:e}, rtol {RTOL:e})",
            self.op, self.checked, self.max_abs_error
        )?;
        for m in self.failures.iter().take(10) {
            writeln!(
                f,
                "  input {} at {:?}: analytic {:.8e}, numeric {:.8e}",
                m.input, m.index, m.analytic, m.numeric
            )?;
        }
        if self.failures.len() > 10 {
            writeln!(f, "  ... and {} more", self.failures.len() - 10)?;
        }
        Ok(())
    }
}

/// Check the gradient of `f` with respect to every input, in f64.
///
/// `f` receives the inputs as parameters (`Var`s that want gradients) and returns any
/// output; it must be deterministic.
///
/// # Examples
/// ```
/// use ferrograd::autograd::{Var, gradcheck};
/// use ferrograd::tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.5, -1.0, 2.0], &[3]);
/// let report = gradcheck(|v: &[Var]| v[0].exp(), &[x]);
/// assert!(report.passed(), "{report}");
/// ```
pub fn gradcheck(f: impl Fn(&[Var]) -> Var, inputs: &[Tensor]) -> GradcheckReport {
    gradcheck_with_params(f, inputs, &[])
}

/// [`gradcheck`] with respect to the inputs *and* to existing leaf parameters, such
/// as a layer's weights (`module.parameters()`). The parameters must already be f64
/// (`module.to_dtype(DType::F64)`); they are perturbed in place with `set_value` and
/// restored afterwards. Inputs are numbered first, then parameters.
///
/// # Panics
/// If a parameter is not an f64 leaf.
#[track_caller]
pub fn gradcheck_with_params(
    f: impl Fn(&[Var]) -> Var,
    inputs: &[Tensor],
    params: &[Var],
) -> GradcheckReport {
    for p in params {
        assert!(
            p.is_leaf() && p.dtype() == DType::F64,
            "gradcheck: parameters must be f64 leaves (got {} {:?}, op {}); call module.to_dtype(DType::F64)",
            p.dtype(),
            p.shape(),
            p.op_name()
        );
        p.zero_grad();
    }
    let inputs: Vec<Tensor> = inputs.iter().map(|t| t.to_dtype(DType::F64)).collect();
    let input_vars: Vec<Var> = inputs.iter().map(|t| Var::param(t.clone())).collect();
    let output = f(&input_vars);
    let op = output.op_name();
    let weights = projection_weights(&output.shape());
    output.backward_with(&weights);

    // L with the inputs given, evaluated without recording a graph.
    let loss_of = |values: &[Tensor]| -> f64 {
        no_grad(|| {
            let vars: Vec<Var> = values.iter().cloned().map(Var::new).collect();
            (&f(&vars).value() * &weights).sum().item()
        })
    };

    let mut report = GradcheckReport {
        op,
        checked: 0,
        max_abs_error: 0.0,
        failures: Vec::new(),
    };
    // Every checked tensor: its analytic gradient and a way to evaluate L with it replaced.
    let leaves: Vec<(Tensor, Option<Tensor>)> = inputs
        .iter()
        .zip(&input_vars)
        .map(|(x, v)| (x.clone(), v.grad()))
        .chain(params.iter().map(|p| (p.value(), p.grad())))
        .collect();
    for (which, (x, grad)) in leaves.iter().enumerate() {
        let analytic: Vec<f64> = grad.as_ref().map_or(vec![0.0; x.numel()], |g| g.to_vec());
        let base: Vec<f64> = x.to_vec();
        let loss_with = |replaced: Vec<f64>| -> f64 {
            let replaced = Tensor::from_vec_f64(replaced, x.shape());
            if which < inputs.len() {
                let mut values = inputs.clone();
                values[which] = replaced;
                loss_of(&values)
            } else {
                let param = &params[which - inputs.len()];
                param.set_value(replaced);
                let loss = loss_of(&inputs);
                param.set_value(x.clone());
                loss
            }
        };
        for j in positions_to_check(x.numel()) {
            let mut plus = base.clone();
            plus[j] += EPS;
            let mut minus = base.clone();
            minus[j] -= EPS;
            let numeric = (loss_with(plus) - loss_with(minus)) / (2.0 * EPS);
            let error = (analytic[j] - numeric).abs();
            report.checked += 1;
            report.max_abs_error = report.max_abs_error.max(error);
            if error > ATOL + RTOL * numeric.abs() || !analytic[j].is_finite() {
                report.failures.push(Mismatch {
                    input: which,
                    index: unravel_index(j, x.shape()),
                    analytic: analytic[j],
                    numeric,
                });
            }
        }
    }
    for p in params {
        p.zero_grad();
    }
    report
}

/// Weights in [0.5, 1.5) with alternating sign, from a fixed linear congruential
/// sequence: deterministic, and no output element gets weight zero.
fn projection_weights(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let w = (0..n)
        .map(|k| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            sign * (0.5 + u)
        })
        .collect();
    Tensor::from_vec_f64(w, shape)
}

fn positions_to_check(numel: usize) -> Vec<usize> {
    if numel <= FULL_CHECK_LIMIT {
        (0..numel).collect()
    } else {
        (0..FULL_CHECK_LIMIT)
            .map(|k| k * numel / FULL_CHECK_LIMIT)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::{Function, record};

    /// An op with a deliberately wrong backward: y = x², claiming dy/dx = x.
    struct WrongSquare {
        x: Tensor,
    }
    impl Function for WrongSquare {
        fn name(&self) -> &'static str {
            "wrong_square"
        }
        fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
            vec![Some(grad_out * &self.x)]
        }
    }

    #[test]
    fn a_wrong_gradient_is_caught_and_reported() {
        let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
        let report = gradcheck(
            |v| {
                let x = v[0].value();
                record((&x * &x, WrongSquare { x }), &[&v[0]])
            },
            &[x],
        );
        assert!(!report.passed());
        assert_eq!(report.failures.len(), 2);
        let text = report.to_string();
        assert!(text.contains("wrong_square"), "{text}");
        assert!(text.contains("input 0 at [1]"), "{text}");
    }

    #[test]
    fn a_right_gradient_passes() {
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 2.0], &[2, 2]);
        let y = Tensor::from_vec(vec![1.5, 0.5], &[2]);
        let report = gradcheck(|v| &(&v[0] * &v[1]).exp() + &v[0], &[x, y]);
        report.assert_passed();
        assert_eq!(report.checked, 6);
    }
}
