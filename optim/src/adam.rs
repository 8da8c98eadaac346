//! Adam (Kingma & Ba, 2015), with optional L2 weight decay and AMSGrad, as
//! `torch.optim.Adam`.
//!
//! ```text
//! input: γ (lr), β₁, β₂ (betas), θ₀ (params), λ (weight decay), ε (eps), amsgrad
//! initialize: m₀ ← 0, v₀ ← 0, v_max₀ ← 0
//! for t = 1, 2, ...:
//!     g_t ← ∇θ f_t(θ_{t−1})
//!     if λ ≠ 0: g_t ← g_t + λ θ_{t−1}          (L2 penalty, through m and v)
//!     m_t ← β₁ m_{t−1} + (1 − β₁) g_t           first moment (mean of g)
//!     v_t ← β₂ v_{t−1} + (1 − β₂) g_t²          second moment (mean of g²)
//!     m̂_t ← m_t / (1 − β₁ᵗ)                     bias corrections: m₀ = v₀ = 0
//!     if amsgrad:
//!         v_max_t ← max(v_max_{t−1}, v_t)
//!         v̂_t ← v_max_t / (1 − β₂ᵗ)
//!     else:
//!         v̂_t ← v_t / (1 − β₂ᵗ)
//!     θ_t ← θ_{t−1} − γ m̂_t / (√v̂_t + ε)
//! ```
//! Defaults (PyTorch's): β = (0.9, 0.999), ε = 1e-8, λ = 0, amsgrad off.
//! A sparse ([`ferrograd::autograd::Gradient::Rows`]) gradient is made dense: Adam's moments decay
//! on every row, looked up or not. For lazy row updates use [`crate::SparseAdam`].
//! Read next: [`crate::adamw`], the same with decoupled weight decay.

use autograd::Var;
use tensor::{Float, Tensor};

use crate::check::{check_eps, check_rate, check_weight_decay, dense_grad_of};
use crate::optimizer::{Optimizer, ParamGroup};
use crate::state::{Core, OptimizerCore, SlotState, Slots, step_tensor};

/// Adam (see the module doc for the algorithm).
///
/// # Examples
/// ```
/// use ferrograd::autograd::Var;
/// use ferrograd::optim::{Adam, Optimizer};
/// use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::from_vec(vec![1.0, -1.0], &[2]));
/// let mut opt = Adam::new(vec![w.clone()], 0.1).betas((0.9, 0.99)).amsgrad(true);
/// (&w * &w).sum().backward();
/// opt.step(); // the first Adam step moves each weight by about lr against its gradient's sign
/// let theta = w.value().to_vec::<f32>();
/// assert!((theta[0] - 0.9).abs() < 1e-6 && (theta[1] + 0.9).abs() < 1e-6);
/// ```
pub struct Adam {
    /// The parameter groups and each parameter's `AdamState` (`crate::state`).
    core: Core<AdamState>,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
}

/// Adam's (and AdamW's) per-parameter state.
pub(crate) struct AdamState {
    /// Number of updates done, `t`.
    pub(crate) step: usize,
    /// First moment `m` (PyTorch's `exp_avg`).
    pub(crate) m: Tensor,
    /// Second moment `v` (PyTorch's `exp_avg_sq`).
    pub(crate) v: Tensor,
    /// AMSGrad's running maximum of `v` (`max_exp_avg_sq`), once used.
    pub(crate) v_max: Option<Tensor>,
}

impl AdamState {
    /// `t = 0`, `m = v = 0` shaped like `theta`.
    pub(crate) fn new(theta: &Tensor) -> AdamState {
        let zeros = Tensor::full_dtype(theta.shape(), 0.0, theta.dtype());
        AdamState {
            step: 0,
            m: zeros.clone(),
            v: zeros,
            v_max: None,
        }
    }
}

impl SlotState for AdamState {
    fn slots(&self) -> Vec<(&'static str, Tensor)> {
        let mut slots = vec![
            ("step", step_tensor(self.step)),
            ("exp_avg", self.m.clone()),
            ("exp_avg_sq", self.v.clone()),
        ];
        if let Some(v_max) = &self.v_max {
            slots.push(("max_exp_avg_sq", v_max.clone()));
        }
        slots
    }

    fn from_slots(slots: &mut Slots) -> Self {
        AdamState {
            step: slots.step(),
            m: slots.tensor("exp_avg"),
            v: slots.tensor("exp_avg_sq"),
            v_max: slots.optional("max_exp_avg_sq"),
        }
    }
}

/// The Adam hyperparameters of one update.
#[derive(Clone, Copy)]
pub(crate) struct AdamHyper {
    pub(crate) lr: f64,
    pub(crate) betas: (f64, f64),
    pub(crate) eps: f64,
    pub(crate) amsgrad: bool,
}

/// One Adam update of `theta` with gradient `g` (weight decay already applied), in
/// place: advances `state` and turns `theta` into `θ_t` (the loop body of the algorithm
/// box).
pub(crate) fn adam_update(theta: &mut Tensor, g: &Tensor, state: &mut AdamState, h: AdamHyper) {
    state.step += 1;
    let t = state.step as f64;
    let (beta1, beta2) = h.betas;
    let consts = AdamConsts {
        betas: h.betas,
        corrections: (1.0 / (1.0 - beta1.powf(t)), 1.0 / (1.0 - beta2.powf(t))),
        eps: h.eps,
        lr: h.lr,
    };
    if h.amsgrad && state.v_max.is_none() {
        // max(0, v_t) = v_t: starting from zeros is PyTorch's first AMSGrad step
        state.v_max = Some(Tensor::full_dtype(theta.shape(), 0.0, theta.dtype()));
    }
    match theta.dtype() {
        tensor::DType::F32 => adam_slices::<f32>(theta, g, state, consts),
        tensor::DType::F64 => adam_slices::<f64>(theta, g, state, consts),
        _ => unreachable!("parameters are float tensors (Var::param checks)"),
    }
}

/// The numbers one update needs: betas, the bias corrections
/// `(c₁, c₂) = (1/(1 − β₁ᵗ), 1/(1 − β₂ᵗ))`, ε and γ.
#[derive(Clone, Copy)]
struct AdamConsts {
    betas: (f64, f64),
    corrections: (f64, f64),
    eps: f64,
    lr: f64,
}

/// One pass over the elements, writing `m`, `v` (and `v_max`) and `θ` in place (a
/// step allocates nothing, and reads and writes each element once):
///
/// ```text
/// m ← β₁ m + (1 − β₁) g      v ← β₂ v + (1 − β₂) g²      v_max ← max(v_max, v)
/// θ ← θ − (m·c₁) / (√(v̂·c₂) + ε) · γ      v̂ = v_max with AMSGrad, else v
/// ```
fn adam_slices<T: Float>(theta: &mut Tensor, g: &Tensor, state: &mut AdamState, k: AdamConsts) {
    let ((b1, b2), (c1, c2)) = (k.betas, k.corrections);
    let (keep1, take1, keep2, take2) = (T::of(b1), T::of(1.0 - b1), T::of(b2), T::of(1.0 - b2));
    let (c1, c2, eps, lr) = (T::of(c1), T::of(c2), T::of(k.eps), T::of(k.lr));
    let g = g.contiguous();
    let g = g
        .array::<T>()
        .as_slice()
        .expect("internal error: a contiguous tensor is a slice; this is a bug");
    let (m, v) = (state.m.as_mut_slice::<T>(), state.v.as_mut_slice::<T>());
    let mut v_max = state.v_max.as_mut().map(|t| t.as_mut_slice::<T>());
    let theta = theta.as_mut_slice::<T>();
    for i in 0..theta.len() {
        m[i] = m[i] * keep1 + g[i] * take1;
        v[i] = v[i] * keep2 + (g[i] * g[i]) * take2;
        let v_hat = match v_max.as_deref_mut() {
            Some(v_max) => {
                v_max[i] = v_max[i].max(v[i]);
                v_max[i]
            }
            None => v[i],
        };
        theta[i] = theta[i] - (m[i] * c1) / ((v_hat * c2).sqrt() + eps) * lr;
    }
}

impl Adam {
    /// Adam over `params` with learning rate `lr` and PyTorch's defaults.
    ///
    /// # Panics
    /// If `lr` is negative or NaN, `params` is empty, or a parameter is not a leaf.
    #[track_caller]
    pub fn new(params: Vec<Var>, lr: f64) -> Adam {
        Adam::with_groups(vec![ParamGroup::new(params)], lr)
    }

    /// Adam over parameter groups, each with its own lr and weight decay if it sets one.
    ///
    /// # Panics
    /// As [`Adam::new`], and on a negative group lr or weight decay.
    #[track_caller]
    pub fn with_groups(groups: Vec<ParamGroup>, lr: f64) -> Adam {
        Adam {
            core: Core::new("Adam", groups, lr),
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
        }
    }

    /// Decay rates `(β₁, β₂)` of the two moments (default `(0.9, 0.999)`).
    ///
    /// # Panics
    /// If a beta is outside `[0, 1)`.
    #[track_caller]
    pub fn betas(mut self, betas: (f64, f64)) -> Adam {
        check_rate("Adam", "beta parameter at index 0", betas.0);
        check_rate("Adam", "beta parameter at index 1", betas.1);
        self.betas = betas;
        self
    }

    /// ε added to `√v̂` to avoid dividing by zero (default 1e-8).
    ///
    /// # Panics
    /// If `eps` is negative or NaN.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Adam {
        check_eps("Adam", eps);
        self.eps = eps;
        self
    }

    /// L2 penalty λ added to the gradient (default 0). For decoupled decay use
    /// [`crate::AdamW`].
    ///
    /// # Panics
    /// If `weight_decay` is negative or NaN.
    #[track_caller]
    pub fn weight_decay(mut self, weight_decay: f64) -> Adam {
        check_weight_decay("Adam", weight_decay);
        self.weight_decay = weight_decay;
        self
    }

    /// Use AMSGrad's running maximum of `v` (default off).
    pub fn amsgrad(mut self, amsgrad: bool) -> Adam {
        self.amsgrad = amsgrad;
        self
    }
}

impl Optimizer for Adam {
    #[track_caller]
    fn step(&mut self) {
        for group in &self.core.groups.groups {
            let lambda = group.weight_decay.unwrap_or(self.weight_decay);
            let hyper = AdamHyper {
                lr: group.lr,
                betas: self.betas,
                eps: self.eps,
                amsgrad: self.amsgrad,
            };
            for p in &group.params {
                let Some(mut g) = dense_grad_of("Adam", p) else {
                    continue;
                };
                if lambda != 0.0 {
                    g = &g + &(&p.value() * lambda);
                }
                let state = self
                    .core
                    .state
                    .entry(p.id())
                    .or_insert_with(|| AdamState::new(&p.value()));
                // (no clone of the value is alive here, so the update writes in place)
                p.update_value(|theta| adam_update(theta, &g, state, hyper));
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
    fn first_step_moves_by_lr_times_sign() {
        // t = 1: m̂ = g, v̂ = g², so θ ← θ − γ g / (|g| + ε) ≈ θ − γ sign(g)
        for dtype in [DType::F32, DType::F64] {
            let p = param(&[1.0, 1.0], dtype);
            let mut opt = Adam::new(vec![p.clone()], 0.1);
            set_grad(&p, &[3.0, -0.5]);
            opt.step();
            let expected = [
                1.0 - 0.1 * 3.0 / (3.0 + 1e-8),
                1.0 + 0.1 * 0.5 / (0.5 + 1e-8),
            ];
            assert_close(&values(&p), &expected, tol(dtype) * 10.0);
        }
    }

    #[test]
    fn two_steps_by_hand_with_weight_decay() {
        let p = param(&[1.0], DType::F64);
        let mut opt = Adam::new(vec![p.clone()], 0.1)
            .betas((0.5, 0.5))
            .eps(0.0)
            .weight_decay(1.0);
        set_grad(&p, &[1.0]);
        opt.step(); // g = 1 + 1 = 2: θ = 1 − 0.1·2/2 = 0.9
        assert_close(&values(&p), &[0.9], 1e-15);
        opt.step(); // g = 1.9; m = 0.5·1 + 0.5·1.9 = 1.45, v = 0.5·2 + 0.5·3.61 = 2.805
        // m̂ = 1.45/0.75, v̂ = 2.805/0.75: θ = 0.9 − 0.1·m̂/√v̂
        let expected = 0.9 - 0.1 * (1.45 / 0.75) / (2.805f64 / 0.75).sqrt();
        assert_close(&values(&p), &[expected], 1e-15);
    }

    #[test]
    fn amsgrad_keeps_the_largest_second_moment() {
        let p = param(&[0.0], DType::F64);
        let mut opt = Adam::new(vec![p.clone()], 0.1).amsgrad(true);
        set_grad(&p, &[10.0]);
        opt.step();
        set_grad(&p, &[0.0]);
        opt.step(); // v shrinks (0.999·v), v_max stays at the step-1 value
        let saved = opt.state_dict();
        let v = saved["state.0.exp_avg_sq"].item();
        let v_max = saved["state.0.max_exp_avg_sq"].item();
        assert!(v < v_max, "{v} < {v_max}");
        assert_close(&[v_max], &[0.001 * 100.0], 1e-12);
        assert_eq!(saved["state.0.step"].item(), 2.0);
    }

    #[test]
    fn load_state_dict_reports_missing_and_misshapen_slots() {
        let p = param(&[1.0, 2.0], DType::F32);
        let mut opt = Adam::new(vec![p.clone()], 0.1);
        set_grad(&p, &[1.0, 1.0]);
        opt.step();
        let mut saved = opt.state_dict();
        saved.remove("state.0.exp_avg");
        saved.insert("state.0.exp_avg_sq".into(), Tensor::zeros(&[3]));
        saved.insert("state.7.step".into(), Tensor::zeros(&[]));
        let err = Adam::new(vec![p], 0.1).load_state_dict(&saved).unwrap_err();
        assert_eq!(err.kind, tensor::ErrorKind::Io);
        assert_eq!(
            err.to_string(),
            "load_state_dict: the state dict does not fit the optimizer; \
             missing: state.0.exp_avg; unexpected: state.7.step; \
             state.0.exp_avg_sq: optimizer has shape [2], state dict has [3]"
        );
    }

    #[test]
    #[should_panic(expected = "Adam: invalid beta parameter at index 1: 1")]
    fn beta_of_one_panics() {
        Adam::new(vec![param(&[1.0], DType::F32)], 0.1).betas((0.9, 1.0));
    }

    #[test]
    #[should_panic(expected = "Adam: invalid epsilon value: -1")]
    fn negative_eps_panics() {
        Adam::new(vec![param(&[1.0], DType::F32)], 0.1).eps(-1.0);
    }

    #[test]
    #[should_panic(expected = "Adam: invalid weight_decay value: -0.1")]
    fn negative_weight_decay_panics() {
        Adam::new(vec![param(&[1.0], DType::F32)], 0.1).weight_decay(-0.1);
    }
}
