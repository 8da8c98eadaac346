//! AdamW (Loshchilov & Hutter, 2019): Adam with *decoupled* weight decay, as
//! `torch.optim.AdamW`.
//!
//! ```text
//! input: γ (lr), β₁, β₂ (betas), θ₀ (params), λ (weight decay), ε (eps), amsgrad
//! initialize: m₀ ← 0, v₀ ← 0, v_max₀ ← 0
//! for t = 1, 2, ...:
//!     g_t ← ∇θ f_t(θ_{t−1})
//!     θ_t ← θ_{t−1} − γ λ θ_{t−1}              decoupled decay: shrink θ directly,
//!                                               g (and so m, v) never sees λ
//!     m_t ← β₁ m_{t−1} + (1 − β₁) g_t
//!     v_t ← β₂ v_{t−1} + (1 − β₂) g_t²
//!     m̂_t ← m_t / (1 − β₁ᵗ)
//!     if amsgrad: v_max_t ← max(v_max_{t−1}, v_t);  v̂_t ← v_max_t / (1 − β₂ᵗ)
//!     else:       v̂_t ← v_t / (1 − β₂ᵗ)
//!     θ_t ← θ_t − γ m̂_t / (√v̂_t + ε)
//! ```
//! Why decoupled: with Adam's L2 penalty (`g + λθ`) the decay is divided by `√v̂` like
//! the gradient, so weights with large gradients are barely decayed. AdamW decays
//! every weight at the same rate γλ.
//!
//! Defaults (PyTorch's): β = (0.9, 0.999), ε = 1e-8, **λ = 1e-2**, amsgrad off.
//! The moment updates are shared with [`crate::adam`] (`adam_update`).
//! Read next: [`crate::rmsprop`].

use autograd::Var;

use crate::adam::{AdamHyper, AdamState, adam_update};
use crate::check::{check_eps, check_rate, check_weight_decay, dense_grad_of};
use crate::optimizer::{Optimizer, ParamGroup};
use crate::state::{Core, OptimizerCore};

/// AdamW (see the module doc for the algorithm).
///
/// # Examples
/// ```
/// use ferrograd::autograd::{Gradient, Var};
/// use ferrograd::optim::{AdamW, Optimizer};
/// use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::from_vec(vec![2.0], &[1]));
/// let mut opt = AdamW::new(vec![w.clone()], 0.1).weight_decay(0.5);
/// w.set_grad(Some(Gradient::Dense(Tensor::zeros(&[1]))));
/// opt.step(); // zero gradient: only the decay acts, θ = 2 − 0.1·0.5·2
/// assert!((w.value().item() - 1.9).abs() < 1e-6);
/// ```
pub struct AdamW {
    /// The parameter groups and each parameter's `AdamState` (`crate::state`).
    core: Core<AdamState>,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
}

impl AdamW {
    /// AdamW over `params` with learning rate `lr` and PyTorch's defaults
    /// (weight decay 1e-2).
    ///
    /// # Panics
    /// If `lr` is negative or NaN, `params` is empty, or a parameter is not a leaf.
    #[track_caller]
    pub fn new(params: Vec<Var>, lr: f64) -> AdamW {
        AdamW::with_groups(vec![ParamGroup::new(params)], lr)
    }

    /// AdamW over parameter groups, e.g. `weight_decay(0.0)` on biases and norm weights.
    ///
    /// # Panics
    /// As [`AdamW::new`], and on a negative group lr or weight decay.
    #[track_caller]
    pub fn with_groups(groups: Vec<ParamGroup>, lr: f64) -> AdamW {
        AdamW {
            core: Core::new("AdamW", groups, lr),
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
            amsgrad: false,
        }
    }

    /// Decay rates `(β₁, β₂)` of the two moments (default `(0.9, 0.999)`).
    ///
    /// # Panics
    /// If a beta is outside `[0, 1)`.
    #[track_caller]
    pub fn betas(mut self, betas: (f64, f64)) -> AdamW {
        check_rate("AdamW", "beta parameter at index 0", betas.0);
        check_rate("AdamW", "beta parameter at index 1", betas.1);
        self.betas = betas;
        self
    }

    /// ε added to `√v̂` (default 1e-8).
    ///
    /// # Panics
    /// If `eps` is negative or NaN.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> AdamW {
        check_eps("AdamW", eps);
        self.eps = eps;
        self
    }

    /// Decoupled weight decay λ: each step shrinks θ by the factor `1 − γλ`
    /// (default 1e-2).
    ///
    /// # Panics
    /// If `weight_decay` is negative or NaN.
    #[track_caller]
    pub fn weight_decay(mut self, weight_decay: f64) -> AdamW {
        check_weight_decay("AdamW", weight_decay);
        self.weight_decay = weight_decay;
        self
    }

    /// Use AMSGrad's running maximum of `v` (default off).
    pub fn amsgrad(mut self, amsgrad: bool) -> AdamW {
        self.amsgrad = amsgrad;
        self
    }
}

impl Optimizer for AdamW {
    #[track_caller]
    fn step(&mut self) {
        for group in &self.core.groups.groups {
            let (gamma, lambda) = (group.lr, group.weight_decay.unwrap_or(self.weight_decay));
            let hyper = AdamHyper {
                lr: gamma,
                betas: self.betas,
                eps: self.eps,
                amsgrad: self.amsgrad,
            };
            for p in &group.params {
                let Some(g) = dense_grad_of("AdamW", p) else {
                    continue;
                };
                // θ ← θ − γλθ, written as PyTorch does: θ · (1 − γλ)
                let mut theta = &p.value() * (1.0 - gamma * lambda);
                let state = self
                    .core
                    .state
                    .entry(p.id())
                    .or_insert_with(|| AdamState::new(&theta));
                adam_update(&mut theta, &g, state, hyper);
                p.set_value(theta);
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
    use crate::Adam;
    use crate::test_util::{assert_close, param, set_grad, tol, values};
    use tensor::DType;

    #[test]
    fn decay_is_decoupled_from_the_moments() {
        for dtype in [DType::F32, DType::F64] {
            // AdamW: θ = 1·(1 − 0.1·0.5) = 0.95, then the Adam step −0.1·sign(g) → 0.85
            let p = param(&[1.0], dtype);
            let mut opt = AdamW::new(vec![p.clone()], 0.1).weight_decay(0.5);
            set_grad(&p, &[4.0]);
            opt.step();
            assert_close(
                &values(&p),
                &[0.95 - 0.1 * 4.0 / (4.0 + 1e-8)],
                tol(dtype) * 10.0,
            );
            // Adam with L2: g = 4 + 0.5 = 4.5 goes through m, v: the step is still ≈ −0.1
            let q = param(&[1.0], dtype);
            let mut adam = Adam::new(vec![q.clone()], 0.1).weight_decay(0.5);
            set_grad(&q, &[4.0]);
            adam.step();
            assert_close(
                &values(&q),
                &[1.0 - 0.1 * 4.5 / (4.5 + 1e-8)],
                tol(dtype) * 10.0,
            );
        }
    }

    #[test]
    fn default_weight_decay_is_pytorch_s() {
        let p = param(&[1.0], DType::F64);
        let mut opt = AdamW::new(vec![p.clone()], 1.0);
        set_grad(&p, &[0.0]);
        opt.step(); // g = 0: m̂ = 0, only the decay acts: θ = 1·(1 − 1·0.01)
        assert_eq!(values(&p), vec![0.99]);
    }

    #[test]
    fn zero_decay_group_is_not_decayed() {
        let (w, b) = (param(&[1.0], DType::F64), param(&[1.0], DType::F64));
        let groups = vec![
            ParamGroup::new(vec![w.clone()]),
            ParamGroup::new(vec![b.clone()]).weight_decay(0.0),
        ];
        let mut opt = AdamW::with_groups(groups, 1.0);
        set_grad(&w, &[0.0]);
        set_grad(&b, &[0.0]);
        opt.step();
        assert_eq!((values(&w), values(&b)), (vec![0.99], vec![1.0]));
    }

    #[test]
    #[should_panic(expected = "AdamW: invalid beta parameter at index 0: -0.1")]
    fn negative_beta_panics() {
        AdamW::new(vec![param(&[1.0], DType::F32)], 0.1).betas((-0.1, 0.9));
    }
}
