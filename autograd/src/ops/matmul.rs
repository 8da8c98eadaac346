//! `matmul`: matrix product with PyTorch's shape rules (dot, matrix·vector, batched).
//!
//! ```text
//! forward:   C = A · B              C[i, j] = Σ_p A[i, p] · B[p, j]
//! backward:  ∂L/∂A[i, p] = Σ_j g[i, j] · B[p, j]   →  ∂L/∂A = g · Bᵀ
//!            ∂L/∂B[p, j] = Σ_i A[i, p] · g[i, j]   →  ∂L/∂B = Aᵀ · g
//!
//! batched, [.., m, k] · [.., k, n]: the same per batch item; a batch dim that was
//! broadcast (size 1 or missing in an operand) was used several times, so its
//! gradient is summed over those copies:   ∂L/∂A = sum_to(g · Bᵀ, shape of A)
//!
//! 1-D operands are lifted first, as the forward does:
//!   A: [k] → [1, k]      B: [k] → [k, 1]      g gets the removed 1s back,
//! and the lifted gradient is reshaped to the operand's shape at the end.
//! ```
//! Saves both operands (each one's gradient needs the other). `Bᵀ` and `Aᵀ` are
//! transposed *views* (swapped strides): the tensor matmul reads them in place, so
//! backward copies nothing but its two results.
//!
//! **Optimisation: a batch times one matrix** (`Linear` on `[B, T, C]`).
//! `[B.., m, k] · [k, n]` is the same as one tall product of the stacked rows,
//! `[B·m, k] · [k, n]`. The forward and backward use that form
//! ([`stacked_rows_backward`], after the textbook one). In the backward it matters most:
//! ```text
//! batched:  ∂L/∂B = sum_to(Aᵀ · g)   = Σ_batch A_bᵀ · g_b   B products [k, n], then a sum
//! stacked:  ∂L/∂B = A_rowsᵀ · g_rows                       one product [k, n]
//! ```
//! The same sum, accumulated inside one gemm instead of in a `[B, k, n]` temporary.
//! Reference: PyTorch's `matmul` backward in `tools/autograd/derivatives.yaml`.
//! Read next: [`crate::ops::linear`].

use tensor::Tensor;
use tensor::error::OrRaise;

use crate::function::{Function, record};
use crate::var::Var;

/// The `matmul` op; holds both operands.
pub struct Matmul {
    a: Tensor,
    b: Tensor,
}

impl Matmul {
    /// `C = A · B` (shapes checked by the tensor matmul).
    #[track_caller]
    pub fn forward(a: &Tensor, b: &Tensor) -> (Tensor, Matmul) {
        let c = if batch_times_matrix(a, b) && a.is_contiguous() {
            // [B.., m, k] · [k, n] as [B·m, k] · [k, n] (a free reshape when contiguous)
            let mut out_shape = a.shape().to_vec();
            *out_shape.last_mut().expect("a has ≥ 3 dims") = b.shape()[1];
            let c = stacked_rows(a).try_matmul(b).or_raise();
            c.reshape(&out_shape)
        } else {
            a.try_matmul(b).or_raise()
        };
        (
            c,
            Matmul {
                a: a.clone(),
                b: b.clone(),
            },
        )
    }
}

impl Function for Matmul {
    fn name(&self) -> &'static str {
        "matmul"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let (grad_a, grad_b) = if !batch_times_matrix(&self.a, &self.b) {
            textbook_backward(&self.a, &self.b, grad_out)
        } else {
            stacked_rows_backward(&self.a, &self.b, grad_out) // an optimisation, below
        };
        vec![Some(grad_a), Some(grad_b)]
    }
}

/// `∂L/∂A = g · Bᵀ` and `∂L/∂B = Aᵀ · g`, per batch item, summed over broadcast batch
/// dims; 1-D operands lifted to matrices first (the module doc).
fn textbook_backward(a: &Tensor, b: &Tensor, grad_out: &Tensor) -> (Tensor, Tensor) {
    // Lift 1-D operands to matrices, and give g the dims the forward removed.
    let lifted_a = if a.dims() == 1 {
        a.unsqueeze(0)
    } else {
        a.clone()
    };
    let lifted_b = if b.dims() == 1 {
        b.unsqueeze(1)
    } else {
        b.clone()
    };
    let mut g = grad_out.clone();
    if b.dims() == 1 {
        g = g.unsqueeze(-1); // [.., m] → [.., m, 1]
    }
    if a.dims() == 1 {
        g = g.unsqueeze(-2); // [.., n] → [.., 1, n]
    }
    let grad_a = g.matmul(&lifted_b.transpose(-1, -2)); // g · Bᵀ: [batch.., m, k]
    let grad_b = lifted_a.transpose(-1, -2).matmul(&g); // Aᵀ · g: [batch.., k, n]
    // Sum over broadcast batch dims, then drop the lifted 1s.
    let grad_a = grad_a.sum_to(lifted_a.shape()).reshape(a.shape());
    let grad_b = grad_b.sum_to(lifted_b.shape()).reshape(b.shape());
    (grad_a, grad_b)
}

/// **Optimisation** for a batch times one matrix, `[B.., m, k] · [k, n]`: the same
/// gradients as [`textbook_backward`], from the stacked product `[B·m, k] · [k, n]`,
/// so `∂L/∂B = A_rowsᵀ · g_rows` is one gemm instead of `B` products and a sum over a
/// `[B, k, n]` temporary (the module doc).
fn stacked_rows_backward(a: &Tensor, b: &Tensor, grad_out: &Tensor) -> (Tensor, Tensor) {
    let (a_rows, g) = (stacked_rows(a), stacked_rows(grad_out));
    let grad_a = g.matmul(&b.t()).reshape(a.shape()); // [B·m, k]
    let grad_b = a_rows.t().matmul(&g); // [k, n]
    (grad_a, grad_b)
}

/// Whether `a · b` is a batch of matrices times one matrix, `[B.., m, k] · [k, n]`.
fn batch_times_matrix(a: &Tensor, b: &Tensor) -> bool {
    a.dims() >= 3 && b.dims() == 2
}

/// `[B.., m, k]` seen as the stacked rows `[B·m, k]` (a copy only if not contiguous).
pub(crate) fn stacked_rows(x: &Tensor) -> Tensor {
    let (rows, width) = x.shape().split_at(x.dims() - 1);
    x.reshape(&[rows.iter().product(), width[0]])
}

impl Var {
    /// Matrix product `self · other` with PyTorch's rules: dot product, matrix·vector,
    /// vector·matrix, matrix·matrix, and batched products whose batch dims broadcast.
    ///
    /// # Shapes
    /// ```text
    /// [k]·[k] → []   [m, k]·[k, n] → [m, n]   [k]·[k, n] → [n]   [m, k]·[k] → [m]
    /// [B.., m, k]·[B'.., k, n] → [broadcast(B, B').., m, n]
    /// ```
    ///
    /// # Panics
    /// If an operand is 0-d, the inner dimensions differ, the batch dims do not
    /// broadcast, or the dtypes differ.
    ///
    /// # Examples
    /// ```
    /// # use autograd::Var; use tensor::Tensor;
    /// let a = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 1.0], &[2]));
    /// let y = a.matmul(&x); // row sums: [3, 7]
    /// assert_eq!(y.value().to_vec::<f32>(), vec![3.0, 7.0]);
    /// y.sum().backward();
    /// // ∂(Σᵢ Σⱼ a[i, j]·x[j])/∂x[j] = Σᵢ a[i, j]: column sums
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![4.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Var) -> Var {
        record(
            Matmul::forward(&self.value(), &other.value()),
            &[self, other],
        )
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

    #[test]
    fn forward_and_backward_of_a_2d_product() {
        let a = Var::param(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3],
        ));
        let b = Var::param(Tensor::from_vec(
            vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            &[3, 2],
        ));
        let c = a.matmul(&b);
        // [[1 + 3, 2 + 3], [4 + 6, 5 + 6]]
        assert_eq!(c.value().to_vec::<f32>(), vec![4.0, 5.0, 10.0, 11.0]);
        c.sum().backward();
        // L = Σ C:  ∂L/∂A = 1·Bᵀ, so A[i, p] gets Σⱼ B[p, j] = [1, 1, 2]
        assert_eq!(
            a.grad().unwrap().to_vec::<f32>(),
            vec![1.0, 1.0, 2.0, 1.0, 1.0, 2.0]
        );
        // ∂L/∂B = Aᵀ·1, so B[p, j] gets Σᵢ A[i, p] = [5, 7, 9]
        assert_eq!(
            b.grad().unwrap().to_vec::<f32>(),
            vec![5.0, 5.0, 7.0, 7.0, 9.0, 9.0]
        );
    }

    #[test]
    fn dot_product_gradients_are_the_other_vector() {
        let x = Var::param(Tensor::from_vec_f64(vec![1.0, 2.0, 3.0], &[3]));
        let y = Var::param(Tensor::from_vec_f64(vec![4.0, 5.0, 6.0], &[3]));
        let d = x.matmul(&y);
        assert_eq!(d.shape(), Vec::<usize>::new());
        assert_eq!(d.item(), 32.0); // 4 + 10 + 18
        d.backward();
        // ∂(x·y)/∂x = y, ∂/∂y = x
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![4.0, 5.0, 6.0]);
        assert_eq!(y.grad().unwrap().to_vec::<f64>(), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn gradcheck_every_shape_rule() {
        let cases: [(&[usize], &[usize]); 8] = [
            (&[4], &[4]),                // dot
            (&[3], &[3, 2]),             // vector · matrix
            (&[2, 3], &[3]),             // matrix · vector
            (&[2, 3], &[3, 4]),          // matrix · matrix
            (&[2, 1, 3, 4], &[5, 4, 2]), // batch dims broadcast on both sides
            (&[3], &[2, 3, 2]),          // vector · batch of matrices
            (&[2, 2, 3], &[3]),          // batch of matrices · vector
            (&[2, 3, 4], &[4, 5]),       // batch of matrices · one matrix (stacked rows)
        ];
        for (sa, sb) in cases {
            let report = gradcheck(|v| v[0].matmul(&v[1]), &[randn64(sa), randn64(sb)]);
            report.assert_passed();
        }
    }

    #[test]
    fn gradcheck_transposed_operands() {
        // Non-contiguous inputs: the saved operands are strided views.
        let a = randn64(&[3, 2]).t();
        let b = randn64(&[4, 3]).t();
        assert!(!a.is_contiguous() && !b.is_contiguous());
        gradcheck(|v| v[0].matmul(&v[1]), &[a, b]).assert_passed();
        // a batch of transposed matrices times one matrix
        let a = randn64(&[2, 4, 3]).transpose(-1, -2);
        gradcheck(|v| v[0].matmul(&v[1]), &[a, randn64(&[4, 2])]).assert_passed();
    }

    #[test]
    fn broadcast_batch_gradient_is_summed_over_the_copies() {
        // A: [2, 3] is used by both items of B: [2, 3, 1], so ∂L/∂A adds both.
        let a = Var::param(Tensor::ones(&[2, 3]));
        let b = Var::param(Tensor::from_vec(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[2, 3, 1],
        ));
        let c = a.matmul(&b);
        assert_eq!(c.shape(), vec![2, 2, 1]);
        c.sum().backward();
        // ∂L/∂A[i, p] = Σ_batch B[batch, p, 0] = [1 + 4, 2 + 5, 3 + 6]
        assert_eq!(
            a.grad().unwrap().to_vec::<f32>(),
            vec![5.0, 7.0, 9.0, 5.0, 7.0, 9.0]
        );
        assert_eq!(b.grad().unwrap().shape(), &[2, 3, 1]);
    }

    #[test]
    #[should_panic(
        expected = "matmul: cannot multiply [2, 3] by [4, 2]: inner dimensions 3 and 4 differ"
    )]
    fn mismatched_inner_dims_name_both_shapes() {
        Var::param(Tensor::zeros(&[2, 3])).matmul(&Var::new(Tensor::zeros(&[4, 2])));
    }
}
