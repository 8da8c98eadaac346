//! `Dropout`: randomly zero features while training, as `torch.nn.Dropout`
//! (Srivastava et al. 2014), in its "inverted" form.
//!
//! ```text
//! training:  mᵢ ~ Bernoulli(1 − p)          keep each element with probability 1 − p
//!            yᵢ = xᵢ · mᵢ / (1 − p)         scaled now, so that E[yᵢ] = xᵢ
//! eval:      y = x                          nothing to undo at test time
//! ```
//! Scaling during training (rather than multiplying by 1 − p at test time) keeps the
//! evaluated network identical to the trained one. The op is `Var::dropout`; this
//! layer only remembers `p` and whether it is training. Like PyTorch, a new layer is
//! in training mode; call `model.eval()` before evaluating.
//! Read next: [`crate::layers::layer_norm`].

use autograd::Var;
use tensor::error::{Error, ErrorKind};

use crate::module::{Forward, Module};

/// Zeroes each element with probability `p` in training mode (scaling the rest by
/// `1/(1 − p)`); the identity in evaluation mode. No parameters.
///
/// # Shapes
/// Any shape; the output has the input's shape.
///
/// # Examples
/// ```
/// use ferrograd::nn::{Dropout, Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let mut dropout = Dropout::new(0.5);
/// let x = Var::new(Tensor::ones(&[1000]));
/// let y = dropout.forward(&x).value().to_vec::<f32>();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0)); // dropped, or kept and doubled
/// dropout.eval();
/// assert_eq!(dropout.forward(&x).value().to_vec::<f32>(), vec![1.0; 1000]);
/// ```
pub struct Dropout {
    /// The probability of zeroing an element.
    pub p: f64,
    /// Whether the layer drops (training) or passes its input through (eval).
    pub training: bool,
}

impl Dropout {
    /// A dropout layer in training mode (PyTorch's default `p` is 0.5).
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn new(p: f64) -> Dropout {
        if !(0.0..=1.0).contains(&p) {
            Error::new(
                "Dropout",
                ErrorKind::Value,
                format!("Dropout(p={p}): p must be a probability in [0, 1]"),
            )
            .with_hint("p is the probability of zeroing an element, e.g. 0.1")
            .raise();
        }
        Dropout { p, training: true }
    }
}

impl Module for Dropout {
    fn visit_params(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl Forward for Dropout {
    /// `x ⊙ m / (1 − p)` while training, `x` in evaluation mode.
    fn forward(&self, x: &Var) -> Var {
        x.dropout(self.p, self.training)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::{DType, Tensor, manual_seed};

    #[test]
    fn training_drops_about_p_and_scales_the_rest() {
        manual_seed(7);
        for dtype in [DType::F32, DType::F64] {
            let dropout = Dropout::new(0.25);
            let x = Var::new(Tensor::ones(&[4000]).to_dtype(dtype));
            let y: Vec<f64> = dropout.forward(&x).value().to_vec();
            // kept elements are 1 / (1 − 0.25) = 4/3; about a quarter are dropped
            let dropped = y.iter().filter(|&&v| v == 0.0).count();
            assert!(y.iter().all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
            assert!((850..1150).contains(&dropped), "dropped {dropped} of 4000");
            // E[y] = x: the mean stays near 1
            let mean = y.iter().sum::<f64>() / y.len() as f64;
            assert!((mean - 1.0).abs() < 0.05, "mean {mean}");
        }
    }

    #[test]
    fn eval_mode_and_p_zero_are_the_identity_and_p_one_zeroes() {
        let x = Var::new(Tensor::from_vec(vec![1.0, -2.0, 3.0], &[3]));
        let mut dropout = Dropout::new(0.9);
        assert!(dropout.training, "a new layer trains, like PyTorch");
        dropout.eval();
        assert_eq!(
            dropout.forward(&x).value().to_vec::<f32>(),
            [1.0, -2.0, 3.0]
        );
        assert_eq!(
            Dropout::new(0.0).forward(&x).value().to_vec::<f32>(),
            [1.0, -2.0, 3.0]
        );
        assert_eq!(
            Dropout::new(1.0).forward(&x).value().to_vec::<f32>(),
            [0.0; 3]
        );
        assert_eq!(dropout.num_parameters(), 0);
    }

    #[test]
    fn gradient_is_the_same_mask() {
        // y = x ⊙ m/(1 − p) is linear in x: ∂Σy/∂x = m/(1 − p) = y / x for x = 1
        let x = Var::param(Tensor::ones(&[50]));
        let y = Dropout::new(0.5).forward(&x);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), y.value().to_vec::<f32>());
    }

    #[test]
    #[should_panic(expected = "Dropout: Dropout(p=1.5): p must be a probability in [0, 1]")]
    fn p_out_of_range_is_refused() {
        Dropout::new(1.5);
    }
}
