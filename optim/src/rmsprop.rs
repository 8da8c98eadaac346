//! RMSprop (Hinton's lecture 6e), with optional momentum, centering and weight decay,
//! as `torch.optim.RMSprop`.
//!
//! ```text
//! input: γ (lr), α (alpha), θ₀ (params), λ (weight decay), μ (momentum), ε (eps), centered
//! initialize: v₀ ← 0 (square average), b₀ ← 0 (buffer), g_avg₀ ← 0
//! for t = 1, 2, ...:
//!     g_t ← ∇θ f_t(θ_{t−1})
//!     if λ ≠ 0: g_t ← g_t + λ θ_{t−1}
//!     v_t ← α v_{t−1} + (1 − α) g_t²             running mean of g²
//!     ṽ_t ← v_t
//!     if centered:                                estimate the variance instead:
//!         g_avg_t ← α g_avg_{t−1} + (1 − α) g_t
//!         ṽ_t ← ṽ_t − g_avg_t²                    E[g²] − E[g]²
//!     if μ > 0:
//!         b_t ← μ b_{t−1} + g_t / (√ṽ_t + ε)
//!         θ_t ← θ_{t−1} − γ b_t
//!     else:
//!         θ_t ← θ_{t−1} − γ g_t / (√ṽ_t + ε)
//! ```
//! Defaults (PyTorch's): α = 0.99, ε = 1e-8, λ = 0, μ = 0, centered off. The lr has
//! no default in ferrograd; PyTorch's is 1e-2. Sparse gradients are made dense.
//! Read next: [`crate::adagrad`].

use autograd::Var;
use tensor::Tensor;

use crate::check::{check, check_eps, check_rate, check_weight_decay, dense_grad_of};
use crate::optimizer::{Optimizer, ParamGroup};
use crate::state::{Core, OptimizerCore, SlotState, Slots, step_tensor};

/// RMSprop (see the module doc for the algorithm).
///
/// # Examples
/// ```
/// use ferrograd::autograd::Var;
/// use ferrograd::optim::{Optimizer, RMSprop};
/// use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::from_vec(vec![1.0], &[1]));
/// let mut opt = RMSprop::new(vec![w.clone()], 0.01).alpha(0.0);
/// (&w * &w).sum().backward(); // g = 2
/// opt.step(); // α = 0: v = g², so θ = 1 − 0.01·g/|g|
/// assert!((w.value().item() - 0.99).abs() < 1e-6);
/// ```
pub struct RMSprop {
    /// The parameter groups and each parameter's `RmspropState` (`crate::state`).
    core: Core<RmspropState>,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
}

/// RMSprop's per-parameter state (PyTorch's slot names in the comments).
struct RmspropState {
    /// `step`.
    step: usize,
    /// `square_avg`, v.
    v: Tensor,
    /// `momentum_buffer`, b (when μ > 0).
    b: Option<Tensor>,
    /// `grad_avg`, g_avg (when centered).
    g_avg: Option<Tensor>,
}

impl SlotState for RmspropState {
    fn slots(&self) -> Vec<(&'static str, Tensor)> {
        let mut slots = vec![
            ("step", step_tensor(self.step)),
            ("square_avg", self.v.clone()),
        ];
        if let Some(b) = &self.b {
            slots.push(("momentum_buffer", b.clone()));
        }
        if let Some(g_avg) = &self.g_avg {
            slots.push(("grad_avg", g_avg.clone()));
        }
        slots
    }

    fn from_slots(slots: &mut Slots) -> Self {
        RmspropState {
            step: slots.step(),
            v: slots.tensor("square_avg"),
            b: slots.optional("momentum_buffer"),
            g_avg: slots.optional("grad_avg"),
        }
    }
}

impl RMSprop {
    /// RMSprop over `params` with learning rate `lr` and PyTorch's defaults.
    ///
    /// # Panics
    /// If `lr` is negative or NaN, `params` is empty, or a parameter is not a leaf.
    #[track_caller]
    pub fn new(params: Vec<Var>, lr: f64) -> RMSprop {
        RMSprop::with_groups(vec![ParamGroup::new(params)], lr)
    }

    /// RMSprop over parameter groups, each with its own lr and weight decay if it sets one.
    ///
    /// # Panics
    /// As [`RMSprop::new`], and on a negative group lr or weight decay.
    #[track_caller]
    pub fn with_groups(groups: Vec<ParamGroup>, lr: f64) -> RMSprop {
        RMSprop {
            core: Core::new("RMSprop", groups, lr),
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }

    /// Smoothing constant α of the square average (default 0.99).
    ///
    /// # Panics
    /// If `alpha` is outside `[0, 1)`.
    #[track_caller]
    pub fn alpha(mut self, alpha: f64) -> RMSprop {
        check_rate("RMSprop", "alpha value", alpha);
        self.alpha = alpha;
        self
    }

    /// ε added to the root mean square (default 1e-8).
    ///
    /// # Panics
    /// If `eps` is negative or NaN.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> RMSprop {
        check_eps("RMSprop", eps);
        self.eps = eps;
        self
    }

    /// L2 penalty λ added to the gradient (default 0).
    ///
    /// # Panics
    /// If `weight_decay` is negative or NaN.
    #[track_caller]
    pub fn weight_decay(mut self, weight_decay: f64) -> RMSprop {
        check_weight_decay("RMSprop", weight_decay);
        self.weight_decay = weight_decay;
        self
    }

    /// Momentum μ applied to the normalised step (default 0).
    ///
    /// # Panics
    /// If `momentum` is negative or NaN.
    #[track_caller]
    pub fn momentum(mut self, momentum: f64) -> RMSprop {
        let message = format!("invalid momentum value: {momentum}");
        check(
            "RMSprop",
            momentum >= 0.0,
            message,
            "use momentum in [0, 1), e.g. 0.9",
        );
        self.momentum = momentum;
        self
    }

    /// Normalise by the estimated variance `E[g²] − E[g]²` instead of `E[g²]`
    /// (default off).
    pub fn centered(mut self, centered: bool) -> RMSprop {
        self.centered = centered;
        self
    }
}

impl Optimizer for RMSprop {
    #[track_caller]
    fn step(&mut self) {
        let (alpha, mu, eps) = (self.alpha, self.momentum, self.eps);
        for group in &self.core.groups.groups {
            let (gamma, lambda) = (group.lr, group.weight_decay.unwrap_or(self.weight_decay));
            for p in &group.params {
                let Some(mut g) = dense_grad_of("RMSprop", p) else {
                    continue;
                };
                let theta = p.value();
                if lambda != 0.0 {
                    g = &g + &(&theta * lambda);
                }
                let zeros = || Tensor::full_dtype(theta.shape(), 0.0, theta.dtype());
                let s = self
                    .core
                    .state
                    .entry(p.id())
                    .or_insert_with(|| RmspropState {
                        step: 0,
                        v: zeros(),
                        b: None,
                        g_avg: None,
                    });
                s.step += 1;
                s.v = &(&s.v * alpha) + &(&(&g * &g) * (1.0 - alpha));
                let mut v_tilde = s.v.clone();
                if self.centered {
                    let g_avg = s.g_avg.take().unwrap_or_else(zeros);
                    let g_avg = &(&g_avg * alpha) + &(&g * (1.0 - alpha));
                    v_tilde = &v_tilde - &(&g_avg * &g_avg);
                    s.g_avg = Some(g_avg);
                }
                let rms = &v_tilde.sqrt() + eps;
                if mu > 0.0 {
                    let b = s.b.take().unwrap_or_else(zeros);
                    let b = &(&b * mu) + &(&g / &rms);
                    p.set_value(&theta - &(&b * gamma));
                    s.b = Some(b);
                } else {
                    p.set_value(&theta - &(&(&g / &rms) * gamma));
                }
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
    fn plain_step_by_hand() {
        for dtype in [DType::F32, DType::F64] {
            let p = param(&[1.0, 1.0], dtype);
            let mut opt = RMSprop::new(vec![p.clone()], 0.1).alpha(0.5).eps(0.0);
            set_grad(&p, &[2.0, -4.0]);
            opt.step(); // v = 0.5·g²: θ = 1 − 0.1·g/(|g|/√2) = 1 ∓ 0.1·√2
            let s = 0.1 * 2f64.sqrt();
            assert_close(&values(&p), &[1.0 - s, 1.0 + s], tol(dtype));
        }
    }

    #[test]
    fn centered_momentum_by_hand() {
        let p = param(&[0.0], DType::F64);
        let mut opt = RMSprop::new(vec![p.clone()], 1.0)
            .alpha(0.5)
            .eps(0.0)
            .centered(true)
            .momentum(0.5);
        set_grad(&p, &[2.0]);
        opt.step(); // v = 2, g_avg = 1, ṽ = 2 − 1 = 1; b = 2/1 = 2; θ = −2
        assert_close(&values(&p), &[-2.0], 1e-15);
        opt.step(); // v = 1 + 2 = 3, g_avg = 0.5 + 1 = 1.5, ṽ = 0.75; b = 1 + 2/√0.75
        assert_close(&values(&p), &[-2.0 - (1.0 + 2.0 / 0.75f64.sqrt())], 1e-15);
        let saved = opt.state_dict();
        assert_eq!(saved["state.0.grad_avg"].item(), 1.5);
        assert_eq!(saved["state.0.square_avg"].item(), 3.0);
    }

    #[test]
    #[should_panic(expected = "RMSprop: invalid alpha value: 1.5")]
    fn alpha_above_one_panics() {
        RMSprop::new(vec![param(&[1.0], DType::F32)], 0.1).alpha(1.5);
    }

    #[test]
    #[should_panic(expected = "RMSprop: invalid momentum value: -1")]
    fn negative_momentum_panics() {
        RMSprop::new(vec![param(&[1.0], DType::F32)], 0.1).momentum(-1.0);
    }
}
