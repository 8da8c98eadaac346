//! The [`Module`] trait: every layer lists its parameters by name, by hand.
//!
//! ```text
//! Linear            visit_params("",   f) → f("weight", W), f("bias", b)
//! Sequential        visit_params("",   f) → layer 0 with prefix "0." → f("0.weight", ..)
//! TransformerLayer  visit_params("",   f) → self_attn with prefix "self_attn." → ...
//! ```
//! Names are PyTorch's `state_dict()` names, so checkpoints move both ways and outputs
//! can be compared with PyTorch on identical weights. There is no derive macro: the
//! traversal is ordinary code a learner can read in each layer's file, and
//! `tests/params_get_grads.rs` catches a parameter someone forgot to visit.
//!
//! Buffers (BatchNorm's running statistics) are constant `Var`s (no gradient) listed
//! by [`Module::visit_buffers`]; they are saved in checkpoints but not trained.
//! Read next: [`crate::init`], then [`crate::layers::linear`].

use autograd::Var;
use std::collections::HashSet;
use tensor::DType;

/// A layer or model: something with named parameters and a train/eval mode.
///
/// Each layer has its own inherent `forward` with the signature that fits it (LSTM
/// takes and returns state, attention takes q, k, v and masks); single-input layers
/// also implement [`Forward`] so they can go in a [`crate::Sequential`].
///
/// # Writing your own module
/// A struct of layers, PyTorch's `nn.Module` subclass: name each child in
/// `visit_params` (its parameters get the child's name as a prefix, as in PyTorch's
/// `state_dict`), pass `set_training` on to the children that care, and write the
/// forward pass. Everything else — `parameters`, `named_parameters`, `train`/`eval`,
/// `zero_grad`, `save`/`load`, `to_dtype` — comes with the trait.
/// ```
/// use ferrograd::autograd::Var;
/// use ferrograd::nn::module::child_prefix;
/// use ferrograd::nn::{Dropout, Forward, Linear, Module};
/// use ferrograd::tensor::Tensor;
///
/// /// Two linear layers with ReLU and dropout between them.
/// struct Mlp {
///     hidden: Linear,
///     dropout: Dropout,
///     out: Linear,
/// }
///
/// impl Module for Mlp {
///     fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
///         self.hidden.visit_params(&child_prefix(prefix, "hidden"), f);
///         self.out.visit_params(&child_prefix(prefix, "out"), f);
///     }
///     fn set_training(&mut self, training: bool) {
///         self.dropout.set_training(training);
///     }
/// }
///
/// impl Forward for Mlp {
///     fn forward(&self, x: &Var) -> Var {
///         self.out.forward(&self.dropout.forward(&self.hidden.forward(x).relu()))
///     }
/// }
///
/// let mut model = Mlp { hidden: Linear::new(4, 8), dropout: Dropout::new(0.1), out: Linear::new(8, 2) };
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]);
/// assert_eq!(model.num_parameters(), 4 * 8 + 8 + 8 * 2 + 2);
///
/// model.eval(); // dropout off
/// let x = Var::from(Tensor::randn(&[3, 4]));
/// let y = model.forward(&x);
/// assert_eq!(y.shape(), [3, 2]);
///
/// let path = std::env::temp_dir().join(format!("ferrograd-doc-{}-mlp.safetensors", std::process::id()));
/// model.save(&path).unwrap();   // PyTorch loads it into the same structure
/// model.load(&path).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub trait Module {
    /// Call `f(name, parameter)` for every parameter, names prefixed with `prefix`
    /// (e.g. `"encoder.layers.0."`).
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var));

    /// Call `f(name, buffer)` for every buffer (non-trained state saved in
    /// checkpoints, such as BatchNorm's running mean). Most layers have none.
    fn visit_buffers(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}

    /// Switch training behaviour (dropout, batch-norm statistics) on or off, in this
    /// module and its children. Layers without such behaviour ignore it.
    fn set_training(&mut self, _training: bool) {}

    /// Every parameter once, in visiting order (a tied parameter, visited under two
    /// names, is listed once, as PyTorch's `parameters()` does; otherwise an optimizer
    /// would update it twice per step).
    fn parameters(&self) -> Vec<Var> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// Every parameter once with its dotted PyTorch-style name; a tied parameter keeps
    /// the first name it is visited under.
    fn named_parameters(&self) -> Vec<(String, Var)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        self.visit_params("", &mut |name, p| {
            if seen.insert(p.id()) {
                out.push((name.to_string(), p.clone()));
            }
        });
        out
    }

    /// Every buffer with its dotted name.
    fn named_buffers(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        self.visit_buffers("", &mut |name, b| out.push((name.to_string(), b.clone())));
        out
    }

    /// Total number of scalar parameters (PyTorch's `sum(p.numel() for p in m.parameters())`).
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Var::numel).sum()
    }

    /// Forget every parameter's gradient.
    fn zero_grad(&self) {
        self.visit_params("", &mut |_, p| p.zero_grad());
    }

    /// Training mode: dropout drops, batch norm uses and updates batch statistics.
    fn train(&mut self) {
        self.set_training(true);
    }

    /// Evaluation mode: dropout is the identity, batch norm uses running statistics.
    fn eval(&mut self) {
        self.set_training(false);
    }

    /// Parameters and buffers under their dotted names (PyTorch's `state_dict()`).
    fn state_dict(&self) -> crate::StateDict {
        crate::checkpoint::state_dict(self)
    }

    /// Copy a state dict into this module; see [`crate::checkpoint::load_state_dict`].
    ///
    /// # Errors
    /// Every missing name, unexpected name and shape mismatch, at once (an
    /// [`tensor::ErrorKind::Io`] error).
    fn load_state_dict(&self, state: &crate::StateDict, strict: bool) -> Result<(), tensor::Error> {
        crate::checkpoint::load_state_dict(self, state, strict)
    }

    /// Save parameters and buffers to a safetensors file, atomically.
    ///
    /// # Errors
    /// An [`tensor::ErrorKind::Io`] error naming the file, if it cannot be written.
    fn save(&self, path: impl AsRef<std::path::Path>) -> Result<(), tensor::Error>
    where
        Self: Sized,
    {
        crate::checkpoint::save(self, path)
    }

    /// Load parameters and buffers from a safetensors file (strict).
    ///
    /// # Errors
    /// An [`tensor::ErrorKind::Io`] error naming the file, if it cannot be read or does
    /// not fit this module.
    fn load(&self, path: impl AsRef<std::path::Path>) -> Result<(), tensor::Error>
    where
        Self: Sized,
    {
        crate::checkpoint::load(self, path)
    }

    /// Convert every parameter and every float buffer to `dtype` in place (`F64` for
    /// gradchecks). Integer buffers, such as BatchNorm's `num_batches_tracked`, keep
    /// their dtype, as with PyTorch's `.double()`.
    fn to_dtype(&self, dtype: DType) {
        self.visit_params("", &mut |_, p| p.cast_leaf(dtype));
        self.visit_buffers("", &mut |_, b| {
            if b.dtype().is_float() {
                b.cast_leaf(dtype);
            }
        });
    }
}

/// A module with one input and one output, so it can be chained in a `Sequential`.
pub trait Forward: Module {
    /// The layer applied to `x`.
    fn forward(&self, x: &Var) -> Var;
}

/// `prefix + name`, the dotted name of a child's parameter.
pub fn child_prefix(prefix: &str, child: &str) -> String {
    format!("{prefix}{child}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Linear;

    /// An encoder and decoder sharing one weight (weight tying), like a language
    /// model whose output projection reuses the embedding matrix.
    struct Tied {
        encoder: Linear,
        decoder: Linear,
    }

    impl Module for Tied {
        fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
            self.encoder
                .visit_params(&child_prefix(prefix, "encoder"), f);
            self.decoder
                .visit_params(&child_prefix(prefix, "decoder"), f);
        }
    }

    #[test]
    fn a_tied_parameter_is_listed_and_counted_once() {
        let encoder = Linear::new(4, 4);
        let mut decoder = Linear::new(4, 4);
        decoder.weight = encoder.weight.clone();
        let model = Tied { encoder, decoder };
        let names: Vec<String> = model
            .named_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["encoder.weight", "encoder.bias", "decoder.bias"]);
        assert_eq!(model.parameters().len(), 3);
        // PyTorch: 16 (shared weight) + 4 + 4
        assert_eq!(model.num_parameters(), 24);
    }
}
