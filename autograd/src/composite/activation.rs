//! Activations and friends composed from primitives: silu, minimum.
//!
//! ```text
//! silu(x)         = x · σ(x)                            (a.k.a. swish)
//! minimum(a, b)   = −maximum(−a, −b)
//! ```
//! Dropout and softmax are not here: they are fused ops, [`crate::ops::dropout`] and
//! [`crate::ops::softmax`] (measured faster), each opening with its reference composite.
//! Read next: [`crate::composite::movement`].

use crate::var::Var;

impl Var {
    /// SiLU (swish): `x · σ(x)`, elementwise.
    ///
    /// # Shapes
    /// Any shape; output has the input's shape.
    pub fn silu(&self) -> Var {
        self * &self.sigmoid()
    }

    /// Elementwise minimum with broadcasting: `−maximum(−a, −b)`. On ties the gradient
    /// goes where [`Var::maximum`] sends it.
    ///
    /// # Shapes
    /// `a: S1`, `b: S2` → `broadcast(S1, S2)`.
    ///
    /// # Panics
    /// If the shapes do not broadcast or the dtypes differ.
    #[track_caller]
    pub fn minimum(&self, other: &Var) -> Var {
        -&(-self).maximum(&-other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::Tensor;

    fn close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn silu_known_values_and_gradient() {
        // silu(0) = 0, silu'(x) = σ(x)(1 + x(1 − σ(x))) = ½ at 0
        let x = Var::param(Tensor::from_vec_f64(vec![0.0, 1.0], &[2]));
        let y = x.silu();
        let s1 = 1.0 / (1.0 + (-1.0f64).exp());
        close(&y.value().to_vec::<f64>(), &[0.0, s1], 1e-12);
        y.sum().backward();
        close(
            &x.grad().unwrap().to_vec::<f64>(),
            &[0.5, s1 * (1.0 + (1.0 - s1))],
            1e-12,
        );
    }

    #[test]
    fn minimum_known_values_with_broadcast() {
        let a = Var::param(Tensor::from_vec(vec![1.0, 5.0, 3.0, 0.0], &[2, 2]));
        let b = Var::param(Tensor::from_vec(vec![2.0, 4.0], &[2]));
        let y = a.minimum(&b);
        assert_eq!(y.value().to_vec::<f32>(), vec![1.0, 4.0, 2.0, 0.0]);
        y.sum().backward();
        // a wins at (0,0) and (1,1); b[0] wins in row 1, b[1] in row 0
        assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(b.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0]);
    }

    #[test]
    fn gradchecks() {
        let x = Tensor::from_vec_f64(vec![0.3, -1.2, 2.1, 0.7, -0.4, 1.6], &[2, 3]);
        let y = Tensor::from_vec_f64(vec![0.1, -0.9, 2.5], &[3]);
        let xs = std::slice::from_ref(&x);
        gradcheck(|v| v[0].softmax(1), xs).assert_passed();
        gradcheck(|v| v[0].t().softmax(-1), xs).assert_passed();
        gradcheck(|v| v[0].silu(), xs).assert_passed();
        gradcheck(|v| v[0].t().silu(), xs).assert_passed();
        gradcheck(|v| v[0].minimum(&v[1]), &[x.clone(), y]).assert_passed();
    }
}
