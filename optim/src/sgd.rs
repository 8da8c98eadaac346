//! Stochastic gradient descent, with momentum, dampening, Nesterov momentum and
//! weight decay, as `torch.optim.SGD`.
//!
//! ```text
//! input: γ (lr), θ₀ (params), λ (weight decay), μ (momentum), τ (dampening), nesterov
//! for t = 1, 2, ...:
//!     g_t ← ∇θ f_t(θ_{t−1})
//!     if λ ≠ 0:      g_t ← g_t + λ θ_{t−1}
//!     if μ ≠ 0:
//!         if t > 1:  b_t ← μ b_{t−1} + (1 − τ) g_t
//!         else:      b_t ← g_t
//!         if nesterov: g_t ← g_t + μ b_t
//!         else:        g_t ← b_t
//!     θ_t ← θ_{t−1} − γ g_t
//! ```
//! Defaults (PyTorch's): μ = 0, τ = 0, λ = 0, nesterov off.
//!
//! Sparse gradients: when a parameter's gradient is [`Gradient::Rows`] (an embedding
//! lookup) and there is no momentum and no weight decay, only the looked-up rows are
//! updated, `θ[i] ← θ[i] − γ g[i]`; every other row stays bit-identical. With momentum
//! or weight decay every row moves anyway (the buffer keeps moving rows that were not
//! looked up, decay shrinks them all), so the gradient is made dense.
//! Read next: [`crate::adam`].

use autograd::{Gradient, Var};
use tensor::Tensor;

use crate::check::{check, check_weight_decay, gradient_of};
use crate::optimizer::{Optimizer, ParamGroup};
use crate::state::{Core, OptimizerCore, SlotState, Slots};

/// SGD with optional momentum (see the module doc for the algorithm).
///
/// # Examples
/// ```
/// use ferrograd::autograd::Var;
/// use ferrograd::optim::{Optimizer, SGD};
/// use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// let mut opt = SGD::new(vec![w.clone()], 0.1).momentum(0.9).nesterov(true);
/// (&w * &w).sum().backward(); // g = 2w = [2, 4]
/// opt.step(); // b = g; g + μb = 1.9·g; θ = θ − 0.1·1.9·g = [0.62, 1.24]
/// let theta = w.value().to_vec::<f32>();
/// assert!((theta[0] - 0.62).abs() < 1e-6 && (theta[1] - 1.24).abs() < 1e-6);
/// ```
pub struct SGD {
    /// The parameter groups and each parameter's `SgdState` (`crate::state`).
    core: Core<SgdState>,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
}

/// SGD's per-parameter state: the momentum buffer `b` (only when μ ≠ 0).
struct SgdState {
    momentum_buffer: Tensor,
}

impl SlotState for SgdState {
    fn slots(&self) -> Vec<(&'static str, Tensor)> {
        vec![("momentum_buffer", self.momentum_buffer.clone())]
    }

    fn from_slots(slots: &mut Slots) -> Self {
        SgdState {
            momentum_buffer: slots.tensor("momentum_buffer"),
        }
    }
}

impl SGD {
    /// Plain SGD over `params` with learning rate `lr`.
    ///
    /// # Panics
    /// If `lr` is negative or NaN, `params` is empty, or a parameter is not a leaf.
    #[track_caller]
    pub fn new(params: Vec<Var>, lr: f64) -> SGD {
        SGD::with_groups(vec![ParamGroup::new(params)], lr)
    }

    /// SGD over parameter groups, each with its own lr and weight decay if it sets one.
    ///
    /// # Panics
    /// As [`SGD::new`], and on a negative group lr or weight decay.
    #[track_caller]
    pub fn with_groups(groups: Vec<ParamGroup>, lr: f64) -> SGD {
        SGD {
            core: Core::new("SGD", groups, lr),
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }

    /// Momentum factor μ (default 0).
    ///
    /// # Panics
    /// If `momentum` is negative or NaN.
    #[track_caller]
    pub fn momentum(mut self, momentum: f64) -> SGD {
        let message = format!("invalid momentum value: {momentum}");
        check(
            "SGD",
            momentum >= 0.0,
            message,
            "use momentum in [0, 1), e.g. 0.9",
        );
        self.momentum = momentum;
        self
    }

    /// Dampening τ of the momentum (default 0): the new gradient enters with `1 − τ`.
    ///
    /// # Panics
    /// If `dampening` is NaN.
    #[track_caller]
    pub fn dampening(mut self, dampening: f64) -> SGD {
        let message = format!("invalid dampening value: {dampening}");
        check(
            "SGD",
            !dampening.is_nan(),
            message,
            "use dampening in [0, 1]",
        );
        self.dampening = dampening;
        self
    }

    /// L2 penalty λ added to the gradient (default 0).
    ///
    /// # Panics
    /// If `weight_decay` is negative or NaN.
    #[track_caller]
    pub fn weight_decay(mut self, weight_decay: f64) -> SGD {
        check_weight_decay("SGD", weight_decay);
        self.weight_decay = weight_decay;
        self
    }

    /// Use Nesterov momentum (default off). Needs μ > 0 and τ = 0, checked at `step`
    /// so that the builder methods can come in any order.
    pub fn nesterov(mut self, nesterov: bool) -> SGD {
        self.nesterov = nesterov;
        self
    }
}

impl Optimizer for SGD {
    /// One SGD update of every parameter that has a gradient.
    ///
    /// # Panics
    /// If Nesterov momentum is on without momentum or with dampening.
    #[track_caller]
    fn step(&mut self) {
        let (mu, tau) = (self.momentum, self.dampening);
        check(
            "SGD",
            !self.nesterov || (mu > 0.0 && tau == 0.0),
            format!(
                "Nesterov momentum requires a momentum and zero dampening (momentum {mu}, dampening {tau})"
            ),
            "call .momentum(0.9) and leave dampening at 0",
        );
        for group in &self.core.groups.groups {
            let gamma = group.lr;
            let lambda = group.weight_decay.unwrap_or(self.weight_decay);
            for p in &group.params {
                let Some(gradient) = gradient_of("SGD", p) else {
                    continue;
                };
                if let Gradient::Rows(rows) = &gradient
                    && mu == 0.0
                    && lambda == 0.0
                {
                    // θ[i] ← θ[i] − γ g[i] for the looked-up rows only (repeats add up)
                    let update = &rows.rows * -gamma;
                    p.update_value(|theta| theta.index_add_(0, &rows.index_tensor(), &update));
                    continue;
                }
                let theta = p.value();
                let mut g = gradient.to_dense();
                if lambda != 0.0 {
                    g = &g + &(&theta * lambda);
                }
                if mu != 0.0 {
                    let b = match self.core.state.get(&p.id()) {
                        Some(s) => &(&s.momentum_buffer * mu) + &(&g * (1.0 - tau)),
                        None => g.clone(),
                    };
                    g = if self.nesterov {
                        &g + &(&b * mu)
                    } else {
                        b.clone()
                    };
                    self.core
                        .state
                        .insert(p.id(), SgdState { momentum_buffer: b });
                }
                p.set_value(&theta - &(&g * gamma));
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
    use autograd::RowGradient;
    use tensor::DType;

    #[test]
    fn plain_step_is_theta_minus_lr_g() {
        for dtype in [DType::F32, DType::F64] {
            let p = param(&[1.0, -2.0], dtype);
            let mut opt = SGD::new(vec![p.clone()], 0.5);
            set_grad(&p, &[2.0, 4.0]);
            opt.step(); // θ = [1 − 0.5·2, −2 − 0.5·4]
            assert_eq!(values(&p), vec![0.0, -4.0]);
            assert_eq!(p.dtype(), dtype);
        }
    }

    #[test]
    fn momentum_dampening_and_weight_decay_by_hand() {
        for dtype in [DType::F32, DType::F64] {
            let p = param(&[1.0], dtype);
            let mut opt = SGD::new(vec![p.clone()], 0.1)
                .momentum(0.9)
                .dampening(0.5)
                .weight_decay(0.1);
            set_grad(&p, &[1.0]);
            opt.step(); // g = 1 + 0.1·1 = 1.1; b₁ = g = 1.1; θ = 1 − 0.11 = 0.89
            assert_close(&values(&p), &[0.89], tol(dtype));
            opt.step(); // g = 1 + 0.089 = 1.089; b₂ = 0.9·1.1 + 0.5·1.089 = 1.5345; θ = 0.89 − 0.15345
            assert_close(&values(&p), &[0.73655], tol(dtype));
        }
    }

    #[test]
    fn nesterov_uses_g_plus_mu_b() {
        let p = param(&[0.0], DType::F64);
        let mut opt = SGD::new(vec![p.clone()], 1.0).momentum(0.5).nesterov(true);
        set_grad(&p, &[1.0]);
        opt.step(); // b₁ = 1; g + μb = 1.5; θ = −1.5
        opt.step(); // b₂ = 0.5 + 1 = 1.5; g + μb = 1.75; θ = −3.25
        assert_eq!(values(&p), vec![-3.25]);
    }

    #[test]
    fn parameters_without_gradient_are_skipped_and_zero_grad_clears() {
        let (a, b) = (param(&[1.0], DType::F32), param(&[1.0], DType::F32));
        let mut opt = SGD::new(vec![a.clone(), b.clone()], 1.0);
        set_grad(&a, &[1.0]);
        opt.step();
        assert_eq!((values(&a), values(&b)), (vec![0.0], vec![1.0]));
        opt.zero_grad();
        assert!(a.grad().is_none());
    }

    #[test]
    fn sparse_rows_update_only_touched_rows() {
        for dtype in [DType::F32, DType::F64] {
            let table = Var::param(
                Tensor::arange(0.0, 8.0, 1.0)
                    .reshape(&[4, 2])
                    .to_dtype(dtype),
            );
            let before = values(&table);
            let rows =
                Tensor::from_vec_f64(vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0], &[3, 2]).to_dtype(dtype);
            let grad = RowGradient {
                indices: vec![2, 0, 2],
                rows,
                num_rows: 4,
            };
            table.set_grad(Some(Gradient::Rows(grad)));
            SGD::new(vec![table.clone()], 0.5).step();
            let after = values(&table);
            // row 0: [0, 1] − 0.5·[2, 2]; row 2: [4, 5] − 0.5·([1, 1] + [3, 3]); rows 1, 3 untouched
            assert_eq!(after, vec![-1.0, 0.0, 2.0, 3.0, 2.0, 3.0, 6.0, 7.0]);
            assert_eq!(
                after[2..4].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                before[2..4].iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn state_dict_round_trip_keeps_the_momentum_buffer() {
        let p = param(&[1.0, 2.0], DType::F64);
        let mut opt = SGD::new(vec![p.clone()], 0.1).momentum(0.9);
        set_grad(&p, &[1.0, 1.0]);
        opt.step();
        let saved = opt.state_dict();
        assert_eq!(
            saved["state.0.momentum_buffer"].to_vec::<f64>(),
            vec![1.0, 1.0]
        );
        let mut fresh = SGD::new(vec![p.clone()], 0.1).momentum(0.9);
        fresh.load_state_dict(&saved).unwrap();
        assert_eq!(
            fresh.state_dict()["state.0.momentum_buffer"].to_vec::<f64>(),
            vec![1.0, 1.0]
        );
    }

    #[test]
    #[should_panic(expected = "SGD: invalid momentum value: -0.1")]
    fn negative_momentum_panics() {
        SGD::new(vec![param(&[1.0], DType::F32)], 0.1).momentum(-0.1);
    }

    #[test]
    #[should_panic(expected = "SGD: Nesterov momentum requires a momentum and zero dampening")]
    fn nesterov_without_momentum_panics() {
        SGD::new(vec![param(&[1.0], DType::F32)], 0.1)
            .nesterov(true)
            .step();
    }

    #[test]
    #[should_panic(expected = "SGD: invalid learning rate: -1")]
    fn negative_lr_panics() {
        SGD::new(vec![param(&[1.0], DType::F32)], -1.0);
    }
}
