//! `dropout`: zero each element with probability `p` and scale the rest, in training
//! (Srivastava et al. 2014), in the "inverted" form PyTorch uses. A fused op: read
//! [`dropout_reference`] first, the same product with the mask as a tensor.
//!
//! ```text
//! reference: m = dropout_mask(p)        mᵢ = 1/(1 − p) with probability 1 − p, else 0
//!            y = x ⊙ m                  (a `mul` node, m a constant tensor)
//! backward:  ∂L/∂x = g ⊙ m              y is linear in x, with the same mask
//! ```
//! The scale `1/(1 − p)` keeps the expected value, E\[yᵢ\] = xᵢ, so nothing changes
//! between training and evaluation (where dropout is the identity).
//!
//! Why fused: the reference writes the mask tensor, keeps it until the backward and
//! also computes the unused gradient of the mask, `g ⊙ x`. Here the mask is saved as
//! a [`DropoutMask`], the key of its random stream, not as numbers: `y` is computed
//! chunk by chunk in one pass, and the backward draws the same mask again and computes
//! only `g ⊙ m`. A transformer step draws ~10 million mask elements, so the passes and
//! the memory saved show. Its tests check values and gradients against the reference
//! on the same mask.
//! Read next: [`crate::ops::layer_norm`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind};
use tensor::random::dropout::DropoutMask;

use crate::function::{Function, record};
use crate::var::Var;

/// Dropout from primitive ops, the definition the fused [`Var::dropout`] is tested
/// against: `x ⊙ mask`, with the mask a constant tensor, e.g. from
/// [`Tensor::dropout_mask`] (`1/(1 − p)` with probability `1 − p`, else 0).
///
/// # Shapes
/// `x`, `mask`: the same shape (or shapes that broadcast) → their broadcast shape.
///
/// # Panics
/// If the shapes do not broadcast or the dtypes differ.
///
/// # Examples
/// ```
/// # use ferrograd::autograd::Var; use ferrograd::autograd::ops::dropout::dropout_reference; use ferrograd::tensor::Tensor;
/// let x = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// let mask = Tensor::from_vec(vec![0.0, 2.0], &[2]); // p = ½: dropped, kept and doubled
/// let y = dropout_reference(&x, &mask);
/// assert_eq!(y.value().to_vec::<f32>(), vec![0.0, 4.0]);
/// ```
#[track_caller]
pub fn dropout_reference(x: &Var, mask: &Tensor) -> Var {
    x * &Var::new(mask.clone())
}

/// The `dropout` op; holds the mask `m` (as its key).
pub struct Dropout {
    mask: DropoutMask,
}

impl Dropout {
    /// `y = x ⊙ m` with a fresh mask from the thread's default generator (`0 < p < 1`).
    pub fn forward(x: &Tensor, p: f64) -> (Tensor, Dropout) {
        let mask = DropoutMask::new(p);
        (mask.apply(x), Dropout { mask })
    }
}

impl Function for Dropout {
    fn name(&self) -> &'static str {
        "dropout"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        vec![Some(self.mask.apply(grad_out))]
    }
}

impl Var {
    /// Dropout: while `training`, zero each element with probability `p` and scale the
    /// rest by `1/(1 − p)`; otherwise (or with `p = 0`) return `self` unchanged.
    /// `p = 1` gives zeros. The mask comes from the thread's default generator
    /// ([`tensor::manual_seed`] makes it repeatable).
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::ones(&[1000]));
    /// let y = x.dropout(0.5, true).value().to_vec::<f32>();
    /// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0)); // dropped, or scaled by 1/(1 − ½)
    /// assert_eq!(x.dropout(0.5, false).value().to_vec::<f32>(), vec![1.0; 1000]);
    /// ```
    #[track_caller]
    pub fn dropout(&self, p: f64, training: bool) -> Var {
        if !(0.0..=1.0).contains(&p) {
            Error::new(
                "dropout",
                ErrorKind::Value,
                format!("probability p = {p} is not in [0, 1]"),
            )
            .with_hint("p is the probability of zeroing an element, e.g. 0.1")
            .raise();
        }
        if !training || p == 0.0 {
            return self.clone();
        }
        if p == 1.0 {
            return self.mul_scalar(0.0);
        }
        record(Dropout::forward(&self.value(), p), &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_mean_and_shares_the_mask_with_the_gradient() {
        tensor::manual_seed(3);
        let x = Var::param(Tensor::ones(&[4000]));
        let y = x.dropout(0.25, true);
        let values = y.value().to_vec::<f32>();
        let kept = values.iter().filter(|&&v| v != 0.0).count() as f64 / 4000.0;
        assert!((kept - 0.75).abs() < 0.03, "kept fraction {kept}");
        assert!(
            values
                .iter()
                .all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6)
        );
        y.sum().backward();
        // ∂y/∂x = m / (1 − p): the gradient equals the output when x = 1
        assert_eq!(x.grad().unwrap().to_vec::<f32>(), values);
    }

    #[test]
    fn gradient_is_the_upstream_gradient_times_the_mask() {
        // (the mask is read back from the output: the global generator is shared with
        // tests running in parallel, so it cannot be re-drawn)
        let x: Vec<f64> = (0..50)
            .map(|k| 1.0 + 0.5 * (k as f64 * 0.7).sin())
            .collect();
        let g: Vec<f64> = (0..50).map(|k| k as f64 - 20.0).collect();
        let xv = Var::param(Tensor::from_vec_f64(x.clone(), &[5, 10]));
        let y = xv.dropout(0.3, true);
        y.backward_with(&Tensor::from_vec_f64(g.clone(), &[5, 10]));
        let y = y.value().to_vec::<f64>();
        let grad = xv.grad().unwrap().to_vec::<f64>();
        let scale = 1.0 / (1.0 - 0.3);
        for (((y, x), grad), g) in y.iter().zip(&x).zip(&grad).zip(&g) {
            let m = if *y == 0.0 { 0.0 } else { scale };
            assert!((y - x * m).abs() < 1e-12, "y {y} for x {x}");
            assert_eq!(*grad, g * m);
        }
    }

    #[test]
    fn equals_the_reference_on_the_same_mask() {
        let x = Tensor::randn(&[6, 7]).to_dtype(tensor::DType::F64);
        let g = Tensor::randn(&[6, 7]).to_dtype(tensor::DType::F64);
        let (y, op) = Dropout::forward(&x, 0.4);
        let mask = op.mask.to_tensor(x.shape(), x.dtype());
        let fused_x = Var::param(x.clone());
        let fused = record((y, op), &[&fused_x]);
        fused.backward_with(&g);
        let ref_x = Var::param(x);
        let reference = dropout_reference(&ref_x, &mask);
        reference.backward_with(&g);
        let vals = |v: &Var| v.value().to_vec::<f64>();
        assert_eq!(vals(&fused), vals(&reference));
        let grads = |v: &Var| v.grad().unwrap().to_vec::<f64>();
        assert_eq!(grads(&fused_x), grads(&ref_x));
        assert!(vals(&fused).contains(&0.0), "some elements dropped");
    }

    #[test]
    fn edge_probabilities() {
        let x = Var::param(Tensor::from_vec_f64(vec![1.0, -2.0], &[2]));
        assert_eq!(
            x.dropout(0.0, true).value().to_vec::<f64>(),
            vec![1.0, -2.0]
        );
        assert_eq!(
            x.dropout(1.0, false).value().to_vec::<f64>(),
            vec![1.0, -2.0]
        );
        let y = x.dropout(1.0, true);
        assert_eq!(y.value().to_vec::<f64>(), vec![0.0, 0.0]);
        assert_eq!(y.dtype(), tensor::DType::F64);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "dropout: probability p = 1.5 is not in [0, 1]")]
    fn p_above_one_panics() {
        Var::new(Tensor::ones(&[2])).dropout(1.5, true);
    }

    #[test]
    #[should_panic(expected = "dropout: probability p = NaN is not in [0, 1]")]
    fn p_nan_panics() {
        Var::new(Tensor::ones(&[2])).dropout(f64::NAN, false);
    }
}
