//! The elementwise part of one LSTM step, fused into one pass forward and one pass
//! backward (PyTorch's gate order i, f, g, o):
//!
//! ```text
//! a = [a_i | a_f | a_g | a_o]   the gate pre-activations [B, 4H] (x·W_ihᵀ + h·W_hhᵀ + b)
//! i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)          each [B, H]
//! c' = f ⊙ c + i ⊙ g          h' = o ⊙ tanh(c')
//!
//! backward, from dh = ∂L/∂h' and dc' = ∂L/∂c' (c' reaches L directly and through h'):
//! dc    = dc' + dh ⊙ o ⊙ (1 − tanh²(c'))
//! da_i  = dc ⊙ g ⊙ i(1 − i)          σ' = σ(1 − σ)
//! da_f  = dc ⊙ c ⊙ f(1 − f)
//! da_g  = dc ⊙ i ⊙ (1 − g²)          tanh' = 1 − tanh²
//! da_o  = dh ⊙ tanh(c') ⊙ o(1 − o)
//! ∂L/∂c = dc ⊙ f
//! ```
//! Written as separate tensor ops this step is 12 ops (4 activations, 3 products, a
//! sum, a tanh, a product, 4 slices), each with its own output buffer and backward;
//! per time step of a small batch that bookkeeping costs more than the arithmetic.
//! The forward saves the four activations, `c` and `tanh(c')`: everything the
//! backward formulas read. The values equal the separate ops' (same expressions,
//! same σ and tanh kernels). Read next: `autograd::ops::lstm_cell`, the op built on it.

use ndarray::{ArrayD, IxDyn};

use crate::dtype::{Float, check_float};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::tensor::{Tensor, check_same_dtype};
use crate::unary::kernels::{sigmoid_grad, tanh_grad};
use crate::unary::sigmoid_slice;
use crate::unary::vectorised::{Vectorised, tanh_map};

/// What [`Tensor::lstm_cell`] keeps for [`LstmCellCache::backward`].
#[derive(Clone, Debug)]
pub struct LstmCellCache {
    /// `[i | f | g | o]` after their activations, `[B, 4H]`.
    pub gates: Tensor,
    /// The previous cell state `c`, `[B, H]`.
    pub c: Tensor,
    /// `tanh(c')`, `[B, H]`.
    pub tanh_c: Tensor,
}

/// A contiguous tensor's elements (after `contiguous()`).
fn slice<T: Float>(t: &Tensor) -> &[T] {
    t.array::<T>()
        .as_slice()
        .expect("internal error: lstm_cell reads contiguous tensors; this is a bug")
}

fn tensor<T: Float>(shape: &[usize], data: Vec<T>) -> Tensor {
    Tensor::from_array(
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .expect("internal error: lstm_cell sizes its outputs; this is a bug"),
    )
}

fn forward<T: Vectorised>(gates: &Tensor, c: &Tensor) -> (Tensor, LstmCellCache) {
    let (batch, hidden) = (c.shape()[0], c.shape()[1]);
    let (a, c_prev) = (slice::<T>(gates), slice::<T>(c));
    let mut acts = vec![T::zero(); a.len()];
    sigmoid_slice(a, &mut acts); // i, f, o; the g block is overwritten with tanh below
    let mut out = vec![T::zero(); 2 * c_prev.len()];
    let (h_out, c_out) = out.split_at_mut(c_prev.len());
    let mut tanh_c = vec![T::zero(); c_prev.len()];
    let rows = acts
        .chunks_exact_mut(4 * hidden)
        .zip(a.chunks_exact(4 * hidden))
        .zip(c_prev.chunks_exact(hidden))
        .zip(h_out.chunks_exact_mut(hidden))
        .zip(c_out.chunks_exact_mut(hidden))
        .zip(tanh_c.chunks_exact_mut(hidden));
    for (((((act, a), c_prev), h_out), c_out), tanh_c) in rows {
        let (i, rest) = act.split_at_mut(hidden);
        let (f, rest) = rest.split_at_mut(hidden);
        let (g, o) = rest.split_at_mut(hidden);
        tanh_map(&a[2 * hidden..3 * hidden], g);
        for j in 0..hidden {
            c_out[j] = f[j] * c_prev[j] + i[j] * g[j];
        }
        tanh_map(c_out, tanh_c);
        for j in 0..hidden {
            h_out[j] = o[j] * tanh_c[j];
        }
    }
    let cache = LstmCellCache {
        gates: tensor(&[batch, 4 * hidden], acts),
        c: c.clone(),
        tanh_c: tensor(&[batch, hidden], tanh_c),
    };
    (tensor(&[2, batch, hidden], out), cache)
}

fn backward<T: Float>(cache: &LstmCellCache, grad: &Tensor) -> (Tensor, Tensor) {
    let (batch, hidden) = (cache.c.shape()[0], cache.c.shape()[1]);
    let (acts, c_prev) = (slice::<T>(&cache.gates), slice::<T>(&cache.c));
    let (tanh_c, grad) = (slice::<T>(&cache.tanh_c), slice::<T>(grad));
    let (dh, dc_next) = grad.split_at(c_prev.len());
    let mut d_gates = vec![T::zero(); acts.len()];
    let mut d_c = vec![T::zero(); c_prev.len()];
    let h = hidden;
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
    (tensor(&[batch, 4 * h], d_gates), tensor(&[batch, h], d_c))
}

impl Tensor {
    /// One LSTM step's elementwise part on the gate pre-activations `self` and the
    /// previous cell `c` (formulas in the module doc): returns `[h', c']` stacked, and
    /// what the backward pass needs.
    ///
    /// # Shapes
    /// `self: [B, 4H]`, `c: [B, H]` → `(out: [2, B, H], cache)`, `out[0] = h'`,
    /// `out[1] = c'`.
    ///
    /// # Panics
    /// If the shapes do not fit (naming both) or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use tensor::Tensor;
    /// // all pre-activations 0: i = f = o = ½, g = 0, so c' = ½·c and h' = ½·tanh(c')
    /// let (out, _) = Tensor::zeros(&[1, 4]).lstm_cell(&Tensor::from_vec(vec![2.0], &[1, 1]));
    /// let (h, c) = (out.to_vec::<f32>()[0], out.to_vec::<f32>()[1]);
    /// assert_eq!(c, 1.0);
    /// assert!((h - 0.5 * 1f32.tanh()).abs() < 1e-7);
    /// ```
    #[track_caller]
    pub fn lstm_cell(&self, c: &Tensor) -> (Tensor, LstmCellCache) {
        const OP: &str = "lstm_cell";
        check_same_dtype(OP, self, c).or_raise();
        check_float(OP, self).or_raise();
        let fits = match (self.shape(), c.shape()) {
            ([b, g], [bc, h]) => b == bc && *g == 4 * h,
            _ => false,
        };
        if !fits {
            Error::new(
                OP,
                ErrorKind::Shape,
                format!(
                    "gates have shape {:?} and the cell {:?}, expected [B, 4H] and [B, H]",
                    self.shape(),
                    c.shape()
                ),
            )
            .raise();
        }
        let (gates, c) = (self.contiguous(), c.contiguous());
        match self.dtype() {
            crate::DType::F32 => forward::<f32>(&gates, &c),
            crate::DType::F64 => forward::<f64>(&gates, &c),
            _ => unreachable!("the dtype was checked to be a float above"),
        }
    }
}

impl LstmCellCache {
    /// The gradients of [`Tensor::lstm_cell`] with respect to its inputs, from
    /// `grad = ∂L/∂[h', c']` (formulas in the module doc).
    ///
    /// # Shapes
    /// `grad: [2, B, H]` → `(∂L/∂gates: [B, 4H], ∂L/∂c: [B, H])`.
    pub fn backward(&self, grad: &Tensor) -> (Tensor, Tensor) {
        let grad = grad.contiguous();
        debug_assert_eq!(grad.numel(), 2 * self.c.numel());
        match self.c.dtype() {
            crate::DType::F32 => backward::<f32>(self, &grad),
            crate::DType::F64 => backward::<f64>(self, &grad),
            _ => unreachable!("the forward checked for a float dtype"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    #[test]
    fn equals_the_unfused_formulas() {
        for dtype in [DType::F32, DType::F64] {
            let a = Tensor::randn(&[3, 8]).mul_scalar(2.0).to_dtype(dtype);
            let c = Tensor::randn(&[3, 2]).to_dtype(dtype);
            let (out, cache) = a.lstm_cell(&c);
            let block = |k: usize| a.narrow(1, 2 * k, 2);
            let (i, f) = (block(0).sigmoid(), block(1).sigmoid());
            let (g, o) = (block(2).tanh(), block(3).sigmoid());
            let c_next = &(&f * &c) + &(&i * &g);
            let h_next = &o * &c_next.tanh();
            assert_eq!(out.narrow(0, 0, 1).to_vec::<f64>(), h_next.to_vec::<f64>());
            assert_eq!(out.narrow(0, 1, 1).to_vec::<f64>(), c_next.to_vec::<f64>());
            assert_eq!(cache.tanh_c.to_vec::<f64>(), c_next.tanh().to_vec::<f64>());
        }
    }

    #[test]
    #[should_panic(
        expected = "lstm_cell: gates have shape [2, 6] and the cell [2, 2], expected [B, 4H] and [B, H]"
    )]
    fn wrong_shapes_are_named() {
        Tensor::zeros(&[2, 6]).lstm_cell(&Tensor::zeros(&[2, 2]));
    }
}
