//! Helpers shared by the unit tests of the optimizers (compiled for tests only).

use autograd::{Gradient, Var};
use tensor::{DType, Tensor};

/// A 1-D parameter of `dtype` holding `values`.
pub(crate) fn param(values: &[f64], dtype: DType) -> Var {
    Var::param(Tensor::from_vec_f64(values.to_vec(), &[values.len()]).to_dtype(dtype))
}

/// Give `p` the dense gradient `values` (in `p`'s dtype), replacing any old one.
pub(crate) fn set_grad(p: &Var, values: &[f64]) {
    let g = Tensor::from_vec_f64(values.to_vec(), &p.shape()).to_dtype(p.dtype());
    p.set_grad(Some(Gradient::Dense(g)));
}

/// `p`'s value as f64s.
pub(crate) fn values(p: &Var) -> Vec<f64> {
    p.value().to_dtype(DType::F64).to_vec::<f64>()
}

/// Assert `actual ≈ expected` elementwise within `tol` (absolute + relative).
#[track_caller]
pub(crate) fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "lengths differ: {actual:?} vs {expected:?}"
    );
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "element {i}: {a} vs expected {e} (tol {tol})"
        );
    }
}

/// The tolerance for a dtype: f32 keeps about 7 digits.
pub(crate) fn tol(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => 1e-12,
        _ => 1e-6, // f32: parameters are floats
    }
}
