//! Tests of the arithmetic in `elementwise.rs`: broadcasting against hand values,
//! in-place `+=` and copy-on-write, integer arithmetic that stays integer, f32 through
//! f64 giving f32's bits, and one test per dtype refusal (bool, integer division,
//! mixed dtypes, `map` on integers).

use super::*;

#[test]
fn broadcasting_add_matches_hand_values() {
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = Tensor::from_vec(vec![10.0, 20.0], &[2, 1]);
    assert_eq!(
        (&a + &b).to_vec::<f32>(),
        vec![11., 12., 13., 24., 25., 26.]
    );
    assert_eq!((&a - 1.0).to_vec::<f32>(), vec![0., 1., 2., 3., 4., 5.]);
    assert_eq!((2.0 / &b).to_vec::<f32>(), vec![0.2, 0.1]);
    assert_eq!((-&b).to_vec::<f32>(), vec![-10., -20.]);
}

#[test]
fn add_assign_writes_in_place_only_when_unshared() {
    // a fresh tensor owns its buffer: the sum lands in the same memory
    let mut a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let before = a.array::<f32>().as_ptr();
    a += &Tensor::ones(&[2, 3]);
    assert_eq!(a.array::<f32>().as_ptr(), before);
    assert_eq!(a.to_vec::<f32>(), vec![2., 3., 4., 5., 6., 7.]);
    // a shared one is copied first; a strided `self` and a broadcast `other` work
    let mut t = a.t();
    let shared = t.clone();
    t += &Tensor::from_vec(vec![10.0, 20.0], &[1, 2]);
    assert_eq!(t.to_vec::<f32>(), vec![12., 25., 13., 26., 14., 27.]);
    assert_eq!(shared.to_vec::<f32>(), vec![2., 5., 3., 6., 4., 7.]);
}

#[test]
#[should_panic(expected = "add_assign: cannot broadcast shape [2, 3] to [3]")]
fn add_assign_never_changes_the_shape() {
    let mut a = Tensor::zeros(&[3]);
    a += &Tensor::zeros(&[2, 3]);
}

#[test]
#[should_panic(expected = "mul: shapes [2, 3] and [2] cannot be broadcast")]
fn bad_broadcast_names_op_and_shapes() {
    let _ = &Tensor::zeros(&[2, 3]) * &Tensor::zeros(&[2]);
}

#[test]
fn integer_arithmetic_stays_integer() {
    let a = Tensor::from_vec_i64(vec![1, 2, 3], &[3]);
    let b = Tensor::from_vec_i64(vec![10], &[1]);
    assert_eq!((&a + &b).to_vec::<i64>(), vec![11, 12, 13]);
    assert_eq!((&a - &b).to_vec::<i64>(), vec![-9, -8, -7]);
    assert_eq!((&a * &b).dtype(), crate::DType::I64);
    assert_eq!((&a * 3.0).to_vec::<i64>(), vec![3, 6, 9]);
    assert_eq!((1.0 - &a).to_vec::<i64>(), vec![0, -1, -2]);
    assert_eq!((-&a).to_vec::<i64>(), vec![-1, -2, -3]);
    let mut c = a.clone();
    c += &b;
    assert_eq!(
        (c.to_vec::<i64>(), a.to_vec::<i64>()),
        (vec![11, 12, 13], vec![1, 2, 3])
    );
}

#[test]
fn f32_arithmetic_through_f64_gives_f32_bits() {
    // the products and quotients of f32 values rounded once, as f32 arithmetic does
    let xs: Vec<f32> = (1..200).map(|i| 1.0 / i as f32 + i as f32 * 0.37).collect();
    let ys: Vec<f32> = xs.iter().rev().copied().collect();
    let (x, y) = (
        Tensor::from_slice(&xs, &[199]),
        Tensor::from_slice(&ys, &[199]),
    );
    let div: Vec<f32> = xs.iter().zip(&ys).map(|(a, b)| a / b).collect();
    assert_eq!(Tensor::div(&x, &y).to_vec::<f32>(), div);
    let scaled: Vec<f32> = xs.iter().map(|a| a * 0.1f32).collect();
    assert_eq!(x.mul_scalar(0.1).to_vec::<f32>(), scaled);
    let roots: Vec<f32> = xs.iter().map(|a| a.sqrt()).collect();
    assert_eq!(x.map(f64::sqrt).to_vec::<f32>(), roots);
}

#[test]
#[should_panic(expected = "div: not defined for i64 tensors [2]. Hint: integer division")]
fn integer_division_is_refused() {
    let a = Tensor::from_vec_i64(vec![1, 2], &[2]);
    let _ = &a / &a;
}

#[test]
#[should_panic(expected = "add_scalar: an i64 tensor cannot take the fractional scalar 0.5")]
fn integers_never_become_floats_silently() {
    let _ = &Tensor::from_vec_i64(vec![1, 2], &[2]) + 0.5;
}

#[test]
#[should_panic(expected = "mul: not defined for bool tensors [2]. Hint: use logical_and")]
fn bool_arithmetic_is_refused() {
    let m = Tensor::from_vec_bool(vec![true, false], &[2]);
    let _ = &m * &m;
}

#[test]
#[should_panic(expected = "map: needs a float tensor (f32 or f64), got i64 [1]")]
fn map_needs_floats() {
    Tensor::from_vec_i64(vec![1], &[1]).map(|x| x + 1.0);
}

#[test]
#[should_panic(expected = "add: operands have different dtypes: f32 [2] and f64 [2]")]
fn dtypes_never_promote() {
    let _ = &Tensor::zeros(&[2]) + &Tensor::zeros(&[2]).to_dtype(crate::DType::F64);
}
