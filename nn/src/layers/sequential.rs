//! `Sequential`: single-input layers applied one after another, as
//! `torch.nn.Sequential`. Children are named `0.`, `1.`, ... as in PyTorch.

use autograd::Var;
use tensor::error::{Error, ErrorKind};

use crate::module::{Forward, Module, child_prefix};

/// A chain of layers: `y = fₙ(…f₂(f₁(x)))`.
///
/// # Examples
/// ```
/// use ferrograd::nn::{Forward, Linear, Module, ReLU, Sequential};
/// let model = Sequential::new().add(Linear::new(4, 8)).add(ReLU).add(Linear::new(8, 2));
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// assert_eq!(model[2].num_parameters(), 2 * 8 + 2);
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

/// `model[i]`, the `i`-th layer (PyTorch's `model[i]`), e.g. to look at the
/// activations after the first few layers.
///
/// # Panics
/// If `i` is not below [`Sequential::len`].
impl std::ops::Index<usize> for Sequential {
    type Output = dyn Forward + Send + Sync;

    fn index(&self, i: usize) -> &Self::Output {
        match self.layers.get(i) {
            Some(layer) => layer.as_ref(),
            None => Error::new(
                "Sequential",
                ErrorKind::Index,
                format!("layer index {i} is out of range for {} layers", self.len()),
            )
            .with_hint("layers are numbered from 0, as in the parameter names")
            .raise(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Linear, ReLU};
    use tensor::Tensor;

    #[test]
    fn indexing_gives_the_layer_and_its_output() {
        let model = Sequential::new().add(Linear::new(3, 4)).add(ReLU);
        let x = Var::new(Tensor::ones(&[2, 3]));
        let h = model[0].forward(&x);
        assert_eq!(h.shape(), [2, 4]);
        let y = model[1].forward(&h);
        assert_eq!(
            y.value().to_vec::<f32>(),
            model.forward(&x).value().to_vec::<f32>()
        );
    }

    #[test]
    #[should_panic(expected = "layer index 2 is out of range for 2 layers")]
    fn an_index_past_the_end_is_named() {
        let model = Sequential::new().add(Linear::new(3, 4)).add(ReLU);
        let _ = &model[2];
    }
}
