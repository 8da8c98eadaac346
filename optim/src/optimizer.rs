//! The [`Optimizer`] trait and parameter groups, shared by every optimizer.
//!
//! ```text
//! training step:   opt.zero_grad();  loss.backward();  opt.set_lr(sched.lr(step));  opt.step();
//!
//! ParamGroups ─┬─ group 0: [w₁, w₂, ...]  lr 1e-3   weight_decay default (e.g. 1e-2)
//!              └─ group 1: [b₁, γ₁, ...]  lr 1e-3   weight_decay 0  (biases, norm weights)
//! state:       Var::id() → per-parameter tensors (momentum, m, v, ...) and step count
//! ```
//! An update happens on tensors, outside the graph: read `θ = p.value()` and the
//! gradient, compute `θ'`, write `p.set_value(θ')`. Nothing is recorded, so no
//! `no_grad` is needed. Updates run in the parameter's dtype (f32 or f64).
//!
//! Learning rates and groups: every group starts at its own lr (the constructor's lr
//! unless the group sets one). [`Optimizer::set_lr`] sets the *base* lr and scales each
//! group by the same factor, `group.lr = group.initial_lr · lr / initial_lr`, which is
//! what PyTorch's `LambdaLR` does with one function for all groups; a group that
//! started at twice the base lr stays at twice it.
//!
//! Read next: [`crate::sgd`], then [`crate::adam`].

use std::collections::HashSet;
use std::path::Path;

use autograd::Var;
use tensor::Error;
use tensor::io::{StateDict, in_checkpoint, load_file, save_state_dict};

use crate::check::{check, check_lr, check_weight_decay};
use crate::state::OptimizerCore;

/// The interface of every optimizer.
///
/// The four methods of a training loop are [`step`](Optimizer::step),
/// [`zero_grad`](Optimizer::zero_grad), [`lr`](Optimizer::lr) and
/// [`set_lr`](Optimizer::set_lr); the state-dict methods save and resume training.
/// An optimizer writes `step` (its algorithm) and `core`/`core_mut` (where its
/// parameter groups and state are); every other method is written here, once.
pub trait Optimizer {
    /// Update every parameter that has a gradient (parameters without one are skipped).
    ///
    /// # Panics
    /// If a gradient does not have its parameter's shape and dtype (e.g. after a
    /// wrong `set_grad`), or on an optimizer-specific misuse (see each optimizer).
    fn step(&mut self);

    /// The parameter groups and the per-parameter state.
    fn core(&self) -> &dyn OptimizerCore;

    /// The parameter groups and the per-parameter state, mutably.
    fn core_mut(&mut self) -> &mut dyn OptimizerCore;

    /// The parameter groups (parameters, learning rates, weight decays).
    fn param_groups(&self) -> &ParamGroups {
        self.core().param_groups()
    }

    /// The parameter groups, mutably (what `set_lr` changes).
    fn param_groups_mut(&mut self) -> &mut ParamGroups {
        self.core_mut().param_groups_mut()
    }

    /// The optimizer's state, keyed by parameter *position* (not `Var::id`, which
    /// changes between runs): `state.{i}.{slot}` for the i-th parameter over all groups
    /// in order (slots named as in PyTorch: `step`, `exp_avg`, `momentum_buffer`, …),
    /// plus `lr` and `param_groups.{g}.lr`.
    fn state_dict(&self) -> StateDict {
        self.core().state_dict()
    }

    /// Restore a state saved by [`Optimizer::state_dict`] for the same parameters in
    /// the same order. Nothing is changed on error.
    ///
    /// # Errors
    /// An [`tensor::ErrorKind::Io`] error listing every missing slot, unexpected name
    /// and shape mismatch.
    fn load_state_dict(&mut self, state: &StateDict) -> Result<(), Error> {
        self.core_mut().load_state_dict(state)
    }

    /// Forget the gradient of every parameter (PyTorch's `set_to_none=True`).
    fn zero_grad(&self) {
        for group in &self.param_groups().groups {
            for p in &group.params {
                p.zero_grad();
            }
        }
    }

    /// The base learning rate (the constructor's lr, or the last `set_lr`).
    fn lr(&self) -> f64 {
        self.param_groups().lr
    }

    /// Set the base learning rate; every group is scaled by the same factor (see the
    /// module doc). A negative or NaN lr panics.
    fn set_lr(&mut self, lr: f64) {
        self.param_groups_mut().set_lr(lr);
    }

    /// Save [`Optimizer::state_dict`] to a safetensors file.
    ///
    /// # Errors
    /// An [`tensor::ErrorKind::Io`] error naming the file, if it cannot be written.
    fn save(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        save_state_dict(&self.state_dict(), path)
    }

    /// Load a state saved by [`Optimizer::save`].
    ///
    /// # Errors
    /// An [`tensor::ErrorKind::Io`] error naming the file, if it cannot be read or does
    /// not fit these parameters (every problem is listed in the message).
    fn load(&mut self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        let path = path.as_ref();
        let state = load_file(path)?;
        self.load_state_dict(&state)
            .map_err(|e| in_checkpoint(e, "load", path))
    }
}

/// Parameters that share hyperparameters, as given to a `with_groups` constructor.
///
/// `lr: None` and `weight_decay: None` use the optimizer's values.
///
/// # Examples
/// ```
/// use ferrograd::autograd::Var;
/// use ferrograd::optim::{AdamW, Optimizer, ParamGroup};
/// use ferrograd::tensor::Tensor;
/// let w = Var::param(Tensor::ones(&[2, 2]));
/// let b = Var::param(Tensor::zeros(&[2]));
/// // no weight decay on the bias, as usual for biases and norm weights
/// let opt = AdamW::with_groups(
///     vec![ParamGroup::new(vec![w]), ParamGroup::new(vec![b]).weight_decay(0.0)],
///     1e-3,
/// );
/// assert_eq!(opt.lr(), 1e-3);
/// ```
#[derive(Clone, Debug)]
pub struct ParamGroup {
    /// The parameters of the group.
    pub params: Vec<Var>,
    /// The group's learning rate, or `None` for the optimizer's.
    pub lr: Option<f64>,
    /// The group's weight decay, or `None` for the optimizer's.
    pub weight_decay: Option<f64>,
}

impl ParamGroup {
    /// A group with the optimizer's lr and weight decay.
    pub fn new(params: Vec<Var>) -> ParamGroup {
        ParamGroup {
            params,
            lr: None,
            weight_decay: None,
        }
    }

    /// This group with its own learning rate.
    pub fn lr(mut self, lr: f64) -> ParamGroup {
        self.lr = Some(lr);
        self
    }

    /// This group with its own weight decay (`0.0` for biases and norm weights).
    pub fn weight_decay(mut self, weight_decay: f64) -> ParamGroup {
        self.weight_decay = Some(weight_decay);
        self
    }
}

/// A parameter group inside an optimizer: its lr is resolved to a number.
#[derive(Clone, Debug)]
pub struct Group {
    /// The parameters of the group.
    pub params: Vec<Var>,
    /// The group's current learning rate.
    pub lr: f64,
    /// The group's learning rate at construction (what `set_lr` scales).
    pub initial_lr: f64,
    /// The group's weight decay, or `None` for the optimizer's.
    pub weight_decay: Option<f64>,
}

/// All parameter groups of an optimizer and its base learning rate.
#[derive(Clone, Debug)]
pub struct ParamGroups {
    /// The groups, in the order given.
    pub groups: Vec<Group>,
    /// The base learning rate (what [`Optimizer::lr`] returns).
    pub lr: f64,
    /// The base learning rate at construction.
    pub initial_lr: f64,
}

impl ParamGroups {
    /// Check and resolve the groups of `optimizer` (its name, for messages).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter that is not a leaf, a parameter in two
    /// places, or a negative or NaN lr or weight decay.
    #[track_caller]
    pub fn new(optimizer: &'static str, groups: Vec<ParamGroup>, lr: f64) -> ParamGroups {
        check_lr(optimizer, lr);
        let total: usize = groups.iter().map(|g| g.params.len()).sum();
        check(
            optimizer,
            total > 0,
            "got an empty parameter list".to_string(),
            "pass model.parameters()",
        );
        let mut seen = HashSet::new();
        let groups = groups
            .into_iter()
            .map(|g| {
                for p in &g.params {
                    check(
                        optimizer,
                        p.is_leaf(),
                        format!(
                            "can't optimize a non-leaf Var (the output of `{}`)",
                            p.op_name()
                        ),
                        "optimize the leaves made by Var::param",
                    );
                    check(
                        optimizer,
                        seen.insert(p.id()),
                        format!(
                            "a parameter of shape {:?} appears more than once",
                            p.shape()
                        ),
                        "list each parameter in one group only",
                    );
                }
                let group_lr = g.lr.unwrap_or(lr);
                check_lr(optimizer, group_lr);
                if let Some(wd) = g.weight_decay {
                    check_weight_decay(optimizer, wd);
                }
                Group {
                    params: g.params,
                    lr: group_lr,
                    initial_lr: group_lr,
                    weight_decay: g.weight_decay,
                }
            })
            .collect();
        ParamGroups {
            groups,
            lr,
            initial_lr: lr,
        }
    }

    /// Set the base lr and scale every group by `lr / initial_lr` (if the initial base
    /// lr was 0 there is nothing to scale, so every group is set to `lr`).
    ///
    /// # Panics
    /// If `lr` is negative or NaN.
    #[track_caller]
    pub fn set_lr(&mut self, lr: f64) {
        check_lr("set_lr", lr);
        self.lr = lr;
        for group in &mut self.groups {
            group.lr = if self.initial_lr > 0.0 {
                group.initial_lr * (lr / self.initial_lr)
            } else {
                lr
            };
        }
    }

    /// Every parameter, over all groups in order (the positions of the state dict).
    pub fn params(&self) -> Vec<Var> {
        self.groups
            .iter()
            .flat_map(|g| g.params.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::Tensor;

    fn param(n: usize) -> Var {
        Var::param(Tensor::zeros(&[n]))
    }

    #[test]
    fn groups_resolve_lr_and_set_lr_scales_every_group() {
        let (a, b) = (param(2), param(3));
        let mut groups = ParamGroups::new(
            "SGD",
            vec![
                ParamGroup::new(vec![a.clone()]),
                ParamGroup::new(vec![b.clone()]).lr(0.2),
            ],
            0.1,
        );
        assert_eq!(groups.groups[0].lr, 0.1);
        assert_eq!(groups.groups[1].lr, 0.2);
        // base 0.1 → 0.05 halves every group: 0.1 → 0.05 and 0.2 → 0.1
        groups.set_lr(0.05);
        assert_eq!(groups.lr, 0.05);
        assert_eq!(groups.groups[0].lr, 0.05);
        assert_eq!(groups.groups[1].lr, 0.1);
        assert_eq!(
            groups.params().iter().map(Var::id).collect::<Vec<_>>(),
            vec![a.id(), b.id()]
        );
    }

    #[test]
    fn set_lr_from_a_zero_initial_lr_sets_every_group() {
        let mut groups =
            ParamGroups::new("SGD", vec![ParamGroup::new(vec![param(1)]).lr(0.3)], 0.0);
        groups.set_lr(0.01);
        assert_eq!(groups.groups[0].lr, 0.01);
    }

    #[test]
    #[should_panic(expected = "SGD: invalid learning rate: -1")]
    fn negative_lr_panics() {
        ParamGroups::new("SGD", vec![ParamGroup::new(vec![param(1)])], -1.0);
    }

    #[test]
    #[should_panic(expected = "Adam: got an empty parameter list")]
    fn empty_parameter_list_panics() {
        ParamGroups::new("Adam", vec![ParamGroup::new(vec![])], 0.1);
    }

    #[test]
    #[should_panic(expected = "SGD: a parameter of shape [2] appears more than once")]
    fn duplicate_parameter_panics() {
        let p = param(2);
        ParamGroups::new("SGD", vec![ParamGroup::new(vec![p.clone(), p])], 0.1);
    }

    #[test]
    #[should_panic(expected = "SGD: can't optimize a non-leaf Var (the output of `mul`)")]
    fn non_leaf_panics() {
        let p = param(2);
        ParamGroups::new("SGD", vec![ParamGroup::new(vec![&p * &p])], 0.1);
    }

    #[test]
    #[should_panic(expected = "SGD: invalid weight_decay value: -0.5")]
    fn negative_group_weight_decay_panics() {
        ParamGroups::new(
            "SGD",
            vec![ParamGroup::new(vec![param(1)]).weight_decay(-0.5)],
            0.1,
        );
    }

    #[test]
    #[should_panic(expected = "set_lr: invalid learning rate: NaN")]
    fn nan_set_lr_panics() {
        ParamGroups::new("SGD", vec![ParamGroup::new(vec![param(1)])], 0.1).set_lr(f64::NAN);
    }
}
