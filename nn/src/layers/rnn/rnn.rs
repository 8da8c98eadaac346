//! `RNN`: the plain (Elman) recurrent layer, as `torch.nn.RNN`.
//!
//! ```text
//! h_t = act(x_t · W_ihᵀ + b_ih + h_{t−1} · W_hhᵀ + b_hh)       [B, H]
//! act = tanh (default) or relu   (PyTorch's nonlinearity='tanh' / 'relu')
//! ```
//! One "gate" (G = 1): the whole state is rewritten at every step. Backpropagation
//! through time multiplies the gradient by `W_hhᵀ · act'(..)` once per step, so over a
//! long sequence it shrinks towards 0 or blows up; that is the problem the LSTM's
//! additive cell and the GRU's update gate were built to avoid.
//! Parameters per layer and direction (PyTorch's names): `weight_ih_l{k}` `[H, C]`
//! (`[H, D·H]` above layer 0), `weight_hh_l{k}` `[H, H]`, `bias_ih_l{k}`,
//! `bias_hh_l{k}` `[H]`, suffix `_reverse` for the backward direction; all drawn from
//! U(−1/√H, 1/√H). Layers, directions and `batch_first` are the shared loop in
//! `stack.rs`, as for [`super::lstm`] and [`super::gru`].
//! Read next: [`super::lstm`], which adds gates to this equation.

use autograd::Var;

use super::stack::{self, Recurrence};
use super::{RnnConfig, RnnWeights};
use crate::module::Module;

/// The activation of an [`RNN`] or [`super::cell::RNNCell`] (PyTorch's
/// `nonlinearity='tanh'` or `'relu'`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Nonlinearity {
    /// `tanh`, the default: the state stays in (−1, 1).
    #[default]
    Tanh,
    /// `max(0, ·)`: the state is unbounded above.
    ReLU,
}

impl Nonlinearity {
    /// `act(x)`.
    pub fn apply(self, x: &Var) -> Var {
        match self {
            Nonlinearity::Tanh => x.tanh(),
            Nonlinearity::ReLU => x.relu(),
        }
    }
}

/// A multi-layer Elman RNN, as `torch.nn.RNN`.
///
/// # Shapes
/// - input: `[T, B, C]`, or `[B, T, C]` with `batch_first`, or `[T, C]` unbatched
/// - `h_0` (optional, zeros if absent): `[L·D, B, H]` (`[L·D, H]` unbatched),
///   `L = num_layers`, `D = 2` if bidirectional else 1; `batch_first` does not apply
/// - output: `[T, B, D·H]` (or `[B, T, D·H]`): the last layer's `h_t` at every step,
///   both directions concatenated
/// - `h_n`: like `h_0`, the final state of every layer and direction
///
/// # Examples
/// ```
/// use ferrograd::nn::{Nonlinearity, RNN, RnnConfig};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let config = RnnConfig::new(3, 5).num_layers(2).bidirectional(true).batch_first(true);
/// let rnn = RNN::with_config(config).nonlinearity(Nonlinearity::ReLU);
/// let (output, h_n) = rnn.forward(&Var::new(Tensor::randn(&[4, 7, 3])), None); // B 4, T 7
/// assert_eq!(output.shape(), vec![4, 7, 10]);
/// assert_eq!(h_n.shape(), vec![4, 4, 5]); // [num_layers · 2 directions, B, H]
/// ```
pub struct RNN {
    /// The options it was built with.
    pub config: RnnConfig,
    /// `tanh` (default) or `relu`.
    pub nonlinearity: Nonlinearity,
    /// Parameters of each layer and direction, index `layer · num_directions + direction`.
    pub weights: Vec<RnnWeights>,
    training: bool,
}

impl RNN {
    /// One tanh layer, with biases, time-major input:
    /// `torch.nn.RNN(input_size, hidden_size)`.
    pub fn new(input_size: usize, hidden_size: usize) -> RNN {
        RNN::with_config(RnnConfig::new(input_size, hidden_size))
    }

    /// A tanh RNN with the given options, every parameter ~ U(−1/√H, 1/√H).
    ///
    /// # Panics
    /// If `hidden_size` or `num_layers` is 0 or `dropout` is not in `[0, 1]`.
    #[track_caller]
    pub fn with_config(config: RnnConfig) -> RNN {
        config.validate("RNN");
        RNN {
            weights: stack::layer_weights(&config, 1),
            config,
            nonlinearity: Nonlinearity::Tanh,
            training: true,
        }
    }

    /// The same layer with activation `nonlinearity` (the parameters do not change).
    pub fn nonlinearity(mut self, nonlinearity: Nonlinearity) -> RNN {
        self.nonlinearity = nonlinearity;
        self
    }

    /// Run the sequence through every layer, from `h_0` or zeros. Returns
    /// `(output, h_n)` with the shapes above.
    ///
    /// # Panics
    /// If the input is not 2-D or 3-D with last dim `input_size`, has an empty dim,
    /// or `h_0` does not have the shape `[L·D, B, H]`.
    #[track_caller]
    pub fn forward(&self, input: &Var, h_0: Option<&Var>) -> (Var, Var) {
        let (x, batched) = stack::time_major(&self.config, "RNN", input);
        let at = (x.shape()[1], batched);
        let initial = stack::initial_states(&self.config, "RNN", "h_0", h_0, at, x.dtype());
        let (output, h_n) = stack::run(
            self,
            &self.config,
            &self.weights,
            &x,
            initial,
            self.training,
        );
        (
            stack::restore_layout(&self.config, output, batched),
            stack::stack_states(&h_n, batched),
        )
    }
}

/// One RNN step from the precomputed affine maps: `act(gates_x + gates_h)`.
/// Shared by [`RNN`] and [`super::cell::RNNCell`].
///
/// # Shapes
/// `gates_x`, `gates_h`: `[B, H]` → `h_t`: `[B, H]`.
pub(crate) fn rnn_step(nonlinearity: Nonlinearity, gates_x: &Var, gates_h: &Var) -> Var {
    nonlinearity.apply(&(gates_x + gates_h))
}

impl Recurrence for RNN {
    type State = Var;
    const GATES: usize = 1;

    /// `(b_ih + b_hh, None)`: only the sum matters, so it is added once for all steps.
    fn biases(w: &RnnWeights) -> (Option<Var>, Option<Var>) {
        (w.summed_biases(), None)
    }

    fn sequence(
        &self,
        gates_x: &Var,
        w: &RnnWeights,
        hidden_bias: Option<&Var>,
        h_0: Var,
        reverse: bool,
    ) -> (Var, Var) {
        let step =
            |gates_x: &Var, gates_h: &Var, _h: &Var| rnn_step(self.nonlinearity, gates_x, gates_h);
        stack::step_by_step(gates_x, w, hidden_bias, h_0, reverse, step)
    }
}

impl Module for RNN {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        stack::visit_layers(&self.config, &self.weights, prefix, f);
    }

    /// Dropout between layers acts only in training.
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::{DType, Tensor};

    #[test]
    fn parameter_names_and_count_follow_pytorch() {
        let rnn = RNN::with_config(RnnConfig::new(3, 2).num_layers(2).bidirectional(true));
        let names: Vec<String> = rnn.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 16);
        assert_eq!(
            &names[..5],
            [
                "weight_ih_l0",
                "weight_hh_l0",
                "bias_ih_l0",
                "bias_hh_l0",
                "weight_ih_l0_reverse"
            ]
        );
        assert_eq!(names[15], "bias_hh_l1_reverse");
        // layer 1 reads both directions: weight_ih_l1 is [H, 2H]
        assert_eq!(rnn.weights[2].weight_ih.shape(), vec![2, 4]);
        // torch.nn.RNN(100, 128): 128·(100 + 128) + 2·128
        assert_eq!(RNN::new(100, 128).num_parameters(), 29_440);
        let no_bias = RNN::with_config(RnnConfig::new(3, 2).bias(false));
        assert_eq!(no_bias.num_parameters(), 2 * 3 + 2 * 2);
    }

    #[test]
    fn two_steps_known_values() {
        // H = C = 1, W_ih = 1, W_hh = −2, b_ih + b_hh = 0.5, x = [1, 1], h_0 = 0:
        // h_1 = act(1 + 0.5) ,  h_2 = act(1 − 2·h_1 + 0.5)
        let rnn = RNN::new(1, 1);
        let w = &rnn.weights[0];
        w.weight_ih.set_value(Tensor::ones(&[1, 1]));
        w.weight_hh
            .set_value(Tensor::full_dtype(&[1, 1], -2.0, DType::F32));
        w.bias_ih
            .as_ref()
            .unwrap()
            .set_value(Tensor::full_dtype(&[1], 0.25, DType::F32));
        w.bias_hh
            .as_ref()
            .unwrap()
            .set_value(Tensor::full_dtype(&[1], 0.25, DType::F32));
        let x = Var::new(Tensor::ones(&[2, 1, 1]));
        let (out, h) = rnn.forward(&x, None);
        let h1 = 1.5f64.tanh();
        let h2 = (1.5 - 2.0 * h1).tanh();
        let out: Vec<f64> = out.value().to_vec();
        assert!(
            (out[0] - h1).abs() < 1e-6 && (out[1] - h2).abs() < 1e-6,
            "{out:?}"
        );
        assert_eq!(h.value().to_vec::<f64>(), vec![out[1]]);
        // relu: h_1 = 1.5, h_2 = max(0, 1.5 − 3) = 0
        let (out, _) = rnn.nonlinearity(Nonlinearity::ReLU).forward(&x, None);
        assert_eq!(out.value().to_vec::<f64>(), vec![1.5, 0.0]);
    }

    #[test]
    fn shapes_with_initial_state_batch_first_and_unbatched() {
        let rnn = RNN::with_config(RnnConfig::new(3, 2).num_layers(3).batch_first(true));
        let h_0 = Var::new(Tensor::randn(&[3, 4, 2]));
        let (out, h) = rnn.forward(&Var::new(Tensor::randn(&[4, 6, 3])), Some(&h_0));
        assert_eq!((out.shape(), h.shape()), (vec![4, 6, 2], vec![3, 4, 2]));
        let (out, h) = rnn.forward(&Var::new(Tensor::randn(&[6, 3])), None);
        assert_eq!((out.shape(), h.shape()), (vec![6, 2], vec![3, 2]));
    }

    #[test]
    fn reverse_direction_reads_the_sequence_backwards() {
        // the reverse half of output[t] only depends on x_t .. x_{T−1}: change x_0 and
        // it stays the same at t = 1, 2 while the forward half changes
        let rnn = RNN::with_config(RnnConfig::new(2, 3).bidirectional(true));
        let x = Tensor::randn(&[3, 1, 2]);
        let mut changed = x.to_vec::<f32>();
        changed[0] += 1.0;
        let run = |t: Tensor| rnn.forward(&Var::new(t), None).0.value().to_vec::<f32>();
        let (a, b) = (run(x), run(Tensor::from_vec(changed, &[3, 1, 2])));
        for t in 1..3 {
            let row = |v: &[f32]| v[6 * t..6 * t + 6].to_vec();
            assert_eq!(row(&a)[3..], row(&b)[3..]);
            assert_ne!(row(&a)[..3], row(&b)[..3]);
        }
    }

    #[test]
    #[should_panic(
        expected = "RNN: RNN(3, 2, bidirectional=true): h_0 has shape [1, 4, 2], expected [2, 4, 2]"
    )]
    fn wrong_h_0_shape_is_named() {
        let rnn = RNN::with_config(RnnConfig::new(3, 2).bidirectional(true));
        rnn.forward(
            &Var::new(Tensor::ones(&[5, 4, 3])),
            Some(&Var::new(Tensor::zeros(&[1, 4, 2]))),
        );
    }
}
