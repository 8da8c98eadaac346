//! The elementwise part of one LSTM step, fused into one pass (PyTorch's gate order
//! i, f, g, o): the forward kernel of autograd's `lstm_cell` op, whose file also
//! holds the backward.
//!
//! ```text
//! a = [a_i | a_f | a_g | a_o]   the gate pre-activations [B, 4H] (x·W_ihᵀ + h·W_hhᵀ + b)
//! i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)          each [B, H]
//! c' = f ⊙ c + i ⊙ g          h' = o ⊙ tanh(c')
//! ```
//! Written as separate tensor ops this step is 12 ops (4 activations, 3 products, a
//! sum, a tanh, a product, 4 slices), each with its own output buffer; per time step
//! of a small batch that bookkeeping costs more than the arithmetic. Besides `[h', c']`
//! it returns the four activations and `tanh(c')`, what the backward reads. The values
//! equal the separate ops' (same expressions, same σ and tanh kernels).
//! Read next: `ferrograd::autograd::ops::lstm_cell`, the op built on it.

use ndarray::{ArrayD, IxDyn};

use crate::dtype::Float;
use crate::error::{Error, ErrorKind, OrRaise};
use crate::lanes::as_slice;
use crate::tensor::{Tensor, check_float, check_same_dtype};
use crate::unary::sigmoid_slice;
use crate::unary::vectorised::{Vectorised, tanh_map};

fn tensor<T: Float>(shape: &[usize], data: Vec<T>) -> Tensor {
    Tensor::from_array(
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .expect("internal error: lstm_cell sizes its outputs; this is a bug"),
    )
}

fn forward<T: Vectorised>(gates: &Tensor, c: &Tensor) -> [Tensor; 3] {
    let (batch, hidden) = (c.shape()[0], c.shape()[1]);
    let (a, c_prev) = (as_slice::<T>(gates), as_slice::<T>(c));
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
    [
        tensor(&[2, batch, hidden], out),
        tensor(&[batch, 4 * hidden], acts),
        tensor(&[batch, hidden], tanh_c),
    ]
}

impl Tensor {
    /// One LSTM step's elementwise part on the gate pre-activations `self` and the
    /// previous cell `c` (formulas in the module doc): returns `[out, acts, tanh_c]`,
    /// `out` holding `h'` and `c'` stacked, `acts` the gates after their activations
    /// `[i | f | g | o]` and `tanh_c = tanh(c')` (what the backward reads).
    ///
    /// # Shapes
    /// `self: [B, 4H]`, `c: [B, H]` → `out: [2, B, H]` (`out[0] = h'`, `out[1] = c'`),
    /// `acts: [B, 4H]`, `tanh_c: [B, H]`.
    ///
    /// # Panics
    /// If the shapes do not fit (naming both) or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::tensor::Tensor;
    /// // all pre-activations 0: i = f = o = ½, g = 0, so c' = ½·c and h' = ½·tanh(c')
    /// let [out, ..] = Tensor::zeros(&[1, 4]).lstm_cell(&Tensor::from_vec(vec![2.0], &[1, 1]));
    /// let (h, c) = (out.to_vec::<f32>()[0], out.to_vec::<f32>()[1]);
    /// assert_eq!(c, 1.0);
    /// assert!((h - 0.5 * 1f32.tanh()).abs() < 1e-7);
    /// ```
    #[track_caller]
    pub fn lstm_cell(&self, c: &Tensor) -> [Tensor; 3] {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    #[test]
    fn equals_the_unfused_formulas() {
        for dtype in [DType::F32, DType::F64] {
            let a = Tensor::randn(&[3, 8]).mul_scalar(2.0).to_dtype(dtype);
            let c = Tensor::randn(&[3, 2]).to_dtype(dtype);
            let [out, acts, tanh_c] = a.lstm_cell(&c);
            let block = |k: usize| a.narrow(1, 2 * k, 2);
            let (i, f) = (block(0).sigmoid(), block(1).sigmoid());
            let (g, o) = (block(2).tanh(), block(3).sigmoid());
            let c_next = &(&f * &c) + &(&i * &g);
            let h_next = &o * &c_next.tanh();
            assert_eq!(out.narrow(0, 0, 1).to_vec::<f64>(), h_next.to_vec::<f64>());
            assert_eq!(out.narrow(0, 1, 1).to_vec::<f64>(), c_next.to_vec::<f64>());
            assert_eq!(tanh_c.to_vec::<f64>(), c_next.tanh().to_vec::<f64>());
            let acts_unfused = Tensor::cat(&[i, f, g, o], 1);
            assert_eq!(acts.to_vec::<f64>(), acts_unfused.to_vec::<f64>());
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
