//! The loop that LSTM and GRU share: over layers, directions and time steps.
//!
//! ```text
//! x: [T, B, C] (time-major; batch_first input is transposed first)
//! for layer k in 0 .. num_layers:
//!     if k > 0: x = dropout(x)                               (training only)
//!     for direction d in forward (, reverse):
//!         gates_x = x · W_ihᵀ + b_ih          one matmul over [T·B, C] → [T, B, G·H]
//!         for t in 0 .. T   (T−1 down to 0 for reverse):      (Recurrence::sequence)
//!             gates_h = h · W_hhᵀ + b_hh      one matmul [B, H] · [H, G·H]
//!             (LSTM adds b_hh to gates_x instead: one add for all steps, not T)
//!             state   = step(gates_x[t], gates_h, state)   (the LSTM or GRU equations)
//!             out_d[t] = h
//!     x = cat(out_forward, out_reverse) along features       [T, B, D·H]
//! output = x,   final states: one per (layer, direction), index k·D + d
//! ```
//! What differs between RNN, LSTM and GRU (the state, the number of gates, the loop
//! over time) is the [`Recurrence`] trait, implemented in `rnn.rs`, `lstm.rs` and
//! `gru.rs`. RNN's and GRU's loop is [`step_by_step`], a few graph nodes per step;
//! LSTM's is one autograd op for the
//! whole sequence (`ferrograd::autograd::ops::lstm`), which also computes `∂L/∂W_hh` as one
//! product over all steps instead of one per step.

use autograd::Var;
use tensor::DType;
use tensor::error::{Error, ErrorKind};

use super::{RnnConfig, RnnWeights};

/// One recurrent cell type, as the shared loop sees it (implemented by the layers).
pub(crate) trait Recurrence {
    /// What is carried between steps: `(h, c)` for LSTM, `h` for RNN and GRU.
    type State: Clone;
    /// Gates per unit: 4 for LSTM, 3 for GRU, 1 for RNN.
    const GATES: usize;
    /// The biases to add to `x·W_ihᵀ` (once, for all steps) and to `h·W_hhᵀ` (at
    /// every step). RNN and LSTM only use `b_ih + b_hh`, so they add both up front.
    fn biases(w: &RnnWeights) -> (Option<Var>, Option<Var>);
    /// One direction of one layer over the whole sequence, from
    /// `gates_x = x·W_ihᵀ + b_ih` (`[T, B, G·H]`, every step at once) and the initial
    /// state: every step's `h` (`[T, B, H]`, in time order) and the final state.
    /// RNN and GRU run [`step_by_step`]; LSTM runs the whole-sequence op `Var::lstm`.
    fn sequence(
        &self,
        gates_x: &Var,
        w: &RnnWeights,
        hidden_bias: Option<&Var>,
        initial: Self::State,
        reverse: bool,
    ) -> (Var, Self::State);
}

/// The recurrence as a graph of per-step nodes, for a cell whose state is `h` alone:
/// `gates_h = h·W_hhᵀ + b_hh`, then `h = step(gates_x[t], gates_h, h)` for each `t`
/// (`T−1` down to `0` when `reverse`). Returns `([T, B, H]` in time order, `h_last)`.
pub(crate) fn step_by_step(
    gates_x: &Var,
    w: &RnnWeights,
    hidden_bias: Option<&Var>,
    h_0: Var,
    reverse: bool,
    step: impl Fn(&Var, &Var, &Var) -> Var,
) -> (Var, Var) {
    let gates_x = split_steps(gates_x);
    let steps = gates_x.len();
    let mut h = h_0;
    let mut hs = Vec::with_capacity(steps);
    let order: Vec<usize> = if reverse {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    };
    for t in order {
        let gates_h = h.linear(&w.weight_hh, hidden_bias);
        h = step(&gates_x[t], &gates_h, &h);
        hs.push(h.clone());
    }
    if reverse {
        hs.reverse(); // output[t] is the state after reading x_t, in time order
    }
    (Var::stack(&hs, 0), h)
}

/// Run every layer and direction of `recurrence` over a time-major input `[T, B, C]`,
/// starting from `initial` (one state per layer and direction, index
/// `layer·D + direction`). Returns the last layer's output `[T, B, D·H]` and the final
/// states, same order.
pub(crate) fn run<R: Recurrence>(
    recurrence: &R,
    config: &RnnConfig,
    weights: &[RnnWeights],
    input: &Var,
    initial: Vec<R::State>,
    training: bool,
) -> (Var, Vec<R::State>) {
    let (steps, batch) = (input.shape()[0], input.shape()[1]);
    let dirs = config.num_directions();
    let mut initial = initial.into_iter();
    let mut finals = Vec::with_capacity(weights.len());
    let mut x = input.clone();
    for layer in 0..config.num_layers {
        if layer > 0 {
            x = x.dropout(config.dropout, training);
        }
        let rows = x.reshape(&[steps * batch, x.shape()[2]]);
        let mut outputs = Vec::with_capacity(dirs);
        for reverse in [false, true].into_iter().take(dirs) {
            let w = &weights[layer * dirs + usize::from(reverse)];
            let (input_bias, hidden_bias) = R::biases(w);
            let gates_x = rows.linear(&w.weight_ih, input_bias.as_ref()).reshape(&[
                steps,
                batch,
                R::GATES * config.hidden_size,
            ]);
            let state = initial
                .next()
                .expect("one initial state per layer and direction");
            let (output, state) =
                recurrence.sequence(&gates_x, w, hidden_bias.as_ref(), state, reverse);
            outputs.push(output);
            finals.push(state);
        }
        x = match outputs.len() {
            1 => outputs.remove(0),
            _ => Var::cat(&outputs, 2),
        };
    }
    (x, finals)
}

/// The parameters of every layer and direction of a stack with `gates` gates per
/// unit, index `layer·D + direction`: layer 0 reads `input_size` features, the layers
/// above read both directions of the one below (`D·H`).
pub(crate) fn layer_weights(config: &RnnConfig, gates: usize) -> Vec<RnnWeights> {
    let dirs = config.num_directions();
    (0..config.num_layers * dirs)
        .map(|k| {
            let input = if k < dirs {
                config.input_size
            } else {
                dirs * config.hidden_size
            };
            RnnWeights::new(input, config.hidden_size, gates, config.bias)
        })
        .collect()
}

/// Visit the parameters of [`layer_weights`] under PyTorch's names: `weight_ih_l{k}`,
/// .., with suffix `_reverse` for the backward direction.
pub(crate) fn visit_layers(
    config: &RnnConfig,
    weights: &[RnnWeights],
    prefix: &str,
    f: &mut dyn FnMut(&str, &Var),
) {
    let dirs = config.num_directions();
    for (k, w) in weights.iter().enumerate() {
        let reverse = if k % dirs == 1 { "_reverse" } else { "" };
        w.visit(prefix, &format!("_l{}{reverse}", k / dirs), f);
    }
}

/// `[T, B, N]` → T pieces `[B, N]`, split by halves rather than one `narrow` per step:
/// each `narrow`'s backward pads its gradient with zeros back to the full input, so
/// T slices of the full tensor would cost O(T²) in the backward pass; halving costs
/// O(T log T).
fn split_steps(x: &Var) -> Vec<Var> {
    let steps = x.shape()[0];
    if steps == 1 {
        return vec![x.squeeze(0)];
    }
    let half = steps / 2;
    let mut pieces = split_steps(&x.narrow(0, 0, half));
    pieces.extend(split_steps(&x.narrow(0, half, steps - half)));
    pieces
}

/// Check a sequence input and bring it to `[T, B, C]`; also returns whether it had a
/// batch dim (a 2-D input `[T, C]` is one unbatched sequence, as in PyTorch).
#[track_caller]
pub(crate) fn time_major(config: &RnnConfig, layer: &'static str, input: &Var) -> (Var, bool) {
    let shape = input.shape();
    let layout = if config.batch_first {
        "[B, T, input_size]"
    } else {
        "[T, B, input_size]"
    };
    let fail = |problem: String| -> ! {
        Error::new(
            layer,
            ErrorKind::Shape,
            format!("{}: {problem} (shape {shape:?})", config.describe(layer)),
        )
        .with_hint(format!(
            "the input is {layout}, or [T, input_size] for one unbatched sequence"
        ))
        .raise()
    };
    if !(2..=3).contains(&shape.len()) {
        fail(format!("input must be 2-D or 3-D, got {}-D", shape.len()));
    }
    if shape[shape.len() - 1] != config.input_size {
        fail(format!(
            "input's last dim is {}, expected input_size={}",
            shape[shape.len() - 1],
            config.input_size
        ));
    }
    if shape.contains(&0) {
        fail("the input has an empty dim".to_string());
    }
    match (shape.len(), config.batch_first) {
        (2, _) => (input.unsqueeze(1), false),
        (_, true) => (input.transpose(0, 1), true),
        _ => (input.clone(), true),
    }
}

/// Undo [`time_major`] on an output `[T, B, D·H]`.
pub(crate) fn restore_layout(config: &RnnConfig, output: Var, batched: bool) -> Var {
    match (batched, config.batch_first) {
        (false, _) => output.squeeze(1),
        (true, true) => output.transpose(0, 1),
        (true, false) => output,
    }
}

/// Check an initial state (`h_0` or `c_0`, `[L·D, B, H]`, or `[L·D, H]` unbatched) and
/// split it into one `[B, H]` per layer and direction; zeros when `None`.
#[track_caller]
pub(crate) fn initial_states(
    config: &RnnConfig,
    layer: &'static str,
    label: &str,
    state: Option<&Var>,
    (batch, batched): (usize, bool),
    dtype: DType,
) -> Vec<Var> {
    let count = config.num_layers * config.num_directions();
    let hidden = config.hidden_size;
    let Some(state) = state else {
        let zeros = Var::new(tensor::Tensor::full_dtype(&[batch, hidden], 0.0, dtype));
        return vec![zeros; count];
    };
    let expected = if batched {
        vec![count, batch, hidden]
    } else {
        vec![count, hidden]
    };
    if state.shape() != expected {
        Error::new(
            layer,
            ErrorKind::Shape,
            format!(
                "{}: {label} has shape {:?}, expected {expected:?}",
                config.describe(layer),
                state.shape()
            ),
        )
        .with_hint("states are [num_layers·num_directions, B, hidden_size], even with batch_first")
        .raise();
    }
    (0..count)
        .map(|k| {
            let s = state.select(0, k);
            if batched { s } else { s.unsqueeze(0) }
        })
        .collect()
}

/// Stack per-layer-and-direction final states `[B, H]` into `[L·D, B, H]` (`[L·D, H]`
/// unbatched).
pub(crate) fn stack_states(states: &[Var], batched: bool) -> Var {
    let stacked = Var::stack(states, 0);
    if batched { stacked } else { stacked.squeeze(1) }
}
