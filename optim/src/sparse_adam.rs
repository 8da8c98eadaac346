//! SparseAdam: "lazy" Adam for embedding tables with sparse row gradients, as
//! `torch.optim.SparseAdam`.
//!
//! ```text
//! input: γ (lr), β₁, β₂ (betas), ε (eps), θ₀ (a table [V, C])
//! initialize: m₀ ← 0, v₀ ← 0 (both [V, C]), t ← 0
//! for each step, with gradient rows g_I for the looked-up rows I (repeats summed):
//!     t ← t + 1                                   one count for the whole table
//!     m_I ← β₁ m_I + (1 − β₁) g_I                 only the rows in I: the moments of
//!     v_I ← β₂ v_I + (1 − β₂) g_I²                other rows do not decay this step
//!     θ_I ← θ_I − γ · √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m_I / (√v_I + ε)
//! ```
//! Dense Adam would decay `m` and `v` of all V rows every step and move rows whose
//! gradient is zero; lazy Adam touches only the rows in the batch (n rows instead of V,
//! and untouched rows stay bit-identical). As PyTorch, it computes the row updates as
//! differences, `m_I ← m_I + (1 − β₁)(g_I − m_I)`, added with `index_add`.
//!
//! Defaults (PyTorch's): β = (0.9, 0.999), ε = 1e-8; no weight decay. Gradients must
//! be [`Gradient::Rows`] (an embedding with `sparse = true`); use [`crate::Adam`] for
//! dense ones.
//! Read next: [`crate::schedule`].

use autograd::{Gradient, Var};

use crate::adam::AdamState;
use crate::check::{check, check_eps, check_rate, fail, gradient_of};
use crate::optimizer::{Optimizer, ParamGroup};
use crate::state::{Core, OptimizerCore};

/// Lazy Adam for sparse row gradients (see the module doc for the algorithm).
///
/// # Examples
/// ```
/// use ferrograd::autograd::{Gradient, RowGradient, Var};
/// use ferrograd::optim::{Optimizer, SparseAdam};
/// use ferrograd::tensor::Tensor;
/// let table = Var::param(Tensor::zeros(&[3, 2]));
/// let rows = Tensor::from_vec(vec![1.0, -1.0], &[1, 2]);
/// table.set_grad(Some(Gradient::Rows(RowGradient { indices: vec![1], rows, num_rows: 3 })));
/// SparseAdam::new(vec![table.clone()], 0.1).step();
/// let theta = table.value().to_vec::<f32>();
/// assert_eq!((theta[0], theta[1], theta[4], theta[5]), (0.0, 0.0, 0.0, 0.0)); // rows 0, 2
/// assert!((theta[2] + 0.1).abs() < 1e-6 && (theta[3] - 0.1).abs() < 1e-6); // row 1
/// ```
pub struct SparseAdam {
    /// The parameter groups and each parameter's `AdamState` (`crate::state`).
    core: Core<AdamState>,
    betas: (f64, f64),
    eps: f64,
}

impl SparseAdam {
    /// SparseAdam over `params` (tables with sparse gradients) with learning rate `lr`.
    ///
    /// # Panics
    /// If `lr` is negative or NaN, `params` is empty, or a parameter is not a leaf.
    #[track_caller]
    pub fn new(params: Vec<Var>, lr: f64) -> SparseAdam {
        SparseAdam::with_groups(vec![ParamGroup::new(params)], lr)
    }

    /// SparseAdam over parameter groups, each with its own lr if it sets one.
    ///
    /// # Panics
    /// As [`SparseAdam::new`], and if a group sets a nonzero weight decay (SparseAdam
    /// has none, as in PyTorch).
    #[track_caller]
    pub fn with_groups(groups: Vec<ParamGroup>, lr: f64) -> SparseAdam {
        for g in &groups {
            let wd = g.weight_decay.unwrap_or(0.0);
            let message = format!("weight decay is not supported (a group sets weight_decay {wd})");
            check(
                "SparseAdam",
                wd == 0.0,
                message,
                "use AdamW on the dense parameters",
            );
        }
        SparseAdam {
            core: Core::new("SparseAdam", groups, lr),
            betas: (0.9, 0.999),
            eps: 1e-8,
        }
    }

    /// Decay rates `(β₁, β₂)` of the two moments (default `(0.9, 0.999)`).
    ///
    /// # Panics
    /// If a beta is outside `[0, 1)`.
    #[track_caller]
    pub fn betas(mut self, betas: (f64, f64)) -> SparseAdam {
        check_rate("SparseAdam", "beta parameter at index 0", betas.0);
        check_rate("SparseAdam", "beta parameter at index 1", betas.1);
        self.betas = betas;
        self
    }

    /// ε added to `√v` (default 1e-8).
    ///
    /// # Panics
    /// If `eps` is negative or NaN.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> SparseAdam {
        check_eps("SparseAdam", eps);
        self.eps = eps;
        self
    }
}

impl Optimizer for SparseAdam {
    /// One lazy Adam update of the looked-up rows of every table.
    ///
    /// # Panics
    /// If a parameter has a dense gradient.
    #[track_caller]
    fn step(&mut self) {
        let (beta1, beta2) = self.betas;
        for group in &self.core.groups.groups {
            for p in &group.params {
                let rows = match gradient_of("SparseAdam", p) {
                    None => continue,
                    Some(Gradient::Rows(rows)) => rows.coalesce(),
                    Some(Gradient::Dense(_)) => fail(
                        "SparseAdam",
                        format!(
                            "does not support dense gradients (parameter of shape {:?})",
                            p.shape()
                        ),
                        "please consider Adam instead, or build the embedding with sparse = true",
                    ),
                };
                let s = self
                    .core
                    .state
                    .entry(p.id())
                    .or_insert_with(|| AdamState::new(&p.value()));
                s.step += 1;
                let (index, g) = (rows.index_tensor(), &rows.rows);
                let m_old = s.m.index_select(0, &index);
                let v_old = s.v.index_select(0, &index);
                // m_I ← m_I + (1 − β₁)(g − m_I): the same as β₁ m_I + (1 − β₁) g
                let m_change = &(g - &m_old) * (1.0 - beta1);
                let v_change = &(&(g * g) - &v_old) * (1.0 - beta2);
                // in place: a step costs the n looked-up rows, not the V rows of the table
                s.m.index_add_(0, &index, &m_change);
                s.v.index_add_(0, &index, &v_change);
                let (m_rows, v_rows) = (&m_change + &m_old, &v_change + &v_old);
                let t = s.step as f64;
                let step_size = group.lr * (1.0 - beta2.powf(t)).sqrt() / (1.0 - beta1.powf(t));
                let update = &(&m_rows / &(&v_rows.sqrt() + self.eps)) * -step_size;
                p.update_value(|theta| theta.index_add_(0, &index, &update));
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
    use crate::test_util::{assert_close, set_grad, tol, values};
    use autograd::RowGradient;
    use tensor::{DType, Tensor};

    fn rows_grad(indices: Vec<usize>, rows: &[f64], dtype: DType) -> Option<Gradient> {
        let rows = Tensor::from_vec_f64(rows.to_vec(), &[indices.len(), 2]).to_dtype(dtype);
        Some(Gradient::Rows(RowGradient {
            indices,
            rows,
            num_rows: 4,
        }))
    }

    #[test]
    fn untouched_rows_and_their_moments_stay_bit_identical() {
        for dtype in [DType::F32, DType::F64] {
            let table = Var::param(
                Tensor::arange(0.0, 8.0, 1.0)
                    .reshape(&[4, 2])
                    .to_dtype(dtype),
            );
            let mut opt = SparseAdam::new(vec![table.clone()], 0.1);
            table.set_grad(rows_grad(vec![1, 1], &[1.0, 2.0, 3.0, 4.0], dtype));
            opt.step();
            let after_first = values(&table);
            table.set_grad(rows_grad(vec![3], &[1.0, 1.0], dtype));
            opt.step();
            let after = values(&table);
            // row 1 (not looked up at step 2) has neither moved nor had its moments decay
            assert_eq!(
                after[2..4].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                after_first[2..4]
                    .iter()
                    .map(|x| x.to_bits())
                    .collect::<Vec<_>>()
            );
            assert_eq!(&after[..2], &[0.0, 1.0]); // row 0 never looked up
            let m = opt.state_dict()["state.0.exp_avg"]
                .to_dtype(DType::F64)
                .to_vec::<f64>();
            assert_close(&m[2..4], &[0.4, 0.6], tol(dtype)); // (1 − β₁)·([1, 2] + [3, 4])
            // step 2 of row 3: t = 2, m = 0.1, v = 0.001: θ −= 0.1·√(1−β₂²)/(1−β₁²)·0.1/(√0.001 + ε)
            let (b1, b2): (f64, f64) = (0.9, 0.999);
            let step =
                0.1 * (1.0 - b2 * b2).sqrt() / (1.0 - b1 * b1) * 0.1 / (0.001f64.sqrt() + 1e-8);
            assert_close(&after[6..], &[6.0 - step, 7.0 - step], tol(dtype) * 10.0);
        }
    }

    #[test]
    fn first_step_on_all_rows_equals_dense_adam() {
        // at t = 1 nothing has decayed yet, so lazy and dense Adam agree (up to where ε
        // sits: SparseAdam adds it to √v, Adam to √v̂, so compare with ε = 0)
        let dense = Var::param(Tensor::ones(&[4, 2]).to_dtype(DType::F64));
        let sparse = Var::param(Tensor::ones(&[4, 2]).to_dtype(DType::F64));
        let g = [1.0, -2.0, 3.0, 0.5, 0.25, 4.0, -1.0, 2.0];
        set_grad(&dense, &g);
        sparse.set_grad(rows_grad(vec![0, 1, 2, 3], &g, DType::F64));
        Adam::new(vec![dense.clone()], 0.1).eps(0.0).step();
        SparseAdam::new(vec![sparse.clone()], 0.1).eps(0.0).step();
        assert_close(&values(&sparse), &values(&dense), 1e-12);
    }

    #[test]
    #[should_panic(
        expected = "SparseAdam: does not support dense gradients (parameter of shape [4, 2])"
    )]
    fn dense_gradient_panics() {
        let table = Var::param(Tensor::ones(&[4, 2]));
        set_grad(&table, &[0.0; 8]);
        SparseAdam::new(vec![table], 0.1).step();
    }

    #[test]
    #[should_panic(expected = "SparseAdam: weight decay is not supported")]
    fn weight_decay_group_panics() {
        let table = Var::param(Tensor::ones(&[4, 2]));
        SparseAdam::with_groups(vec![ParamGroup::new(vec![table]).weight_decay(0.1)], 0.1);
    }
}
