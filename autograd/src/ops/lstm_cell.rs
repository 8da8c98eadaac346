//! `lstm_cell`: the elementwise part of one LSTM step as one op (PyTorch's gate order
//! i, f, g, o; `nn`'s LSTMCell and the whole-sequence `lstm` op call it once per step).
//!
//! ```text
//! forward:   a: [B, 4H] gate pre-activations,  c: [B, H]  →  [h', c']: [2, B, H]
//!            i, f, o = σ(a_i), σ(a_f), σ(a_o)    g = tanh(a_g)
//!            c' = f ⊙ c + i ⊙ g                  h' = o ⊙ tanh(c')
//! backward:  dc   = dc' + dh ⊙ o ⊙ (1 − tanh²(c'))
//!            ∂L/∂a = [dc⊙g⊙i(1−i) | dc⊙c⊙f(1−f) | dc⊙i⊙(1−g²) | dh⊙tanh(c')⊙o(1−o)]
//!            ∂L/∂c = dc ⊙ f
//! ```
//! (chain rule through each line of the forward; `σ' = σ(1 − σ)`, `tanh' = 1 − tanh²`,
//! both from saved outputs). The composite of `sigmoid`, `tanh`, `*` and `+` gives the
//! same numbers (tested below) with 12 graph nodes and their buffers per step, which
//! for a batch of 32 costs more than the arithmetic. Saves the four activations, `c`
//! and `tanh(c')`; the kernels are in `tensor::lstm_cell`.
//! `nn::layers::rnn::cell::LSTMCell` runs it once per call, and [`crate::ops::lstm`]
//! once per time step inside its one node. Read next: [`crate::ops::lstm`].

use tensor::Tensor;
use tensor::lstm_cell::LstmCellCache;

use crate::function::{Function, record};
use crate::var::Var;

/// The `lstm_cell` op; holds what its backward formulas read.
pub struct LstmCell {
    cache: LstmCellCache,
}

impl LstmCell {
    /// `[h', c']` from the gate pre-activations and the previous cell.
    #[track_caller]
    pub fn forward(gates: &Tensor, c: &Tensor) -> (Tensor, LstmCell) {
        let (out, cache) = gates.lstm_cell(c);
        (out, LstmCell { cache })
    }
}

impl Function for LstmCell {
    fn name(&self) -> &'static str {
        "lstm_cell"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let (d_gates, d_c) = self.cache.backward(grad_out);
        vec![Some(d_gates), Some(d_c)]
    }
}

impl Var {
    /// One LSTM step after the matmuls: `self` holds the gate pre-activations
    /// `x·W_ihᵀ + h·W_hhᵀ + b` (blocks i, f, g, o), `c` the previous cell state.
    /// Returns `(h', c')` (formulas in the module doc).
    ///
    /// # Shapes
    /// `self: [B, 4H]`, `c: [B, H]` → `(h': [B, H], c': [B, H])`.
    ///
    /// # Panics
    /// If the shapes are not `[B, 4H]` and `[B, H]` (naming both), or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use autograd::Var; use tensor::Tensor;
    /// let gates = Var::param(Tensor::zeros(&[1, 4])); // i = f = o = ½, g = 0
    /// let c = Var::new(Tensor::from_vec(vec![2.0], &[1, 1]));
    /// let (h, c_next) = gates.lstm_cell(&c);
    /// assert_eq!(c_next.value().to_vec::<f32>(), vec![1.0]); // ½·2 + ½·0
    /// assert!((h.value().item() - 0.5 * 1f64.tanh()).abs() < 1e-7); // ½·tanh(1)
    /// ```
    #[track_caller]
    pub fn lstm_cell(&self, c: &Var) -> (Var, Var) {
        let out = record(LstmCell::forward(&self.value(), &c.value()), &[self, c]);
        (out.select(0, 0), out.select(0, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    /// The same step from separate ops.
    fn composite(a: &Var, c: &Var) -> (Var, Var) {
        let gates = a.chunk(4, -1);
        let (i, f) = (gates[0].sigmoid(), gates[1].sigmoid());
        let (g, o) = (gates[2].tanh(), gates[3].sigmoid());
        let c_next = &(&f * c) + &(&i * &g);
        (&o * &c_next.tanh(), c_next)
    }

    #[test]
    fn values_and_gradients_equal_the_composite() {
        let a = Tensor::randn(&[3, 12]).mul_scalar(2.0).to_dtype(DType::F64);
        let c = Tensor::randn(&[3, 3]).to_dtype(DType::F64);
        let (wh, wc) = (Tensor::randn(&[3, 3]), Tensor::randn(&[3, 3]));
        let run = |fused: bool| {
            let (av, cv) = (Var::param(a.clone()), Var::param(c.clone()));
            let (h, c_next) = if fused {
                av.lstm_cell(&cv)
            } else {
                composite(&av, &cv)
            };
            let weigh = |v: &Var, w: &Tensor| (v * &Var::new(w.to_dtype(DType::F64))).sum();
            (&weigh(&h, &wh) + &weigh(&c_next, &wc)).backward();
            [
                h.value(),
                c_next.value(),
                av.grad().unwrap(),
                cv.grad().unwrap(),
            ]
            .map(|t| t.to_vec::<f64>())
        };
        for (fused, plain) in run(true).iter().zip(run(false)) {
            for (x, y) in fused.iter().zip(&plain) {
                assert!((x - y).abs() < 1e-14, "{fused:?} vs {plain:?}");
            }
        }
    }

    #[test]
    fn gradcheck_gates_and_cell() {
        let a = Tensor::randn(&[2, 8]).to_dtype(DType::F64);
        let c = Tensor::randn(&[2, 2]).to_dtype(DType::F64);
        gradcheck(
            |v| {
                let (h, c_next) = v[0].lstm_cell(&v[1]);
                Var::cat(&[h, c_next], 1)
            },
            &[a, c],
        )
        .assert_passed();
    }

    #[test]
    #[should_panic(
        expected = "lstm_cell: gates have shape [2, 8] and the cell [3, 2], expected [B, 4H] and [B, H]"
    )]
    fn mismatched_batch_is_named() {
        Var::new(Tensor::zeros(&[2, 8])).lstm_cell(&Var::new(Tensor::zeros(&[3, 2])));
    }
}
