//! `lstm_cell`: the elementwise part of one LSTM step as one op (PyTorch's gate order
//! i, f, g, o; `nn`'s LSTMCell and the whole-sequence `lstm` op call it once per step).
//! A fused op: read [`lstm_cell_reference`] first, the same step from primitives.
//!
//! ```text
//! forward:   a: [B, 4H] gate pre-activations,  c: [B, H]  →  [h', c']: [2, B, H]
//!            i, f, o = σ(a_i), σ(a_f), σ(a_o)    g = tanh(a_g)
//!            c' = f ⊙ c + i ⊙ g                  h' = o ⊙ tanh(c')
//! backward, from dh = ∂L/∂h' and dc' = ∂L/∂c' (c' reaches L directly and through h'):
//!            dc    = dc' + dh ⊙ o ⊙ (1 − tanh²(c'))
//!            da_i  = dc ⊙ g ⊙ i(1 − i)          σ' = σ(1 − σ), from the saved σ
//!            da_f  = dc ⊙ c ⊙ f(1 − f)
//!            da_g  = dc ⊙ i ⊙ (1 − g²)          tanh' = 1 − tanh², from the saved tanh
//!            da_o  = dh ⊙ tanh(c') ⊙ o(1 − o)
//!            ∂L/∂c = dc ⊙ f
//! ```
//! (the chain rule through each line of the forward). Why fused: the reference is 12
//! graph nodes (4 activations, 3 products, a sum, a tanh, a product, 4 slices) with
//! their buffers per step, which for a batch of 32 costs more than the arithmetic.
//! Here the forward is the tensor crate's `lstm_cell` kernel (one pass), and the
//! backward, [`backward_rows`], one pass over the batch. Saves the four activations,
//! `c` and `tanh(c')`. Its tests check values and gradients against the reference.
//! `ferrograd::nn::layers::rnn::cell::LSTMCell` runs it once per call, and [`crate::ops::lstm`]
//! once per time step inside its one node. Read next: [`crate::ops::lstm`].

use tensor::lanes::as_slice;
use tensor::{DType, Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// One LSTM step after the matmuls, from primitive ops: the definition the fused
/// [`Var::lstm_cell`] is tested against. `gates` holds the pre-activations (blocks
/// i, f, g, o), `c` the previous cell; returns `(h', c')`.
///
/// # Shapes
/// `gates: [B, 4H]`, `c: [B, H]` → `(h': [B, H], c': [B, H])`.
///
/// # Panics
/// If the shapes do not fit (the message comes from the op that finds out).
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::lstm_cell::lstm_cell_reference;
/// # use ferrograd::tensor::Tensor;
/// let gates = Var::param(Tensor::zeros(&[1, 4])); // i = f = o = ½, g = 0
/// let c = Var::new(Tensor::from_vec(vec![2.0], &[1, 1]));
/// let (h, c_next) = lstm_cell_reference(&gates, &c);
/// assert_eq!(c_next.value().to_vec::<f32>(), vec![1.0]); // ½·2 + ½·0
/// assert!((h.value().item() - 0.5 * 1f64.tanh()).abs() < 1e-7); // ½·tanh(1)
/// ```
#[track_caller]
pub fn lstm_cell_reference(gates: &Var, c: &Var) -> (Var, Var) {
    let gates = gates.chunk(4, -1);
    let (i, f) = (gates[0].sigmoid(), gates[1].sigmoid());
    let (g, o) = (gates[2].tanh(), gates[3].sigmoid());
    let c_next = &(&f * c) + &(&i * &g);
    (&o * &c_next.tanh(), c_next)
}

/// The `lstm_cell` op; holds what its backward formulas read.
pub struct LstmCell {
    /// `[i | f | g | o]` after their activations, `[B, 4H]`.
    acts: Tensor,
    /// The previous cell state `c`, `[B, H]`.
    c: Tensor,
    /// `tanh(c')`, `[B, H]`.
    tanh_c: Tensor,
}

impl LstmCell {
    /// `[h', c']` from the gate pre-activations and the previous cell.
    #[track_caller]
    pub fn forward(gates: &Tensor, c: &Tensor) -> (Tensor, LstmCell) {
        let [out, acts, tanh_c] = gates.lstm_cell(c);
        let c = c.contiguous();
        (out, LstmCell { acts, c, tanh_c })
    }

    /// `(∂L/∂a, ∂L/∂c)` from `grad = ∂L/∂[h', c']` (also the step of `lstm`'s BPTT).
    ///
    /// # Shapes
    /// `grad: [2, B, H]` → `([B, 4H], [B, H])`.
    pub(crate) fn gradients(&self, grad: &Tensor) -> (Tensor, Tensor) {
        let grad = grad.contiguous();
        debug_assert_eq!(grad.numel(), 2 * self.c.numel());
        match self.c.dtype() {
            DType::F32 => backward_rows::<f32>(self, &grad),
            DType::F64 => backward_rows::<f64>(self, &grad),
            _ => unreachable!("the forward's lstm_cell checked for a float dtype"),
        }
    }
}

impl Function for LstmCell {
    fn name(&self) -> &'static str {
        "lstm_cell"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let (d_gates, d_c) = self.gradients(grad_out);
        vec![Some(d_gates), Some(d_c)]
    }
}

/// The backward formulas of the module doc, one batch row at a time, from the saved
/// activations (`σ' = σ(1 − σ)` and `tanh' = 1 − tanh²` need no exponential).
fn backward_rows<T: Float>(cell: &LstmCell, grad: &Tensor) -> (Tensor, Tensor) {
    let (batch, h) = (cell.c.shape()[0], cell.c.shape()[1]);
    let (acts, c_prev) = (as_slice::<T>(&cell.acts), as_slice::<T>(&cell.c));
    let (tanh_c, grad) = (as_slice::<T>(&cell.tanh_c), as_slice::<T>(grad));
    let (dh, dc_next) = grad.split_at(c_prev.len());
    let sigmoid_grad = |y: T| y * (T::one() - y);
    let tanh_grad = |y: T| T::one() - y * y;
    let mut d_gates = vec![T::zero(); acts.len()];
    let mut d_c = vec![T::zero(); c_prev.len()];
    for b in 0..batch {
        let act = &acts[4 * h * b..4 * h * (b + 1)];
        let da = &mut d_gates[4 * h * b..4 * h * (b + 1)];
        for j in 0..h {
            let k = h * b + j;
            let (i, f, g, o) = (act[j], act[h + j], act[2 * h + j], act[3 * h + j]);
            let dc = dc_next[k] + dh[k] * o * tanh_grad(tanh_c[k]);
            da[j] = dc * g * sigmoid_grad(i);
            da[h + j] = dc * c_prev[k] * sigmoid_grad(f);
            da[2 * h + j] = dc * i * tanh_grad(g);
            da[3 * h + j] = dh[k] * tanh_c[k] * sigmoid_grad(o);
            d_c[k] = dc * f;
        }
    }
    let tensor = |data: Vec<T>, shape: &[usize]| {
        Tensor::try_from_vec_of(data, shape).expect("internal error: sized above; this is a bug")
    };
    (tensor(d_gates, &[batch, 4 * h]), tensor(d_c, &[batch, h]))
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
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
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

    #[test]
    fn values_and_gradients_equal_the_reference() {
        let a = Tensor::randn(&[3, 12]).mul_scalar(2.0).to_dtype(DType::F64);
        let c = Tensor::randn(&[3, 3]).to_dtype(DType::F64);
        let (wh, wc) = (Tensor::randn(&[3, 3]), Tensor::randn(&[3, 3]));
        let run = |fused: bool| {
            let (av, cv) = (Var::param(a.clone()), Var::param(c.clone()));
            let (h, c_next) = if fused {
                av.lstm_cell(&cv)
            } else {
                lstm_cell_reference(&av, &cv)
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
