//! `lstm`: one LSTM layer over a whole sequence, in one direction, as one op (what
//! `nn::LSTM` runs; `LSTMCell` keeps the per-step [`crate::ops::lstm_cell`]). A fused
//! op: read [`lstm_reference`] first, the same layer as a graph of per-step nodes.
//!
//! ```text
//! inputs:  gates_x: [T, B, 4H]  x_t·W_ihᵀ + b, computed for all steps at once outside
//!          h_0, c_0: [B, H]     W_hh: [4H, H]
//! forward, for t = 0 .. T−1 (T−1 down to 0 when reversed):
//!          a_t = gates_x[t] + h_{t−1} · W_hhᵀ                 [B, 4H]
//!          (h_t, c_t) = lstm_cell(a_t, c_{t−1})               (the gate equations)
//! output:  y = [h_0 .. h_{T−1}, c_last]: [T + 1, B, H]   (the last row is the final cell)
//!
//! backward (BPTT), from dy, walking the steps in the opposite order:
//!          dh = dy[t] + dh_carry,  dc = dc_carry  (dc_carry starts as dy[T])
//!          (da_t, dc_carry) = lstm_cell backward(dh, dc)
//!          dh_carry = da_t · W_hh                             [B, H]
//! ∂L/∂gates_x = [da_0 .. da_{T−1}]                           [T, B, 4H]
//! ∂L/∂W_hh   = Σ_t da_tᵀ · h_{t−1} = DAᵀ · H_prev            one [4H, T·B]·[T·B, H] product
//! ∂L/∂h_0    = dh_carry,   ∂L/∂c_0 = dc_carry                 (after the last step back)
//! ```
//! Why fused: the reference has a dozen nodes per step and its weight gradient is T
//! small products (inner size B = 32), each added into `∂L/∂W_hh`; here the graph has
//! one node, each step's cell backward is [`LstmCell`]'s one pass, and `∂L/∂W_hh` is
//! one product over all `T·B` rows, as in PyTorch and cuDNN. Saves each step's
//! [`LstmCell`] (its activations), every `h_{t−1}` (for `∂L/∂W_hh`) and `W_hh`. Its
//! tests check values and gradients against the reference.
//! Read next: [`crate::ops::index_select`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};

use crate::function::{Function, record};
use crate::ops::lstm_cell::{LstmCell, lstm_cell_reference};
use crate::var::Var;

/// One LSTM layer from per-step primitive ops, the definition the fused [`Var::lstm`]
/// is tested against: for each step, `a_t = gates_x[t] + h·W_hhᵀ`, then
/// [`lstm_cell_reference`]. Arguments and results as [`Var::lstm`].
///
/// # Shapes
/// `gates_x: [T, B, 4H]`, `h_0`, `c_0`: `[B, H]`, `weight_hh: [4H, H]` →
/// `(output: [T, B, H], (h_n: [B, H], c_n: [B, H]))`.
///
/// # Panics
/// If the shapes do not fit (the message comes from the op that finds out).
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::lstm::lstm_reference; use ferrograd::tensor::Tensor;
/// let gates_x = Var::new(Tensor::zeros(&[2, 1, 4])); // i = f = o = ½, g = 0
/// let (h_0, c_0) = (Var::new(Tensor::zeros(&[1, 1])), Var::new(Tensor::ones(&[1, 1])));
/// let w = Var::param(Tensor::zeros(&[4, 1]));
/// let (out, (_, c_n)) = lstm_reference(&gates_x, &h_0, &c_0, &w, false);
/// assert_eq!(out.shape(), vec![2, 1, 1]);
/// assert_eq!(c_n.value().to_vec::<f32>(), vec![0.25]); // halved at each step
/// ```
#[track_caller]
pub fn lstm_reference(
    gates_x: &Var,
    h_0: &Var,
    c_0: &Var,
    weight_hh: &Var,
    reverse: bool,
) -> (Var, (Var, Var)) {
    let w_t = weight_hh.t();
    let (mut h, mut c) = (h_0.clone(), c_0.clone());
    let steps = gates_x.shape()[0];
    let mut hs = vec![None; steps];
    for t in processing_order(steps, reverse) {
        (h, c) = lstm_cell_reference(&(&gates_x.select(0, t) + &h.matmul(&w_t)), &c);
        hs[t] = Some(h.clone());
    }
    let hs: Vec<Var> = hs.into_iter().map(|h| h.expect("every step ran")).collect();
    (Var::stack(&hs, 0), (h, c))
}

/// The `lstm` op; holds what BPTT reads.
pub struct Lstm {
    /// Each step's cell (its saved activations), in time order.
    cells: Vec<LstmCell>,
    /// `h_{t−1}` of every step (the state the step read), in time order: `[T, B, H]`.
    h_prev: Tensor,
    weight_hh: Tensor,
    reverse: bool,
}

/// Put items produced in processing order into time order.
fn in_time_order<X>(mut items: Vec<X>, reversed: bool) -> Vec<X> {
    if reversed {
        items.reverse();
    }
    items
}

impl Lstm {
    /// Run the recurrence (shapes already checked by [`Var::lstm`]).
    pub fn forward(
        gates_x: &Tensor,
        h_0: &Tensor,
        c_0: &Tensor,
        weight_hh: &Tensor,
        reverse: bool,
    ) -> (Tensor, Lstm) {
        let steps = gates_x.shape()[0];
        let weight_hh_t = weight_hh.t();
        let (mut h, mut c) = (h_0.clone(), c_0.clone());
        let mut cells = Vec::with_capacity(steps);
        let mut h_prev = Vec::with_capacity(steps);
        let mut hs = Vec::with_capacity(steps + 1);
        for t in processing_order(steps, reverse) {
            let mut a = h.matmul(&weight_hh_t);
            a += &gates_x.select(0, t);
            let (out, cell) = LstmCell::forward(&a, &c);
            h_prev.push(h);
            (h, c) = (out.select(0, 0), out.select(0, 1));
            hs.push(h.clone());
            cells.push(cell);
        }
        let mut hs = in_time_order(hs, reverse);
        hs.push(c);
        let lstm = Lstm {
            cells: in_time_order(cells, reverse),
            h_prev: Tensor::stack(&in_time_order(h_prev, reverse), 0),
            weight_hh: weight_hh.clone(),
            reverse,
        };
        (Tensor::stack(&hs, 0), lstm)
    }
}

/// `0 .. T`, or `T−1` down to `0` for the reverse direction.
fn processing_order(steps: usize, reverse: bool) -> Box<dyn Iterator<Item = usize>> {
    if reverse {
        Box::new((0..steps).rev())
    } else {
        Box::new(0..steps)
    }
}

impl Function for Lstm {
    fn name(&self) -> &'static str {
        "lstm"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let steps = self.cells.len();
        let mut dh_carry = Tensor::zeros_like(&grad_out.select(0, 0));
        let mut dc_carry = grad_out.select(0, steps);
        let mut d_gates = Vec::with_capacity(steps);
        // BPTT visits the steps in the opposite order to the forward pass
        for t in processing_order(steps, !self.reverse) {
            let dh = &grad_out.select(0, t) + &dh_carry;
            let (da, dc) = self.cells[t].gradients(&Tensor::stack(&[dh, dc_carry], 0));
            dh_carry = da.matmul(&self.weight_hh);
            dc_carry = dc;
            d_gates.push(da);
        }
        let d_gates = Tensor::stack(&in_time_order(d_gates, !self.reverse), 0); // [T, B, 4H]
        let (batch, hidden) = (dh_carry.shape()[0], dh_carry.shape()[1]);
        let rows = steps * batch;
        let d_weight_hh = d_gates
            .reshape(&[rows, 4 * hidden])
            .t()
            .matmul(&self.h_prev.reshape(&[rows, hidden]));
        vec![
            Some(d_gates),
            Some(dh_carry),
            Some(dc_carry),
            Some(d_weight_hh),
        ]
    }
}

impl Var {
    /// One LSTM layer in one direction over a whole sequence: `self` holds the input
    /// projections `gates_x[t] = x_t·W_ihᵀ + b_ih + b_hh` (blocks i, f, g, o) of every
    /// step; the op adds `h_{t−1}·W_hhᵀ` and applies the gate equations step by step
    /// (module doc). With `reverse`, the steps run from `T−1` down to `0`.
    /// Returns `(output, (h_n, c_n))`: every step's `h_t` in time order and the state
    /// after the last step processed.
    ///
    /// # Shapes
    /// `self: [T, B, 4H]`, `h_0`, `c_0`: `[B, H]`, `weight_hh: [4H, H]` →
    /// `(output: [T, B, H], (h_n: [B, H], c_n: [B, H]))`.
    ///
    /// # Panics
    /// If the shapes do not fit together (naming all four) or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// // zero pre-activations and weights: i = f = o = ½, g = 0, so the cell halves
    /// let gates_x = Var::new(Tensor::zeros(&[2, 1, 4]));
    /// let c_0 = Var::new(Tensor::from_vec(vec![4.0], &[1, 1]));
    /// let h_0 = Var::new(Tensor::zeros(&[1, 1]));
    /// let w = Var::param(Tensor::zeros(&[4, 1]));
    /// let (out, (h_n, c_n)) = gates_x.lstm(&h_0, &c_0, &w, false);
    /// assert_eq!(out.shape(), vec![2, 1, 1]);
    /// assert_eq!(c_n.value().to_vec::<f32>(), vec![1.0]); // 4 · ½ · ½
    /// assert!((h_n.value().item() - 0.5 * 1f64.tanh()).abs() < 1e-7);
    /// ```
    #[track_caller]
    pub fn lstm(&self, h_0: &Var, c_0: &Var, weight_hh: &Var, reverse: bool) -> (Var, (Var, Var)) {
        let values = [self, h_0, c_0, weight_hh].map(Var::value);
        let shapes = values.each_ref().map(|v| v.shape().to_vec());
        let fits = match (&shapes[0][..], &shapes[1][..], &shapes[3][..]) {
            ([t, b, g], [bh, h], [gw, hw]) => {
                *t > 0 && b == bh && *g == 4 * h && gw == g && hw == h && shapes[2] == shapes[1]
            }
            _ => false,
        };
        let dtype = values[0].dtype();
        if !fits || values.iter().any(|v| v.dtype() != dtype) {
            Error::new(
                "lstm",
                ErrorKind::Shape,
                format!(
                    "gates_x {:?}, h_0 {:?}, c_0 {:?}, weight_hh {:?} ({}): expected [T, B, 4H], \
                     [B, H], [B, H], [4H, H] of one dtype, T > 0",
                    shapes[0],
                    shapes[1],
                    shapes[2],
                    shapes[3],
                    values.map(|v| v.dtype().to_string()).join(", ")
                ),
            )
            .raise();
        }
        let steps = shapes[0][0];
        let [gates_x, h, c, w] = &values;
        let y = record(
            Lstm::forward(gates_x, h, c, w, reverse),
            &[self, h_0, c_0, weight_hh],
        );
        let last = if reverse { 0 } else { steps - 1 };
        let (h_n, c_n) = (y.select(0, last), y.select(0, steps));
        (y.narrow(0, 0, steps), (h_n, c_n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    fn randn64(shape: &[usize]) -> Tensor {
        Tensor::randn(shape).to_dtype(DType::F64)
    }

    /// Random f64 `gates_x: [T, B, 4H]`, `h_0`, `c_0: [B, H]`, `weight_hh: [4H, H]`.
    fn inputs(steps: usize, batch: usize, hidden: usize) -> [Tensor; 4] {
        [
            randn64(&[steps, batch, 4 * hidden]),
            randn64(&[batch, hidden]),
            randn64(&[batch, hidden]),
            randn64(&[4 * hidden, hidden]),
        ]
    }

    #[test]
    fn values_and_gradients_equal_the_reference() {
        let inputs = inputs(4, 3, 2);
        let weights = [randn64(&[4, 3, 2]), randn64(&[3, 2]), randn64(&[3, 2])];
        for reverse in [false, true] {
            let run = |fused: bool| {
                let v = inputs.clone().map(Var::param);
                let (out, (h_n, c_n)) = if fused {
                    v[0].lstm(&v[1], &v[2], &v[3], reverse)
                } else {
                    lstm_reference(&v[0], &v[1], &v[2], &v[3], reverse)
                };
                let loss = [out, h_n, c_n]
                    .iter()
                    .zip(&weights)
                    .map(|(y, w)| (y * &Var::new(w.clone())).sum())
                    .reduce(|a, b| &a + &b)
                    .unwrap();
                loss.backward();
                v.map(|p| p.grad().unwrap().to_vec::<f64>())
            };
            for (fused, plain) in run(true).iter().zip(run(false)) {
                for (x, y) in fused.iter().zip(&plain) {
                    assert!((x - y).abs() < 1e-12, "{fused:?} vs {plain:?}");
                }
            }
        }
    }

    #[test]
    fn gradcheck_both_directions() {
        let inputs = inputs(3, 2, 2);
        for reverse in [false, true] {
            gradcheck(
                |v| {
                    let (out, (h_n, c_n)) = v[0].lstm(&v[1], &v[2], &v[3], reverse);
                    let flat = |y: &Var| y.reshape(&[y.numel()]);
                    Var::cat(&[flat(&out), flat(&h_n), flat(&c_n)], 0)
                },
                &inputs,
            )
            .assert_passed();
        }
    }

    #[test]
    #[should_panic(
        expected = "lstm: gates_x [2, 3, 8], h_0 [3, 2], c_0 [3, 2], weight_hh [8, 3] (f32, f32, f32, f32): expected [T, B, 4H]"
    )]
    fn mismatched_weight_is_named() {
        let z = |s: &[usize]| Var::new(Tensor::zeros(s));
        z(&[2, 3, 8]).lstm(&z(&[3, 2]), &z(&[3, 2]), &z(&[8, 3]), false);
    }
}
