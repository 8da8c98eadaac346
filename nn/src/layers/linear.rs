//! `Linear`: an affine map of the last dim, as `torch.nn.Linear`.
//!
//! ```text
//! y = x · Wᵀ + b        W: [out_features, in_features]  (PyTorch's layout)
//!                        b: [out_features]
//! ```
//! Default init (PyTorch's): W and b ~ U(−1/√in_features, 1/√in_features), which is
//! `kaiming_uniform(a = √5)` for W.
//! Read next: [`crate::layers::embedding`].

use autograd::Var;
use tensor::error::{Error, ErrorKind};

use crate::init;
use crate::module::{Forward, Module};

/// A fully connected layer `y = x·Wᵀ + b`.
///
/// # Shapes
/// - input: `[.., in_features]`
/// - output: `[.., out_features]`
///
/// # Examples
/// ```
/// use ferrograd::nn::{Linear, Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let layer = Linear::new(4, 2);
/// let y = layer.forward(&Var::new(Tensor::ones(&[3, 4])));
/// assert_eq!(y.shape(), vec![3, 2]);
/// assert_eq!(layer.num_parameters(), 4 * 2 + 2);
/// ```
pub struct Linear {
    /// `[out_features, in_features]`.
    pub weight: Var,
    /// `[out_features]`, if the layer has a bias.
    pub bias: Option<Var>,
    /// Size of each input's last dim.
    pub in_features: usize,
    /// Size of each output's last dim.
    pub out_features: usize,
}

impl Linear {
    /// A layer with a bias, initialised as PyTorch does.
    pub fn new(in_features: usize, out_features: usize) -> Linear {
        Linear::with_bias(in_features, out_features, true)
    }

    /// A layer with or without a bias, initialised as PyTorch does.
    pub fn with_bias(in_features: usize, out_features: usize, bias: bool) -> Linear {
        let bound = 1.0 / (in_features.max(1) as f64).sqrt();
        Linear {
            weight: Var::param(init::uniform(&[out_features, in_features], -bound, bound)),
            bias: bias.then(|| Var::param(init::uniform(&[out_features], -bound, bound))),
            in_features,
            out_features,
        }
    }

    #[track_caller]
    fn check_input(&self, x: &Var) {
        let shape = x.shape();
        if shape.last() != Some(&self.in_features) {
            Error::new(
                "Linear",
                ErrorKind::Shape,
                format!(
                    "Linear(in_features={}): input's last dim is {} (shape {shape:?})",
                    self.in_features,
                    shape
                        .last()
                        .map_or("missing".to_string(), |d| d.to_string()),
                ),
            )
            .raise();
        }
    }
}

impl Module for Linear {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        f(&format!("{prefix}weight"), &self.weight);
        if let Some(b) = &self.bias {
            f(&format!("{prefix}bias"), b);
        }
    }
}

impl Forward for Linear {
    /// `x · Wᵀ + b`.
    ///
    /// # Panics
    /// If the input's last dim is not `in_features`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.check_input(x);
        x.linear(&self.weight, self.bias.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::Tensor;

    #[test]
    fn computes_x_w_transpose_plus_b() {
        let layer = Linear::new(2, 1);
        layer
            .weight
            .set_value(Tensor::from_vec(vec![2.0, -1.0], &[1, 2]));
        layer
            .bias
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec(vec![0.5], &[1]));
        let y = layer.forward(&Var::new(Tensor::from_vec(vec![1.0, 3.0], &[1, 2])));
        assert_eq!(y.value().to_vec::<f32>(), vec![2.0 - 3.0 + 0.5]);
        let names: Vec<String> = layer
            .named_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, vec!["weight", "bias"]);
    }

    #[test]
    #[should_panic(expected = "Linear(in_features=4): input's last dim is 5 (shape [2, 5])")]
    fn wrong_input_width_names_the_layer() {
        Linear::new(4, 2).forward(&Var::new(Tensor::ones(&[2, 5])));
    }
}
