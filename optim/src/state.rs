//! Per-parameter optimizer state and its state dict.
//!
//! ```text
//! in memory:   HashMap<Var::id(), S>       S = AdamState { step, m, v, v_max }, ...
//! state dict:  "state.0.step"     []       parameter position 0 over all groups
//!              "state.0.exp_avg"  [3, 4]   slot names as PyTorch's state_dict
//!              "state.0.exp_avg_sq" ...
//!              "lr", "param_groups.0.lr"   the base lr and each group's lr
//! ```
//! Ids identify a `Var` within one run; a resumed run has new `Var`s with new ids,
//! so the saved state is keyed by the parameter's *position* instead, as PyTorch does.
//! State appears lazily (at a parameter's first update), so a parameter with no saved
//! state is fine; a state with a missing slot, an unknown name or a wrong shape is not.
//! Read next: [`crate::sgd`].

use std::collections::{HashMap, HashSet};

use autograd::Var;
use nn::checkpoint::{LoadError, StateDict};
use tensor::{DType, Tensor};

use crate::optimizer::ParamGroups;

/// The state one optimizer keeps for one parameter, as named tensors.
pub(crate) trait SlotState: Sized {
    /// The state as `(PyTorch slot name, tensor)` pairs.
    fn slots(&self) -> Vec<(&'static str, Tensor)>;

    /// Rebuild the state from a saved parameter's slots.
    fn from_slots(slots: &mut Slots) -> Self;
}

/// A step counter as a 0-d f64 tensor (exact up to 2⁵³ steps).
pub(crate) fn step_tensor(step: usize) -> Tensor {
    Tensor::from_vec_f64(vec![step as f64], &[])
}

/// The saved slots of one parameter, read one name at a time; problems are collected.
pub(crate) struct Slots<'a> {
    prefix: String,
    param: &'a Var,
    dict: &'a StateDict,
    used: &'a mut HashSet<String>,
    problems: &'a mut LoadError,
}

impl Slots<'_> {
    /// The slot `name`, shaped like the parameter and converted to its dtype. A missing
    /// or misshapen slot is recorded and a zero tensor returned (nothing is applied
    /// when any problem was recorded).
    pub(crate) fn tensor(&mut self, name: &str) -> Tensor {
        let key = format!("{}.{name}", self.prefix);
        if !self.dict.contains_key(&key) {
            self.problems.missing.push(key);
        }
        self.optional(name)
            .unwrap_or_else(|| Tensor::full_dtype(&self.param.shape(), 0.0, self.param.dtype()))
    }

    /// The slot `name` if saved (e.g. AMSGrad's `max_exp_avg_sq`).
    pub(crate) fn optional(&mut self, name: &str) -> Option<Tensor> {
        let key = format!("{}.{name}", self.prefix);
        let saved = self.dict.get(&key)?;
        self.used.insert(key.clone());
        if saved.shape() != self.param.shape().as_slice() {
            let shapes = (self.param.shape(), saved.shape().to_vec());
            self.problems
                .shape_mismatches
                .push((key, shapes.0, shapes.1));
            return None;
        }
        Some(saved.to_dtype(self.param.dtype()))
    }

    /// The `step` slot as a count.
    pub(crate) fn step(&mut self) -> usize {
        let key = format!("{}.step", self.prefix);
        match self.dict.get(&key) {
            Some(t) if t.numel() == 1 => {
                self.used.insert(key);
                t.to_dtype(DType::F64).item() as usize
            }
            Some(t) => {
                self.used.insert(key.clone());
                self.problems
                    .shape_mismatches
                    .push((key, vec![], t.shape().to_vec()));
                0
            }
            None => {
                self.problems.missing.push(key);
                0
            }
        }
    }
}

/// The state dict of an optimizer (see the module doc for the names).
pub(crate) fn state_dict<S: SlotState>(
    groups: &ParamGroups,
    state: &HashMap<usize, S>,
) -> StateDict {
    let mut out = StateDict::new();
    out.insert("lr".to_string(), Tensor::from_vec_f64(vec![groups.lr], &[]));
    for (g, group) in groups.groups.iter().enumerate() {
        out.insert(
            format!("param_groups.{g}.lr"),
            Tensor::from_vec_f64(vec![group.lr], &[]),
        );
    }
    for (position, p) in groups.params().iter().enumerate() {
        if let Some(s) = state.get(&p.id()) {
            for (slot, tensor) in s.slots() {
                out.insert(format!("state.{position}.{slot}"), tensor);
            }
        }
    }
    out
}

/// Load a state dict made by [`state_dict`] into `groups` and `state`; all or nothing.
pub(crate) fn load_state_dict<S: SlotState>(
    groups: &mut ParamGroups,
    state: &mut HashMap<usize, S>,
    dict: &StateDict,
) -> Result<(), LoadError> {
    let mut problems = LoadError::default();
    let mut used = HashSet::new();
    let mut scalar = |key: String, problems: &mut LoadError| match dict.get(&key) {
        Some(t) if t.numel() == 1 => {
            used.insert(key);
            Some(t.to_dtype(DType::F64).item())
        }
        _ => {
            problems.missing.push(key);
            None
        }
    };
    let lr = scalar("lr".to_string(), &mut problems);
    let group_lrs: Vec<Option<f64>> = (0..groups.groups.len())
        .map(|g| scalar(format!("param_groups.{g}.lr"), &mut problems))
        .collect();
    let mut loaded = Vec::new();
    for (position, p) in groups.params().iter().enumerate() {
        let prefix = format!("state.{position}");
        if !dict.keys().any(|k| k.starts_with(&format!("{prefix}."))) {
            continue; // never updated when saved: its state starts fresh, as in PyTorch
        }
        let mut slots = Slots {
            prefix,
            param: p,
            dict,
            used: &mut used,
            problems: &mut problems,
        };
        loaded.push((p.id(), S::from_slots(&mut slots)));
    }
    problems.unexpected = dict
        .keys()
        .filter(|k| !used.contains(*k))
        .cloned()
        .collect();
    if problems != LoadError::default() {
        return Err(problems);
    }
    groups.lr = lr.expect("internal error: lr was checked; this is a bug");
    for (group, lr) in groups.groups.iter_mut().zip(group_lrs) {
        group.lr = lr.expect("internal error: group lr was checked; this is a bug");
    }
    state.clear();
    state.extend(loaded);
    Ok(())
}
