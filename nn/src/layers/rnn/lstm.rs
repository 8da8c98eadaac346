//! `LSTM`: long short-term memory, as `torch.nn.LSTM` (Hochreiter & Schmidhuber 1997,
//! with the forget gate of Gers et al. 2000).
//!
//! ```text
//! gates = x_t · W_ihᵀ + b_ih + h_{t−1} · W_hhᵀ + b_hh       [B, 4H], blocks i, f, g, o
//! i_t = σ(gates_i)            input gate:   how much of the candidate to write
//! f_t = σ(gates_f)            forget gate:  how much of the old cell to keep
//! g_t = tanh(gates_g)         cell gate:    the candidate values
//! o_t = σ(gates_o)            output gate:  how much of the cell to show
//! c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
//! h_t = o_t ⊙ tanh(c_t)
//! ```
//! The cell `c_t` is updated additively, so its gradient flows back through time
//! scaled only by the forget gates; that is what lets an LSTM learn long dependencies.
//! Parameters per layer and direction (PyTorch's names): `weight_ih_l{k}` `[4H, C]`,
//! `weight_hh_l{k}` `[4H, H]`, `bias_ih_l{k}`, `bias_hh_l{k}` `[4H]`, suffix
//! `_reverse` for the backward direction; all drawn from U(−1/√H, 1/√H).
//! Read next: [`super::gru`].

use autograd::Var;

use super::stack::{self, Recurrence};
use super::{RnnConfig, RnnWeights};
use crate::module::Module;

/// A multi-layer LSTM, as `torch.nn.LSTM` (no `proj_size`).
///
/// # Shapes
/// - input: `[T, B, C]`, or `[B, T, C]` with `batch_first`, or `[T, C]` unbatched
/// - `h_0`, `c_0` (optional, zeros if absent): `[L·D, B, H]` (`[L·D, H]` unbatched),
///   `L = num_layers`, `D = 2` if bidirectional else 1; `batch_first` does not apply
/// - output: `[T, B, D·H]` (or `[B, T, D·H]`): the last layer's `h_t` at every step,
///   both directions concatenated
/// - `h_n`, `c_n`: like `h_0`, the final states of every layer and direction
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::rnn::{RnnConfig, lstm::LSTM};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let lstm = LSTM::with_config(RnnConfig::new(3, 5).num_layers(2).batch_first(true));
/// let x = Var::new(Tensor::randn(&[4, 7, 3])); // B = 4, T = 7
/// let (output, (h_n, c_n)) = lstm.forward(&x, None);
/// assert_eq!(output.shape(), vec![4, 7, 5]);
/// assert_eq!(h_n.shape(), vec![2, 4, 5]);
/// assert_eq!(c_n.shape(), vec![2, 4, 5]);
/// ```
pub struct LSTM {
    /// The options it was built with.
    pub config: RnnConfig,
    /// Parameters of each layer and direction, index `layer · num_directions + direction`.
    pub weights: Vec<RnnWeights>,
    training: bool,
}

impl LSTM {
    /// One layer, with biases, time-major input: `torch.nn.LSTM(input_size, hidden_size)`.
    pub fn new(input_size: usize, hidden_size: usize) -> LSTM {
        LSTM::with_config(RnnConfig::new(input_size, hidden_size))
    }

    /// An LSTM with the given options, every parameter ~ U(−1/√H, 1/√H).
    ///
    /// # Panics
    /// If `hidden_size` or `num_layers` is 0 or `dropout` is not in `[0, 1]`.
    #[track_caller]
    pub fn with_config(config: RnnConfig) -> LSTM {
        config.validate("LSTM");
        LSTM {
            weights: stack::layer_weights(&config, 4),
            config,
            training: true,
        }
    }

    /// Run the sequence through every layer, from `state = (h_0, c_0)` or zeros.
    /// Returns `(output, (h_n, c_n))` with the shapes above.
    ///
    /// # Panics
    /// If the input is not 2-D or 3-D with last dim `input_size`, has an empty dim,
    /// or a state does not have the shape `[L·D, B, H]`.
    #[track_caller]
    pub fn forward(&self, input: &Var, state: Option<(&Var, &Var)>) -> (Var, (Var, Var)) {
        let (x, batched) = stack::time_major(&self.config, "LSTM", input);
        let at = (x.shape()[1], batched);
        let (h_0, c_0) = (state.map(|s| s.0), state.map(|s| s.1));
        let h = stack::initial_states(&self.config, "LSTM", "h_0", h_0, at, x.dtype());
        let c = stack::initial_states(&self.config, "LSTM", "c_0", c_0, at, x.dtype());
        let initial = h.into_iter().zip(c).collect();
        let (output, finals) = stack::run(
            self,
            &self.config,
            &self.weights,
            &x,
            initial,
            self.training,
        );
        let (h_n, c_n): (Vec<Var>, Vec<Var>) = finals.into_iter().unzip();
        (
            stack::restore_layout(&self.config, output, batched),
            (
                stack::stack_states(&h_n, batched),
                stack::stack_states(&c_n, batched),
            ),
        )
    }
}

/// One LSTM step from the precomputed gate inputs: the equations in this file's header,
/// as [`super::cell::LSTMCell`] runs them ([`LSTM`] runs the same kernel for every step
/// inside one op, [`Var::lstm`]).
///
/// # Shapes
/// `gates_x`, `gates_h`: `[B, 4H]`; `c`: `[B, H]` → `(h_t, c_t)`, each `[B, H]`.
/// The gate activations and the two state updates are one fused op,
/// [`Var::lstm_cell`] (one graph node per step instead of twelve).
pub(crate) fn lstm_step(gates_x: &Var, gates_h: &Var, c: &Var) -> (Var, Var) {
    (gates_x + gates_h).lstm_cell(c)
}

impl Recurrence for LSTM {
    type State = (Var, Var);
    const GATES: usize = 4;

    /// `(b_ih + b_hh, None)`: only the sum reaches the gates.
    fn biases(w: &RnnWeights) -> (Option<Var>, Option<Var>) {
        (w.summed_biases(), None)
    }

    /// The whole sequence as one op, [`Var::lstm`] (`b_hh` is already in `gates_x`).
    fn sequence(
        &self,
        gates_x: &Var,
        w: &RnnWeights,
        _hidden_bias: Option<&Var>,
        (h_0, c_0): (Var, Var),
        reverse: bool,
    ) -> (Var, (Var, Var)) {
        gates_x.lstm(&h_0, &c_0, &w.weight_hh, reverse)
    }
}

impl Module for LSTM {
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
    use tensor::Tensor;

    fn names(m: &impl Module) -> Vec<String> {
        m.named_parameters().into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn parameter_names_and_count_follow_pytorch() {
        let lstm = LSTM::with_config(RnnConfig::new(3, 2).num_layers(2).bidirectional(true));
        let n = names(&lstm);
        assert_eq!(n.len(), 16);
        assert_eq!(
            &n[..5],
            [
                "weight_ih_l0",
                "weight_hh_l0",
                "bias_ih_l0",
                "bias_hh_l0",
                "weight_ih_l0_reverse"
            ]
        );
        assert_eq!(n[15], "bias_hh_l1_reverse");
        // layer 1 reads both directions: weight_ih_l1 is [4H, 2H]
        assert_eq!(lstm.weights[2].weight_ih.shape(), vec![8, 4]);
        // torch.nn.LSTM(100, 128): 4·128·(100 + 128) + 2·4·128
        assert_eq!(LSTM::new(100, 128).num_parameters(), 117_760);
        assert_eq!(
            LSTM::with_config(RnnConfig::new(3, 2).bias(false)).num_parameters(),
            8 * 3 + 8 * 2
        );
    }

    #[test]
    fn one_step_with_zero_weights_and_unit_biases() {
        // all gate pre-activations are b_ih + b_hh = 1 + 1 = 2, c_0 = 0:
        // c_1 = σ(2)·tanh(2),  h_1 = σ(2)·tanh(c_1)
        let lstm = LSTM::new(2, 1);
        for w in [&lstm.weights[0].weight_ih, &lstm.weights[0].weight_hh] {
            w.set_value(Tensor::zeros(&w.shape()));
        }
        for b in [&lstm.weights[0].bias_ih, &lstm.weights[0].bias_hh] {
            b.as_ref().unwrap().set_value(Tensor::ones(&[4]));
        }
        let (out, (h, c)) = lstm.forward(&Var::new(Tensor::ones(&[1, 1, 2])), None);
        let s = 1.0 / (1.0 + (-2f64).exp());
        let c1 = s * 2f64.tanh();
        assert!((c.value().to_vec::<f64>()[0] - c1).abs() < 1e-6);
        assert!((h.value().to_vec::<f64>()[0] - s * c1.tanh()).abs() < 1e-6);
        assert_eq!(out.value().to_vec::<f64>(), h.value().to_vec::<f64>());
    }

    #[test]
    fn shapes_batch_first_bidirectional_and_unbatched() {
        let lstm = LSTM::with_config(
            RnnConfig::new(3, 2)
                .num_layers(2)
                .bidirectional(true)
                .batch_first(true),
        );
        let (out, (h, c)) = lstm.forward(&Var::new(Tensor::randn(&[5, 4, 3])), None);
        assert_eq!(
            (out.shape(), h.shape(), c.shape()),
            (vec![5, 4, 4], vec![4, 5, 2], vec![4, 5, 2])
        );
        // unbatched [T, C]: the same numbers as a batch of one
        let x = Tensor::randn(&[4, 3]);
        let (out1, (h1, _)) = lstm.forward(&Var::new(x.clone()), None);
        let (outb, (hb, _)) = lstm.forward(&Var::new(x.reshape(&[1, 4, 3])), None);
        assert_eq!(out1.shape(), vec![4, 4]);
        assert_eq!(h1.shape(), vec![4, 2]);
        assert_eq!(out1.value().to_vec::<f64>(), outb.value().to_vec::<f64>());
        assert_eq!(h1.value().to_vec::<f64>(), hb.value().to_vec::<f64>());
    }

    #[test]
    fn forward_output_ends_in_h_n_and_reverse_output_starts_in_it() {
        let lstm = LSTM::with_config(RnnConfig::new(3, 2).bidirectional(true));
        let (out, (h, _)) = lstm.forward(&Var::new(Tensor::randn(&[4, 1, 3])), None);
        let out: Vec<f64> = out.value().to_vec(); // [T=4, B=1, 2·2]
        let h: Vec<f64> = h.value().to_vec(); // [2, 1, 2]: forward h_T, reverse h at t = 0
        assert_eq!(&out[12..14], &h[0..2]);
        assert_eq!(&out[2..4], &h[2..4]);
    }

    #[test]
    fn dropout_between_layers_only_in_training() {
        let mut lstm = LSTM::with_config(RnnConfig::new(3, 4).num_layers(2).dropout(1.0));
        let x = Var::new(Tensor::randn(&[3, 2, 3]));
        let (train_out, _) = lstm.forward(&x, None);
        lstm.eval();
        let (eval_out, _) = lstm.forward(&x, None);
        // p = 1 zeroes layer 1's input, so its output no longer depends on x
        let (other, _) = {
            lstm.train();
            lstm.forward(&Var::new(Tensor::randn(&[3, 2, 3])), None)
        };
        assert_eq!(
            train_out.value().to_vec::<f64>(),
            other.value().to_vec::<f64>()
        );
        assert_ne!(
            train_out.value().to_vec::<f64>(),
            eval_out.value().to_vec::<f64>()
        );
    }

    #[test]
    #[should_panic(
        expected = "LSTM: LSTM(3, 2, batch_first=true): input's last dim is 4, expected input_size=3 (shape [2, 5, 4])"
    )]
    fn wrong_input_size_names_the_layer() {
        LSTM::with_config(RnnConfig::new(3, 2).batch_first(true))
            .forward(&Var::new(Tensor::ones(&[2, 5, 4])), None);
    }

    #[test]
    #[should_panic(expected = "LSTM(3, 2): input must be 2-D or 3-D, got 1-D (shape [3])")]
    fn one_d_input_is_rejected() {
        LSTM::new(3, 2).forward(&Var::new(Tensor::ones(&[3])), None);
    }

    #[test]
    #[should_panic(
        expected = "LSTM(3, 2, num_layers=2): c_0 has shape [1, 5, 2], expected [2, 5, 2]"
    )]
    fn wrong_state_shape_is_named() {
        let lstm = LSTM::with_config(RnnConfig::new(3, 2).num_layers(2));
        let h = Var::new(Tensor::zeros(&[2, 5, 2]));
        let c = Var::new(Tensor::zeros(&[1, 5, 2]));
        lstm.forward(&Var::new(Tensor::ones(&[4, 5, 3])), Some((&h, &c)));
    }

    #[test]
    #[should_panic(expected = "the input has an empty dim (shape [0, 2, 3])")]
    fn empty_sequence_is_rejected() {
        LSTM::new(3, 2).forward(&Var::new(Tensor::zeros(&[0, 2, 3])), None);
    }
}
