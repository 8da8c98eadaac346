//! `Sequential`: single-input layers applied one after another, as
//! `torch.nn.Sequential`. Children are named `0.`, `1.`, ... as in PyTorch.

use autograd::Var;

use crate::module::{Forward, Module, child_prefix};

/// A chain of layers: `y = fₙ(…f₂(f₁(x)))`.
///
/// # Examples
/// ```
/// use nn::{Forward, Linear, Module, ReLU, Sequential};
/// let model = Sequential::new().add(Linear::new(4, 8)).add(ReLU).add(Linear::new(8, 2));
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// ```
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Forward + Send + Sync>>,
}

impl Sequential {
    /// An empty chain.
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// This chain with `layer` appended.
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Forward + Send + Sync + 'static) -> Sequential {
        self.layers.push(Box::new(layer));
        self
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether the chain has no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl Module for Sequential {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        for (i, layer) in self.layers.iter().enumerate() {
            layer.visit_params(&child_prefix(prefix, &i.to_string()), f);
        }
    }
    fn visit_buffers(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        for (i, layer) in self.layers.iter().enumerate() {
            layer.visit_buffers(&child_prefix(prefix, &i.to_string()), f);
        }
    }
    fn set_training(&mut self, training: bool) {
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }
}

impl Forward for Sequential {
    fn forward(&self, x: &Var) -> Var {
        self.layers
            .iter()
            .fold(x.clone(), |h, layer| layer.forward(&h))
    }
}
