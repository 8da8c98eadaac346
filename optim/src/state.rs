//! The part every optimizer shares, [`Core`]: its parameter groups, its per-parameter
//! state, and that state's state dict.
//!
//! ```text
//! in memory:   Core { groups: ParamGroups,
//!                     state: HashMap<Var::id(), S> }   S = AdamState { step, m, v, v_max }, ...
//! state dict:  "state.0.step"     []       parameter position 0 over all groups
//!              "state.0.exp_avg"  [3, 4]   slot names as PyTorch's state_dict
//!              "state.0.exp_avg_sq" ...
//!              "lr", "param_groups.0.lr"   the base lr and each group's lr
//! ```
//! Ids identify a `Var` within one run; a resumed run has new `Var`s with new ids,
//! so the saved state is keyed by the parameter's *position* instead, as PyTorch does.
//! State appears lazily (at a parameter's first update), so a parameter with no saved
//! state is fine; a state with a missing slot, an unknown name or a wrong shape is not.
//! An optimizer holds a `Core` and hands it out through [`crate::Optimizer::core`], so
//! the methods that only need groups and state are written once, in the trait.
//! Read next: [`crate::sgd`].

use std::collections::HashMap;

use autograd::Var;
use tensor::Error;
use tensor::Tensor;
use tensor::io::{StateDict, StateDictReader};

use crate::optimizer::ParamGroups;

/// An optimizer's parameter groups and its per-parameter state `S` (keyed by
/// `Var::id`): the part every optimizer has, and all that the provided methods of
/// [`crate::Optimizer`] (lr, state dicts, save and load) read and write.
pub(crate) struct Core<S> {
    /// The parameter groups, with their learning rates.
    pub(crate) groups: ParamGroups,
    /// Each updated parameter's state (momentum buffer, moments, step count, ...).
    pub(crate) state: HashMap<usize, S>,
}

impl<S> Core<S> {
    /// Checked groups (see [`ParamGroups::new`]) and no state yet.
    #[track_caller]
    pub(crate) fn new(optimizer: &'static str, groups: Vec<crate::ParamGroup>, lr: f64) -> Core<S> {
        Core {
            groups: ParamGroups::new(optimizer, groups, lr),
            state: HashMap::new(),
        }
    }
}

/// The parameter groups and the state of an optimizer, whatever its per-parameter
/// state type: what [`crate::Optimizer::core`] returns.
pub trait OptimizerCore {
    /// The parameter groups.
    fn param_groups(&self) -> &ParamGroups;
    /// The parameter groups, mutably.
    fn param_groups_mut(&mut self) -> &mut ParamGroups;
    /// The state under position-based names (see the module doc).
    fn state_dict(&self) -> StateDict;
    /// Restore a state made by [`OptimizerCore::state_dict`]; all or nothing.
    ///
    /// # Errors
    /// An [`tensor::ErrorKind::Io`] error listing every missing slot, unexpected name
    /// and shape mismatch.
    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), Error>;
}

impl<S: SlotState> OptimizerCore for Core<S> {
    fn param_groups(&self) -> &ParamGroups {
        &self.groups
    }

    fn param_groups_mut(&mut self) -> &mut ParamGroups {
        &mut self.groups
    }

    fn state_dict(&self) -> StateDict {
        state_dict(&self.groups, &self.state)
    }

    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), Error> {
        load_state_dict(&mut self.groups, &mut self.state, dict)
    }
}

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

/// The saved slots of one parameter, read one name at a time; problems are collected
/// by the reader (nothing is applied when any was found).
pub(crate) struct Slots<'r, 'a> {
    prefix: String,
    param: &'r Var,
    reader: &'r mut StateDictReader<'a>,
}

impl Slots<'_, '_> {
    /// The slot `name`, shaped like the parameter and converted to its dtype. A missing
    /// or misshapen slot gives a zero tensor (and an error at the end).
    pub(crate) fn tensor(&mut self, name: &str) -> Tensor {
        let key = format!("{}.{name}", self.prefix);
        let (shape, dtype) = (self.param.shape(), self.param.dtype());
        match self.reader.tensor(&key, &shape) {
            Some(saved) => saved.to_dtype(dtype),
            None => Tensor::full_dtype(&shape, 0.0, dtype),
        }
    }

    /// The slot `name` if saved (e.g. AMSGrad's `max_exp_avg_sq`).
    pub(crate) fn optional(&mut self, name: &str) -> Option<Tensor> {
        let key = format!("{}.{name}", self.prefix);
        let saved = self.reader.optional(&key, &self.param.shape())?;
        Some(saved.to_dtype(self.param.dtype()))
    }

    /// The `step` slot as a count.
    pub(crate) fn step(&mut self) -> usize {
        let key = format!("{}.step", self.prefix);
        self.reader.scalar(&key).map_or(0, |step| step as usize)
    }
}

/// The state dict of an optimizer (see the module doc for the names).
fn state_dict<S: SlotState>(groups: &ParamGroups, state: &HashMap<usize, S>) -> StateDict {
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
fn load_state_dict<S: SlotState>(
    groups: &mut ParamGroups,
    state: &mut HashMap<usize, S>,
    dict: &StateDict,
) -> Result<(), Error> {
    let mut reader = StateDictReader::new(dict, "optimizer");
    let lr = reader.scalar("lr");
    let group_lrs: Vec<Option<f64>> = (0..groups.groups.len())
        .map(|g| reader.scalar(&format!("param_groups.{g}.lr")))
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
            reader: &mut reader,
        };
        loaded.push((p.id(), S::from_slots(&mut slots)));
    }
    reader.finish("load_state_dict", true)?;
    groups.lr = lr.expect("internal error: lr was checked; this is a bug");
    for (group, lr) in groups.groups.iter_mut().zip(group_lrs) {
        group.lr = lr.expect("internal error: group lr was checked; this is a bug");
    }
    state.clear();
    state.extend(loaded);
    Ok(())
}
