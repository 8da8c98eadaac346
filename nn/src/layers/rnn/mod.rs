//! Recurrent layers, as `torch.nn.{RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell}`.
//!
//! A recurrent layer reads a sequence one step at a time, carrying a state:
//!
//! ```text
//! h_t = cell(x_t, h_{t−1})                      t = 0 .. T−1
//!
//! every gate is an affine map of x_t plus an affine map of h_{t−1}:
//!   gates_x = x_t · W_ihᵀ + b_ih        [B, G·H]   (G = 1 for RNN, 4 for LSTM, 3 for GRU)
//!   gates_h = h_{t−1} · W_hhᵀ + b_hh    [B, G·H]
//! ```
//! `gates_x` does not depend on the state, so a layer computes it for every time step
//! at once, with one matmul over `[T·B, input_size]`; only `gates_h` (one matmul of
//! `[B, H]` by `[H, G·H]`) stays inside the loop over time. The gates are then the
//! `G` column blocks of the sum, in PyTorch's order (LSTM i, f, g, o; GRU r, z, n;
//! the plain RNN's one block is the new state before its tanh or relu).
//!
//! Stacking and directions (PyTorch's `num_layers`, `bidirectional`):
//! ```text
//! layer 0 reads the input; layer k reads layer k−1's output (after dropout, in training)
//! a bidirectional layer runs a second set of weights (suffix `_reverse`) from t = T−1
//! down to 0, and its output is cat([forward h_t, reverse h_t], features)
//! ```
//! Files: [`rnn`] (the plain RNN, one equation), [`lstm`] (the LSTM equations),
//! [`gru`], [`cell`] (one step, no loop), and `stack` (the loop over layers,
//! directions and time that all three share).
//! Read [`rnn`] first. Read next: the attention layers.

pub mod cell;
pub mod gru;
pub mod lstm;
#[allow(clippy::module_inception)]
pub mod rnn;
mod stack;

use autograd::Var;
use tensor::error::{Error, ErrorKind};

use crate::init;

/// The options of a multi-layer [`rnn::RNN`], [`lstm::LSTM`] or [`gru::GRU`] (PyTorch's
/// constructor arguments), built with setters:
/// `RnnConfig::new(10, 20).num_layers(2).bidirectional(true)`.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnConfig {
    /// Features per time step of the input (`C`).
    pub input_size: usize,
    /// Features of the hidden state (`H`).
    pub hidden_size: usize,
    /// Layers stacked on top of each other (default 1).
    pub num_layers: usize,
    /// Whether the layers have the biases `b_ih` and `b_hh` (default true).
    pub bias: bool,
    /// Input and output are `[B, T, C]` instead of `[T, B, C]` (default false). The
    /// states stay `[num_layers·num_directions, B, H]`, as in PyTorch.
    pub batch_first: bool,
    /// Dropout probability on the output of every layer except the last, in training
    /// only (default 0).
    pub dropout: f64,
    /// Also run each layer from the end of the sequence to the start (default false).
    pub bidirectional: bool,
}

impl RnnConfig {
    /// One unidirectional layer with biases, time-major, no dropout (PyTorch's defaults).
    pub fn new(input_size: usize, hidden_size: usize) -> RnnConfig {
        RnnConfig {
            input_size,
            hidden_size,
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: false,
        }
    }

    /// Set the number of stacked layers.
    pub fn num_layers(mut self, num_layers: usize) -> RnnConfig {
        self.num_layers = num_layers;
        self
    }

    /// Set whether the layers have biases.
    pub fn bias(mut self, bias: bool) -> RnnConfig {
        self.bias = bias;
        self
    }

    /// Set whether input and output are batch-major (`[B, T, C]`).
    pub fn batch_first(mut self, batch_first: bool) -> RnnConfig {
        self.batch_first = batch_first;
        self
    }

    /// Set the dropout probability between layers.
    pub fn dropout(mut self, dropout: f64) -> RnnConfig {
        self.dropout = dropout;
        self
    }

    /// Set whether every layer also runs backwards in time.
    pub fn bidirectional(mut self, bidirectional: bool) -> RnnConfig {
        self.bidirectional = bidirectional;
        self
    }

    /// 2 if bidirectional, else 1.
    pub fn num_directions(&self) -> usize {
        if self.bidirectional { 2 } else { 1 }
    }

    /// The layer as PyTorch prints it, for error messages:
    /// `LSTM(3, 2, num_layers=2, batch_first=true, bidirectional=true)`.
    pub fn describe(&self, layer: &str) -> String {
        let mut s = format!("{layer}({}, {}", self.input_size, self.hidden_size);
        if self.num_layers != 1 {
            s += &format!(", num_layers={}", self.num_layers);
        }
        if !self.bias {
            s += ", bias=false";
        }
        if self.batch_first {
            s += ", batch_first=true";
        }
        if self.dropout != 0.0 {
            s += &format!(", dropout={}", self.dropout);
        }
        if self.bidirectional {
            s += ", bidirectional=true";
        }
        s + ")"
    }

    /// Panics unless the sizes are positive and dropout is a probability.
    #[track_caller]
    fn validate(&self, layer: &'static str) {
        let problem = if self.hidden_size == 0 {
            "hidden_size must be positive"
        } else if self.num_layers == 0 {
            "num_layers must be at least 1"
        } else if !(0.0..=1.0).contains(&self.dropout) {
            "dropout must be a probability in [0, 1]"
        } else {
            return;
        };
        Error::new(
            layer,
            ErrorKind::Value,
            format!("{}: {problem}", self.describe(layer)),
        )
        .raise();
    }
}

/// The parameters of one layer in one direction (or of one cell).
///
/// ```text
/// weight_ih: [G·H, input]   the G gates' input weights, stacked by rows (PyTorch's layout)
/// weight_hh: [G·H, H]       the G gates' hidden weights
/// bias_ih, bias_hh: [G·H]   (both exist, as in PyTorch, although only their sum matters
///                            for LSTM; GRU's candidate gate uses b_hn inside r ⊙ (..))
/// ```
pub struct RnnWeights {
    /// `[G·H, input]`.
    pub weight_ih: Var,
    /// `[G·H, H]`.
    pub weight_hh: Var,
    /// `[G·H]`, if the layer has biases.
    pub bias_ih: Option<Var>,
    /// `[G·H]`, if the layer has biases.
    pub bias_hh: Option<Var>,
}

impl RnnWeights {
    /// `gates` gates of `hidden_size` units reading `input_size` features, every entry
    /// drawn from PyTorch's U(−1/√hidden_size, 1/√hidden_size), in parameter order.
    pub fn new(input_size: usize, hidden_size: usize, gates: usize, bias: bool) -> RnnWeights {
        let k = 1.0 / (hidden_size.max(1) as f64).sqrt();
        let rows = gates * hidden_size;
        let draw = |shape: &[usize]| Var::param(init::uniform(shape, -k, k));
        let weight_ih = draw(&[rows, input_size]);
        let weight_hh = draw(&[rows, hidden_size]);
        RnnWeights {
            weight_ih,
            weight_hh,
            bias_ih: bias.then(|| draw(&[rows])),
            bias_hh: bias.then(|| draw(&[rows])),
        }
    }

    /// Visit the four parameters in PyTorch's order as `{prefix}weight_ih{suffix}`, ..
    /// (suffix `_l0`, `_l1_reverse`, or empty for a cell).
    pub fn visit(&self, prefix: &str, suffix: &str, f: &mut dyn FnMut(&str, &Var)) {
        f(&format!("{prefix}weight_ih{suffix}"), &self.weight_ih);
        f(&format!("{prefix}weight_hh{suffix}"), &self.weight_hh);
        if let Some(b) = &self.bias_ih {
            f(&format!("{prefix}bias_ih{suffix}"), b);
        }
        if let Some(b) = &self.bias_hh {
            f(&format!("{prefix}bias_hh{suffix}"), b);
        }
    }

    /// `b_ih + b_hh` (if the layer has biases): all that reaches the gates of an RNN
    /// or LSTM, so the layer adds it once to `x · W_ihᵀ` for all steps.
    pub fn summed_biases(&self) -> Option<Var> {
        match (&self.bias_ih, &self.bias_hh) {
            (Some(b_ih), Some(b_hh)) => Some(b_ih + b_hh),
            _ => None,
        }
    }

    /// `x · W_ihᵀ + b_ih` for `x: [N, input]` (N = T·B rows at once) → `[N, G·H]`.
    pub fn project_input(&self, x: &Var) -> Var {
        x.linear(&self.weight_ih, self.bias_ih.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_the_non_default_options() {
        let c = RnnConfig::new(3, 2)
            .num_layers(2)
            .batch_first(true)
            .bidirectional(true);
        assert_eq!(
            c.describe("LSTM"),
            "LSTM(3, 2, num_layers=2, batch_first=true, bidirectional=true)"
        );
        assert_eq!(
            RnnConfig::new(4, 5)
                .bias(false)
                .dropout(0.5)
                .describe("GRU"),
            "GRU(4, 5, bias=false, dropout=0.5)"
        );
        assert_eq!(c.num_directions(), 2);
    }

    #[test]
    fn weights_have_pytorch_shapes_names_and_bounds() {
        let w = RnnWeights::new(3, 4, 4, true);
        let mut seen = Vec::new();
        w.visit("rnn.", "_l0", &mut |n, p| {
            seen.push((n.to_string(), p.shape()))
        });
        let names: Vec<(&str, Vec<usize>)> =
            seen.iter().map(|(n, s)| (n.as_str(), s.clone())).collect();
        assert_eq!(
            names,
            vec![
                ("rnn.weight_ih_l0", vec![16, 3]),
                ("rnn.weight_hh_l0", vec![16, 4]),
                ("rnn.bias_ih_l0", vec![16]),
                ("rnn.bias_hh_l0", vec![16]),
            ]
        );
        // bound 1/√4 = 0.5 for every parameter
        let values: Vec<f64> = w.weight_hh.value().to_vec();
        assert!(values.iter().all(|v| v.abs() <= 0.5));
        assert!(values.iter().any(|v| v.abs() > 0.3));
        assert!(RnnWeights::new(3, 4, 3, false).bias_ih.is_none());
    }

    #[test]
    #[should_panic(
        expected = "LSTM: LSTM(3, 2, dropout=1.5): dropout must be a probability in [0, 1]"
    )]
    fn bad_dropout_is_named() {
        RnnConfig::new(3, 2).dropout(1.5).validate("LSTM");
    }

    #[test]
    #[should_panic(expected = "GRU(3, 0): hidden_size must be positive")]
    fn zero_hidden_size_is_named() {
        RnnConfig::new(3, 0).validate("GRU");
    }
}
