//! `RNNCell`, `LSTMCell` and `GRUCell`: one time step, as `torch.nn.RNNCell`,
//! `torch.nn.LSTMCell` and `torch.nn.GRUCell`.
//!
//! ```text
//! RNNCell:  h'       = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)            (act = tanh or relu)
//! LSTMCell: (h', c') = lstm_step(x·W_ihᵀ + b_ih, h·W_hhᵀ + b_hh, c)   (equations in lstm.rs)
//! GRUCell:  h'       = gru_step(x·W_ihᵀ + b_ih, h·W_hhᵀ + b_hh, h)     (equations in gru.rs)
//! ```
//! The same step functions as the full layers; the caller writes the loop over time
//! (useful for decoders that feed each output back in). Parameters `weight_ih`
//! `[G·H, C]`, `weight_hh` `[G·H, H]`, `bias_ih`, `bias_hh` `[G·H]` (G = 1, 4 or 3), all
//! drawn from U(−1/√H, 1/√H), as in PyTorch.
//! Read next: the attention layers.

use autograd::Var;
use tensor::error::{Error, ErrorKind};

use super::RnnWeights;
use super::gru::gru_step;
use super::lstm::lstm_step;
use super::rnn::{Nonlinearity, rnn_step};
use crate::module::Module;

/// One Elman RNN step, as `torch.nn.RNNCell`.
///
/// # Shapes
/// input `[B, C]` (or `[C]` unbatched); `h`: `[B, H]` (or `[H]`), zeros if absent;
/// returns `h'` of the same shape as `h`.
///
/// # Examples
/// ```
/// use ferrograd::nn::{Nonlinearity, RNNCell};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let cell = RNNCell::new(3, 5).nonlinearity(Nonlinearity::ReLU);
/// let mut h = cell.forward(&Var::new(Tensor::randn(&[2, 3])), None);
/// for _ in 0..3 {
///     h = cell.forward(&Var::new(Tensor::randn(&[2, 3])), Some(&h));
/// }
/// assert_eq!(h.shape(), vec![2, 5]);
/// ```
pub struct RNNCell {
    /// `weight_ih` `[H, C]`, `weight_hh` `[H, H]`, `bias_ih`, `bias_hh` `[H]`.
    pub weights: RnnWeights,
    /// `tanh` (default) or `relu`.
    pub nonlinearity: Nonlinearity,
    /// `C`.
    pub input_size: usize,
    /// `H`.
    pub hidden_size: usize,
}

/// One LSTM step, as `torch.nn.LSTMCell`.
///
/// # Shapes
/// input `[B, C]` (or `[C]` unbatched); `h`, `c`: `[B, H]` (or `[H]`), zeros if absent;
/// returns `(h', c')` of the same shape as `h`.
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::rnn::cell::LSTMCell;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let cell = LSTMCell::new(3, 5);
/// let (mut h, mut c) = cell.forward(&Var::new(Tensor::randn(&[2, 3])), None);
/// for _ in 0..3 {
///     (h, c) = cell.forward(&Var::new(Tensor::randn(&[2, 3])), Some((&h, &c)));
/// }
/// assert_eq!(h.shape(), vec![2, 5]);
/// ```
pub struct LSTMCell {
    /// `weight_ih` `[4H, C]`, `weight_hh` `[4H, H]`, `bias_ih`, `bias_hh` `[4H]`.
    pub weights: RnnWeights,
    /// `C`.
    pub input_size: usize,
    /// `H`.
    pub hidden_size: usize,
}

/// One GRU step, as `torch.nn.GRUCell`.
///
/// # Shapes
/// input `[B, C]` (or `[C]` unbatched); `h`: `[B, H]` (or `[H]`), zeros if absent;
/// returns `h'` of the same shape as `h`.
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::rnn::cell::GRUCell;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let cell = GRUCell::new(3, 5);
/// let h = cell.forward(&Var::new(Tensor::randn(&[2, 3])), None);
/// let h = cell.forward(&Var::new(Tensor::randn(&[2, 3])), Some(&h));
/// assert_eq!(h.shape(), vec![2, 5]);
/// ```
pub struct GRUCell {
    /// `weight_ih` `[3H, C]`, `weight_hh` `[3H, H]`, `bias_ih`, `bias_hh` `[3H]`.
    pub weights: RnnWeights,
    /// `C`.
    pub input_size: usize,
    /// `H`.
    pub hidden_size: usize,
}

impl RNNCell {
    /// A tanh cell with biases, every parameter ~ U(−1/√H, 1/√H).
    pub fn new(input_size: usize, hidden_size: usize) -> RNNCell {
        RNNCell::with_bias(input_size, hidden_size, true)
    }

    /// A tanh cell with or without `bias_ih` and `bias_hh`.
    pub fn with_bias(input_size: usize, hidden_size: usize, bias: bool) -> RNNCell {
        RNNCell {
            weights: RnnWeights::new(input_size, hidden_size, 1, bias),
            nonlinearity: Nonlinearity::Tanh,
            input_size,
            hidden_size,
        }
    }

    /// The same cell with activation `nonlinearity` (the parameters do not change).
    pub fn nonlinearity(mut self, nonlinearity: Nonlinearity) -> RNNCell {
        self.nonlinearity = nonlinearity;
        self
    }

    /// `h'` after reading `input` from `h` (zeros if `None`).
    ///
    /// # Panics
    /// If the input is not `[B, input_size]` or `[input_size]`, or `h`'s shape is
    /// not `[B, hidden_size]` (`[hidden_size]` unbatched).
    #[track_caller]
    pub fn forward(&self, input: &Var, h: Option<&Var>) -> Var {
        let name = format!("RNNCell({}, {})", self.input_size, self.hidden_size);
        let (x, batched) = cell_input("RNNCell", &name, self.input_size, input);
        let h = cell_state("RNNCell", &name, "h", h, &x, self.hidden_size);
        let w = &self.weights;
        let gates_x = w.project_input(&x);
        let gates_h = h.linear(&w.weight_hh, w.bias_hh.as_ref());
        unbatch(rnn_step(self.nonlinearity, &gates_x, &gates_h), batched)
    }
}

impl LSTMCell {
    /// A cell with biases, every parameter ~ U(−1/√H, 1/√H).
    pub fn new(input_size: usize, hidden_size: usize) -> LSTMCell {
        LSTMCell::with_bias(input_size, hidden_size, true)
    }

    /// A cell with or without `bias_ih` and `bias_hh`.
    pub fn with_bias(input_size: usize, hidden_size: usize, bias: bool) -> LSTMCell {
        LSTMCell {
            weights: RnnWeights::new(input_size, hidden_size, 4, bias),
            input_size,
            hidden_size,
        }
    }

    /// `(h', c')` after reading `input` from `state = (h, c)` (zeros if `None`).
    ///
    /// # Panics
    /// If the input is not `[B, input_size]` or `[input_size]`, or a state's shape
    /// is not `[B, hidden_size]` (`[hidden_size]` unbatched).
    #[track_caller]
    pub fn forward(&self, input: &Var, state: Option<(&Var, &Var)>) -> (Var, Var) {
        let name = format!("LSTMCell({}, {})", self.input_size, self.hidden_size);
        let (x, batched) = cell_input("LSTMCell", &name, self.input_size, input);
        let h = cell_state(
            "LSTMCell",
            &name,
            "h",
            state.map(|s| s.0),
            &x,
            self.hidden_size,
        );
        let c = cell_state(
            "LSTMCell",
            &name,
            "c",
            state.map(|s| s.1),
            &x,
            self.hidden_size,
        );
        let w = &self.weights;
        let gates_x = w.project_input(&x);
        let gates_h = h.linear(&w.weight_hh, w.bias_hh.as_ref());
        let (h_next, c_next) = lstm_step(&gates_x, &gates_h, &c);
        (unbatch(h_next, batched), unbatch(c_next, batched))
    }
}

impl GRUCell {
    /// A cell with biases, every parameter ~ U(−1/√H, 1/√H).
    pub fn new(input_size: usize, hidden_size: usize) -> GRUCell {
        GRUCell::with_bias(input_size, hidden_size, true)
    }

    /// A cell with or without `bias_ih` and `bias_hh`.
    pub fn with_bias(input_size: usize, hidden_size: usize, bias: bool) -> GRUCell {
        GRUCell {
            weights: RnnWeights::new(input_size, hidden_size, 3, bias),
            input_size,
            hidden_size,
        }
    }

    /// `h'` after reading `input` from `h` (zeros if `None`).
    ///
    /// # Panics
    /// If the input is not `[B, input_size]` or `[input_size]`, or `h`'s shape is
    /// not `[B, hidden_size]` (`[hidden_size]` unbatched).
    #[track_caller]
    pub fn forward(&self, input: &Var, h: Option<&Var>) -> Var {
        let name = format!("GRUCell({}, {})", self.input_size, self.hidden_size);
        let (x, batched) = cell_input("GRUCell", &name, self.input_size, input);
        let h = cell_state("GRUCell", &name, "h", h, &x, self.hidden_size);
        let w = &self.weights;
        let gates_x = w.project_input(&x);
        let gates_h = h.linear(&w.weight_hh, w.bias_hh.as_ref());
        unbatch(gru_step(&gates_x, &gates_h, &h), batched)
    }
}

impl Module for RNNCell {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.weights.visit(prefix, "", f);
    }
}

impl Module for LSTMCell {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.weights.visit(prefix, "", f);
    }
}

impl Module for GRUCell {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.weights.visit(prefix, "", f);
    }
}

/// Check a cell's input and bring it to `[B, C]`; also returns whether it was batched.
#[track_caller]
fn cell_input(op: &'static str, name: &str, input_size: usize, input: &Var) -> (Var, bool) {
    let shape = input.shape();
    if !(1..=2).contains(&shape.len()) || shape[shape.len() - 1] != input_size {
        Error::new(
            op,
            ErrorKind::Shape,
            format!(
                "{name}: input has shape {shape:?}, expected [B, {input_size}] or [{input_size}]"
            ),
        )
        .raise();
    }
    match shape.len() {
        1 => (input.unsqueeze(0), false),
        _ => (input.clone(), true),
    }
}

/// Check a cell's state against the (batched) input `x: [B, C]`; zeros if `None`.
#[track_caller]
fn cell_state(
    op: &'static str,
    name: &str,
    label: &str,
    state: Option<&Var>,
    x: &Var,
    hidden: usize,
) -> Var {
    let batch = x.shape()[0];
    let Some(state) = state else {
        return Var::new(tensor::Tensor::full_dtype(&[batch, hidden], 0.0, x.dtype()));
    };
    match state.shape().as_slice() {
        [b, h] if *b == batch && *h == hidden => state.clone(),
        [h] if *h == hidden && batch == 1 => state.unsqueeze(0),
        other => Error::new(
            op,
            ErrorKind::Shape,
            format!("{name}: {label} has shape {other:?}, expected [{batch}, {hidden}] (batch of the input, hidden_size)"),
        )
        .raise(),
    }
}

fn unbatch(v: Var, batched: bool) -> Var {
    if batched { v } else { v.squeeze(0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::rnn::RnnConfig;
    use crate::layers::rnn::gru::GRU;
    use crate::layers::rnn::lstm::LSTM;
    use crate::layers::rnn::rnn::RNN;
    use tensor::{DType, Tensor};

    #[test]
    fn names_and_counts_follow_pytorch() {
        let names: Vec<String> = LSTMCell::new(3, 2)
            .named_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]);
        assert_eq!(
            LSTMCell::new(10, 20).num_parameters(),
            80 * 10 + 80 * 20 + 2 * 80
        );
        assert_eq!(GRUCell::with_bias(10, 20, false).num_parameters(), 60 * 30);
        assert_eq!(RNNCell::new(10, 20).num_parameters(), 20 * 30 + 2 * 20);
    }

    fn copy_weights(from: &RnnWeights, to: &RnnWeights) {
        to.weight_ih.set_value(from.weight_ih.value());
        to.weight_hh.set_value(from.weight_hh.value());
        to.bias_ih
            .as_ref()
            .unwrap()
            .set_value(from.bias_ih.as_ref().unwrap().value());
        to.bias_hh
            .as_ref()
            .unwrap()
            .set_value(from.bias_hh.as_ref().unwrap().value());
    }

    fn close(a: &Var, b: &Var, tol: f64) {
        let (a, b): (Vec<f64>, Vec<f64>) = (a.value().to_vec(), b.value().to_vec());
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= tol),
            "{a:?} vs {b:?}"
        );
    }

    #[test]
    fn cells_looped_over_time_equal_the_one_layer_modules() {
        let x = Tensor::randn(&[3, 2, 4]).to_dtype(DType::F64);
        let step = |t: usize| Var::new(x.narrow(0, t, 1).reshape(&[2, 4]));
        let lstm = LSTM::with_config(RnnConfig::new(4, 3));
        let cell = LSTMCell::new(4, 3);
        copy_weights(&lstm.weights[0], &cell.weights);
        for m in [&lstm as &dyn Module, &cell] {
            m.to_dtype(DType::F64);
        }
        let (mut h, mut c) = cell.forward(&step(0), None);
        for t in 1..3 {
            (h, c) = cell.forward(&step(t), Some((&h, &c)));
        }
        let (_, (h_n, c_n)) = lstm.forward(&Var::new(x.clone()), None);
        close(&h, &h_n, 1e-12);
        close(&c, &c_n, 1e-12);

        let gru = GRU::new(4, 3);
        let cell = GRUCell::new(4, 3);
        copy_weights(&gru.weights[0], &cell.weights);
        let x = x.to_dtype(DType::F32);
        let step = |t: usize| Var::new(x.narrow(0, t, 1).reshape(&[2, 4]));
        let mut h = cell.forward(&step(0), None);
        for t in 1..3 {
            h = cell.forward(&step(t), Some(&h));
        }
        let (_, h_n) = gru.forward(&Var::new(x.clone()), None);
        close(&h, &h_n, 1e-6);

        for act in [Nonlinearity::Tanh, Nonlinearity::ReLU] {
            let rnn = RNN::new(4, 3).nonlinearity(act);
            let cell = RNNCell::new(4, 3).nonlinearity(act);
            copy_weights(&rnn.weights[0], &cell.weights);
            let mut h = cell.forward(&step(0), None);
            for t in 1..3 {
                h = cell.forward(&step(t), Some(&h));
            }
            let (_, h_n) = rnn.forward(&Var::new(x.clone()), None);
            close(&h, &h_n, 1e-6);
        }
    }

    #[test]
    fn unbatched_input_gives_unbatched_state() {
        let h = GRUCell::new(3, 2).forward(&Var::new(Tensor::ones(&[3])), None);
        assert_eq!(h.shape(), vec![2]);
        let (h, c) = LSTMCell::new(3, 2).forward(&Var::new(Tensor::ones(&[3])), Some((&h, &h)));
        assert_eq!((h.shape(), c.shape()), (vec![2], vec![2]));
    }

    #[test]
    #[should_panic(
        expected = "LSTMCell: LSTMCell(3, 2): input has shape [4, 5], expected [B, 3] or [3]"
    )]
    fn wrong_input_is_named() {
        LSTMCell::new(3, 2).forward(&Var::new(Tensor::ones(&[4, 5])), None);
    }

    #[test]
    #[should_panic(expected = "GRUCell(3, 2): h has shape [5, 2], expected [4, 2]")]
    fn wrong_state_is_named() {
        let h = Var::new(Tensor::zeros(&[5, 2]));
        GRUCell::new(3, 2).forward(&Var::new(Tensor::ones(&[4, 3])), Some(&h));
    }
}
