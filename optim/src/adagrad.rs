//! Adagrad (Duchi et al., 2011), as `torch.optim.Adagrad`.
//!
//! ```text
//! input: γ (lr), θ₀ (params), λ (weight decay), η (lr decay),
//!        τ (initial accumulator value), ε (eps)
//! initialize: sum₀ ← τ
//! for t = 1, 2, ...:
//!     g_t ← ∇θ f_t(θ_{t−1})
//!     γ̃ ← γ / (1 + (t − 1) η)                  decayed learning rate
//!     if λ ≠ 0: g_t ← g_t + λ θ_{t−1}
//!     sum_t ← sum_{t−1} + g_t²                   every squared gradient so far
//!     θ_t ← θ_{t−1} − γ̃ g_t / (√sum_t + ε)
//! ```
//! A weight that got large gradients takes small steps from then on; one rarely
//! touched keeps large ones (good for sparse features).
//! Defaults (PyTorch's): η = 0, λ = 0, τ = 0, ε = 1e-10. A sparse gradient is made
//! dense; that gives the same result as PyTorch's sparse Adagrad (rows with a zero
//! gradient keep their sum and do not move).
//! Read next: [`crate::sparse_adam`].

use autograd::Var;
use tensor::Tensor;

use crate::check::{check, check_eps, check_weight_decay, dense_grad_of};
use crate::optimizer::{Optimizer, ParamGroup};
use crate::state::{Core, OptimizerCore, SlotState, Slots, step_tensor};

/// Adagrad (see the module doc for the algorithm).
///
/// # Examples
/// ```
/// use ferrograd::autograd::Var;
/// use ferrograd::optim::{Adagrad, Optimizer};
/// use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::from_vec(vec![1.0], &[1]));
/// let mut opt = Adagrad::new(vec![w.clone()], 0.5);
/// (&w * &w).sum().backward(); // g = 2, sum = 4
/// opt.step(); // θ = 1 − 0.5·2/√4
/// assert!((w.value().item() - 0.5).abs() < 1e-6);
/// ```
pub struct Adagrad {
    /// The parameter groups and each parameter's `AdagradState` (`crate::state`).
    core: Core<AdagradState>,
    lr_decay: f64,
    weight_decay: f64,
    initial_accumulator_value: f64,
    eps: f64,
}

/// Adagrad's per-parameter state: `step` and the sum of squared gradients (`sum`).
struct AdagradState {
    step: usize,
    sum: Tensor,
}

impl SlotState for AdagradState {
    fn slots(&self) -> Vec<(&'static str, Tensor)> {
        vec![("step", step_tensor(self.step)), ("sum", self.sum.clone())]
    }

    fn from_slots(slots: &mut Slots) -> Self {
        AdagradState {
            step: slots.step(),
            sum: slots.tensor("sum"),
        }
    }
}

impl Adagrad {
    /// Adagrad over `params` with learning rate `lr` and PyTorch's defaults.
    ///
    /// # Panics
    /// If `lr` is negative or NaN, `params` is empty, or a parameter is not a leaf.
    #[track_caller]
    pub fn new(params: Vec<Var>, lr: f64) -> Adagrad {
        Adagrad::with_groups(vec![ParamGroup::new(params)], lr)
    }

    /// Adagrad over parameter groups, each with its own lr and weight decay if it sets one.
    ///
    /// # Panics
    /// As [`Adagrad::new`], and on a negative group lr or weight decay.
    #[track_caller]
    pub fn with_groups(groups: Vec<ParamGroup>, lr: f64) -> Adagrad {
        Adagrad {
            core: Core::new("Adagrad", groups, lr),
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }

    /// Learning-rate decay η: step t uses `γ / (1 + (t − 1) η)` (default 0).
    ///
    /// # Panics
    /// If `lr_decay` is negative or NaN.
    #[track_caller]
    pub fn lr_decay(mut self, lr_decay: f64) -> Adagrad {
        let message = format!("invalid lr_decay value: {lr_decay}");
        check(
            "Adagrad",
            lr_decay >= 0.0,
            message,
            "use lr_decay >= 0 (0 turns it off)",
        );
        self.lr_decay = lr_decay;
        self
    }

    /// L2 penalty λ added to the gradient (default 0).
    ///
    /// # Panics
    /// If `weight_decay` is negative or NaN.
    #[track_caller]
    pub fn weight_decay(mut self, weight_decay: f64) -> Adagrad {
        check_weight_decay("Adagrad", weight_decay);
        self.weight_decay = weight_decay;
        self
    }

    /// Starting value τ of the sum of squares (default 0).
    ///
    /// # Panics
    /// If `value` is negative or NaN.
    #[track_caller]
    pub fn initial_accumulator_value(mut self, value: f64) -> Adagrad {
        let message = format!("invalid initial_accumulator_value value: {value}");
        check(
            "Adagrad",
            value >= 0.0,
            message,
            "use a value >= 0, e.g. 0.1",
        );
        self.initial_accumulator_value = value;
        self
    }

    /// ε added to `√sum` (default 1e-10).
    ///
    /// # Panics
    /// If `eps` is negative or NaN.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Adagrad {
        check_eps("Adagrad", eps);
        self.eps = eps;
        self
    }
}

impl Optimizer for Adagrad {
    #[track_caller]
    fn step(&mut self) {
        for group in &self.core.groups.groups {
            let (gamma, lambda) = (group.lr, group.weight_decay.unwrap_or(self.weight_decay));
            for p in &group.params {
                let Some(mut g) = dense_grad_of("Adagrad", p) else {
                    continue;
                };
                let theta = p.value();
                let tau = self.initial_accumulator_value;
                let s = self
                    .core
                    .state
                    .entry(p.id())
                    .or_insert_with(|| AdagradState {
                        step: 0,
                        sum: Tensor::full_dtype(theta.shape(), tau, theta.dtype()),
                    });
                s.step += 1;
                let gamma_t = gamma / (1.0 + (s.step - 1) as f64 * self.lr_decay);
                if lambda != 0.0 {
                    g = &g + &(&theta * lambda);
                }
                s.sum = &s.sum + &(&g * &g);
                let std = &s.sum.sqrt() + self.eps;
                p.set_value(&theta - &(&(&g / &std) * gamma_t));
            }
        }
    }

    fn core(&self) -> &dyn OptimizerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut dyn OptimizerCore {
        &mut self.core
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{assert_close, param, set_grad, tol, values};
    use tensor::DType;

    #[test]
    fn two_steps_by_hand_with_lr_decay_and_accumulator() {
        for dtype in [DType::F32, DType::F64] {
            let p = param(&[1.0], dtype);
            let mut opt = Adagrad::new(vec![p.clone()], 1.0)
                .lr_decay(1.0)
                .initial_accumulator_value(5.0)
                .eps(0.0);
            set_grad(&p, &[2.0]);
            opt.step(); // sum = 5 + 4 = 9, γ̃ = 1: θ = 1 − 2/3
            assert_close(&values(&p), &[1.0 / 3.0], tol(dtype));
            opt.step(); // sum = 13, γ̃ = 1/2: θ = 1/3 − 0.5·2/√13
            assert_close(&values(&p), &[1.0 / 3.0 - 1.0 / 13f64.sqrt()], tol(dtype));
        }
    }

    #[test]
    fn weight_decay_enters_the_gradient() {
        let p = param(&[2.0], DType::F64);
        let mut opt = Adagrad::new(vec![p.clone()], 1.0)
            .weight_decay(0.5)
            .eps(0.0);
        set_grad(&p, &[0.0]);
        opt.step(); // g = 0 + 0.5·2 = 1, sum = 1: θ = 2 − 1
        assert_eq!(values(&p), vec![1.0]);
    }

    #[test]
    #[should_panic(expected = "Adagrad: invalid lr_decay value: -1")]
    fn negative_lr_decay_panics() {
        Adagrad::new(vec![param(&[1.0], DType::F32)], 0.1).lr_decay(-1.0);
    }

    #[test]
    #[should_panic(expected = "Adagrad: invalid initial_accumulator_value value: -1")]
    fn negative_accumulator_panics() {
        Adagrad::new(vec![param(&[1.0], DType::F32)], 0.1).initial_accumulator_value(-1.0);
    }
}
