//! `GRU`: gated recurrent unit, as `torch.nn.GRU` (Cho et al. 2014).
//!
//! ```text
//! gates_x = x_t · W_ihᵀ + b_ih,   gates_h = h_{t−1} · W_hhᵀ + b_hh     [B, 3H], blocks r, z, n
//! r_t = σ(gates_x_r + gates_h_r)              reset gate
//! z_t = σ(gates_x_z + gates_h_z)              update gate
//! n_t = tanh(gates_x_n + r_t ⊙ gates_h_n)     new (candidate) state; PyTorch keeps b_hn
//!                                             inside r ⊙ (W_hn h + b_hn)
//! h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}
//! ```
//! No separate cell: the update gate interpolates between the old state and the
//! candidate, which gives the gradient the same additive path through time as an
//! LSTM's cell, with three gates instead of four.
//! Parameters per layer and direction (PyTorch's names): `weight_ih_l{k}` `[3H, C]`,
//! `weight_hh_l{k}` `[3H, H]`, `bias_ih_l{k}`, `bias_hh_l{k}` `[3H]`, suffix
//! `_reverse` for the backward direction; all drawn from U(−1/√H, 1/√H).
//! Read next: [`super::cell`].

use autograd::Var;

use super::stack::{self, Recurrence};
use super::{RnnConfig, RnnWeights};
use crate::module::Module;

/// A multi-layer GRU, as `torch.nn.GRU`.
///
/// # Shapes
/// - input: `[T, B, C]`, or `[B, T, C]` with `batch_first`, or `[T, C]` unbatched
/// - `h_0` (optional, zeros if absent): `[L·D, B, H]` (`[L·D, H]` unbatched),
///   `L = num_layers`, `D = 2` if bidirectional else 1; `batch_first` does not apply
/// - output: `[T, B, D·H]` (or `[B, T, D·H]`): the last layer's `h_t` at every step
/// - `h_n`: like `h_0`, the final state of every layer and direction
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::rnn::{RnnConfig, gru::GRU};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let gru = GRU::with_config(RnnConfig::new(3, 5).bidirectional(true));
/// let (output, h_n) = gru.forward(&Var::new(Tensor::randn(&[7, 4, 3])), None);
/// assert_eq!(output.shape(), vec![7, 4, 10]);
/// assert_eq!(h_n.shape(), vec![2, 4, 5]);
/// ```
pub struct GRU {
    /// The options it was built with.
    pub config: RnnConfig,
    /// Parameters of each layer and direction, index `layer · num_directions + direction`.
    pub weights: Vec<RnnWeights>,
    training: bool,
}

impl GRU {
    /// One layer, with biases, time-major input: `torch.nn.GRU(input_size, hidden_size)`.
    pub fn new(input_size: usize, hidden_size: usize) -> GRU {
        GRU::with_config(RnnConfig::new(input_size, hidden_size))
    }

    /// A GRU with the given options, every parameter ~ U(−1/√H, 1/√H).
    ///
    /// # Panics
    /// If `hidden_size` or `num_layers` is 0 or `dropout` is not in `[0, 1]`.
    #[track_caller]
    pub fn with_config(config: RnnConfig) -> GRU {
        config.validate("GRU");
        GRU {
            weights: stack::layer_weights(&config, 3),
            config,
            training: true,
        }
    }

    /// Run the sequence through every layer, from `h_0` or zeros. Returns
    /// `(output, h_n)` with the shapes above.
    ///
    /// # Panics
    /// If the input is not 2-D or 3-D with last dim `input_size`, has an empty dim,
    /// or `h_0` does not have the shape `[L·D, B, H]`.
    #[track_caller]
    pub fn forward(&self, input: &Var, h_0: Option<&Var>) -> (Var, Var) {
        let (x, batched) = stack::time_major(&self.config, "GRU", input);
        let at = (x.shape()[1], batched);
        let initial = stack::initial_states(&self.config, "GRU", "h_0", h_0, at, x.dtype());
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

/// One GRU step from the precomputed gate inputs: the equations in this file's header.
/// Shared by [`GRU`] and [`super::cell::GRUCell`].
///
/// # Shapes
/// `gates_x`, `gates_h`: `[B, 3H]`; `h`: `[B, H]` → `h_t`: `[B, H]`.
pub(crate) fn gru_step(gates_x: &Var, gates_h: &Var, h: &Var) -> Var {
    let x_gates = gates_x.chunk(3, -1);
    let h_gates = gates_h.chunk(3, -1);
    let reset_gate = (&x_gates[0] + &h_gates[0]).sigmoid();
    let update_gate = (&x_gates[1] + &h_gates[1]).sigmoid();
    let new_gate = (&x_gates[2] + &(&reset_gate * &h_gates[2])).tanh();
    // (1 − z) ⊙ n + z ⊙ h
    &(&update_gate.affine(-1.0, 1.0) * &new_gate) + &(&update_gate * h)
}

impl Recurrence for GRU {
    type State = Var;
    const GATES: usize = 3;

    /// `(b_ih, b_hh)`: `b_hn` must stay inside `r ⊙ (W_hn h + b_hn)`.
    fn biases(w: &RnnWeights) -> (Option<Var>, Option<Var>) {
        (w.bias_ih.clone(), w.bias_hh.clone())
    }

    fn sequence(
        &self,
        gates_x: &Var,
        w: &RnnWeights,
        hidden_bias: Option<&Var>,
        h_0: Var,
        reverse: bool,
    ) -> (Var, Var) {
        stack::step_by_step(gates_x, w, hidden_bias, h_0, reverse, gru_step)
    }
}

impl Module for GRU {
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
        let gru = GRU::with_config(RnnConfig::new(3, 2).num_layers(2).bidirectional(true));
        let names: Vec<String> = gru.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            &names[4..8],
            [
                "weight_ih_l0_reverse",
                "weight_hh_l0_reverse",
                "bias_ih_l0_reverse",
                "bias_hh_l0_reverse"
            ]
        );
        assert_eq!(gru.weights[3].weight_ih.shape(), vec![6, 4]);
        // torch.nn.GRU(100, 128): 3·128·(100 + 128) + 2·3·128
        assert_eq!(GRU::new(100, 128).num_parameters(), 88_320);
    }

    #[test]
    fn one_step_known_values() {
        // W = 0, b_ih = 0, b_hh = 1 everywhere, h_0 = ½:
        // r = z = σ(1), n = tanh(0 + r·1) = tanh(σ(1)), h_1 = (1 − z)·n + z·½
        let gru = GRU::new(2, 1);
        let w = &gru.weights[0];
        w.weight_ih.set_value(Tensor::zeros(&[3, 2]));
        w.weight_hh.set_value(Tensor::zeros(&[3, 1]));
        w.bias_ih.as_ref().unwrap().set_value(Tensor::zeros(&[3]));
        w.bias_hh.as_ref().unwrap().set_value(Tensor::ones(&[3]));
        let h_0 = Var::new(Tensor::full_dtype(&[1, 1, 1], 0.5, DType::F32));
        let (_, h) = gru.forward(&Var::new(Tensor::ones(&[1, 1, 2])), Some(&h_0));
        let s = 1.0 / (1.0 + (-1f64).exp());
        let expected = (1.0 - s) * s.tanh() + s * 0.5;
        assert!((h.value().to_vec::<f64>()[0] - expected).abs() < 1e-6);
    }

    #[test]
    fn shapes_with_initial_state_and_batch_first() {
        let gru = GRU::with_config(RnnConfig::new(3, 2).num_layers(3).batch_first(true));
        let h_0 = Var::new(Tensor::randn(&[3, 4, 2]));
        let (out, h) = gru.forward(&Var::new(Tensor::randn(&[4, 6, 3])), Some(&h_0));
        assert_eq!((out.shape(), h.shape()), (vec![4, 6, 2], vec![3, 4, 2]));
        let (out, h) = gru.forward(&Var::new(Tensor::randn(&[6, 3])), None);
        assert_eq!((out.shape(), h.shape()), (vec![6, 2], vec![3, 2]));
    }

    #[test]
    #[should_panic(
        expected = "GRU: GRU(3, 2, bidirectional=true): h_0 has shape [1, 4, 2], expected [2, 4, 2]"
    )]
    fn wrong_h_0_shape_is_named() {
        let gru = GRU::with_config(RnnConfig::new(3, 2).bidirectional(true));
        gru.forward(
            &Var::new(Tensor::ones(&[5, 4, 3])),
            Some(&Var::new(Tensor::zeros(&[1, 4, 2]))),
        );
    }
}
