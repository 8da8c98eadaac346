//! Unit tests for the comparisons and logical ops: known values in every dtype,
//! broadcasting, NaN, strided inputs and the error messages.

use crate::{DType, Tensor};

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

#[test]
fn comparisons_broadcast_and_return_bool_in_every_numeric_dtype() {
    for dtype in [DType::F32, DType::F64, DType::I64] {
        // a: [2, 1] column (1, 3); b: [3] row (1, 2, 3) → [2, 3].
        let a = Tensor::from_vec(vec![1.0, 3.0], &[2, 1]).to_dtype(dtype);
        let b = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).to_dtype(dtype);
        assert_eq!(a.eq(&b).dtype(), DType::Bool);
        assert_eq!(a.eq(&b).shape(), &[2, 3]);
        assert_eq!(f64s(&a.eq(&b)), [1., 0., 0., 0., 0., 1.]);
        assert_eq!(f64s(&a.ne(&b)), [0., 1., 1., 1., 1., 0.]);
        assert_eq!(f64s(&a.gt(&b)), [0., 0., 0., 1., 1., 0.]);
        assert_eq!(f64s(&a.ge(&b)), [1., 0., 0., 1., 1., 1.]);
        assert_eq!(f64s(&a.lt(&b)), [0., 1., 1., 0., 0., 0.]);
        assert_eq!(f64s(&a.le(&b)), [1., 1., 1., 0., 0., 1.]);
        assert_eq!(f64s(&a.maximum(&b)), [1., 2., 3., 3., 3., 3.]);
        assert_eq!(f64s(&a.minimum(&b)), [1., 1., 1., 1., 2., 3.]);
        assert_eq!(a.maximum(&b).dtype(), dtype);
    }
}

#[test]
fn scalar_comparisons() {
    let t = Tensor::from_vec_f64(vec![-1.0, 0.0, 2.0], &[3]);
    assert_eq!(t.gt_scalar(0.0).to_vec::<bool>(), [false, false, true]);
    assert_eq!(f64s(&t.ge_scalar(0.0)), [0., 1., 1.]);
    assert_eq!(f64s(&t.lt_scalar(0.0)), [1., 0., 0.]);
    assert_eq!(f64s(&t.le_scalar(0.0)), [1., 1., 0.]);
    assert_eq!(f64s(&t.eq_scalar(2.0)), [0., 0., 1.]);
    assert_eq!(f64s(&t.ne_scalar(2.0)), [1., 1., 0.]);
    assert_eq!(t.eq_scalar(2.0).dtype(), DType::Bool);
    // f32: the scalar is rounded to f32 before comparing, so 0.1 == 0.1.
    let s = Tensor::scalar(0.1);
    assert_eq!(s.eq_scalar(0.1).item(), 1.0);
    assert_eq!(s.eq_scalar(0.1).shape(), &[] as &[usize]);
    // i64 against a fractional scalar compares the true values
    let ids = Tensor::from_vec_i64(vec![0, 1], &[2]);
    assert_eq!(ids.ge_scalar(0.5).to_vec::<bool>(), [false, true]);
    // bool: false < true, as 0 < 1
    let m = Tensor::from_vec_bool(vec![false, true], &[2]);
    assert_eq!(m.eq_scalar(1.0).to_vec::<bool>(), [false, true]);
    assert_eq!(m.eq(&m).to_vec::<bool>(), [true, true]);
}

#[test]
fn nan_propagates_through_maximum_and_is_unequal_to_itself() {
    let a = Tensor::from_vec(vec![f32::NAN, 1.0], &[2]);
    let b = Tensor::from_vec(vec![0.0, f32::NAN], &[2]);
    assert!(a.maximum(&b).to_vec::<f32>().iter().all(|x| x.is_nan()));
    assert!(a.minimum(&b).to_vec::<f32>().iter().all(|x| x.is_nan()));
    assert_eq!(a.eq(&a).to_vec::<bool>(), vec![false, true]);
    assert_eq!(a.ne(&a).to_vec::<bool>(), vec![true, false]);
}

#[test]
fn logical_ops_broadcast() {
    let col = Tensor::from_vec_bool(vec![true, false], &[2, 1]);
    let row = Tensor::from_vec_bool(vec![true, false, true], &[3]);
    assert_eq!(f64s(&col.logical_and(&row)), [1., 0., 1., 0., 0., 0.]);
    assert_eq!(f64s(&(&col | &row)), [1., 1., 1., 1., 0., 1.]);
    assert_eq!(f64s(&col.logical_xor(&row)), [0., 1., 0., 1., 0., 1.]);
    assert_eq!(f64s(&(&col & &row)), f64s(&col.logical_and(&row)));
    assert_eq!((!&row).to_vec::<bool>(), vec![false, true, false]);
    assert_eq!(f64s(&!col.t()), [0., 1.]);
}

#[test]
fn non_contiguous_operands() {
    // a transposed view of [[1, 2, 3], [4, 5, 6]]: [[1, 4], [2, 5], [3, 6]]
    let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).t();
    assert!(!t.is_contiguous());
    let col = Tensor::from_vec(vec![2.0, 2.0, 2.0], &[3, 1]);
    assert_eq!(f64s(&t.gt(&col)), vec![0., 1., 0., 1., 1., 1.]);
    assert_eq!(
        f64s(&t.to_dtype(DType::I64).le_scalar(2.0)),
        vec![1., 0., 1., 0., 0., 0.]
    );
}

#[test]
#[should_panic(expected = "gt: shapes [2, 3] and [2] cannot be broadcast")]
fn comparison_names_op_and_shapes() {
    Tensor::zeros(&[2, 3]).gt(&Tensor::zeros(&[2]));
}

#[test]
#[should_panic(expected = "eq: operands have different dtypes: i64 [2] and f32 [2]")]
fn comparison_refuses_mixed_dtypes() {
    Tensor::from_vec_i64(vec![1, 2], &[2]).eq(&Tensor::zeros(&[2]));
}

#[test]
#[should_panic(expected = "maximum: operands have different dtypes: f32 [2] and f64 [2]")]
fn maximum_refuses_mixed_dtypes() {
    Tensor::zeros(&[2]).maximum(&Tensor::zeros(&[2]).to_dtype(DType::F64));
}

#[test]
#[should_panic(expected = "logical_and: the first operand must be a bool tensor, got f32 [2]")]
fn logical_ops_need_bool() {
    Tensor::zeros(&[2]).logical_and(&Tensor::from_vec_bool(vec![true, false], &[2]));
}
