//! The classic graph tests: a value used twice, a diamond, no_grad, detach,
//! accumulation over two backward calls, released graphs, and memory staying flat.

use autograd::{Var, no_grad};
use tensor::Tensor;

fn scalar(v: f64) -> Tensor {
    Tensor::from_vec_f64(vec![v], &[])
}

#[test]
fn a_value_used_twice_gets_the_sum_of_both_gradients() {
    // y = x·x + x  ⇒  dy/dx = 2x + 1 = 7 at x = 3
    let x = Var::param(scalar(3.0));
    let y = &(&x * &x) + &x;
    y.backward();
    assert_eq!(x.grad().unwrap().item(), 7.0);
}

#[test]
fn a_diamond_graph_adds_both_paths() {
    //      a = 2x, b = x²,  y = a·b = 2x³  ⇒ dy/dx = 6x² = 24 at x = 2
    let x = Var::param(scalar(2.0));
    let a = &x * 2.0;
    let b = &x * &x;
    let y = &a * &b;
    y.backward();
    assert_eq!(y.item(), 16.0);
    assert_eq!(x.grad().unwrap().item(), 24.0);
}

#[test]
fn gradients_accumulate_across_backward_calls_until_zeroed() {
    let x = Var::param(scalar(1.5));
    for _ in 0..2 {
        (&x * 4.0).backward();
    }
    assert_eq!(x.grad().unwrap().item(), 8.0); // 4 + 4
    x.zero_grad();
    assert!(x.grad().is_none());
    (&x * 4.0).backward();
    assert_eq!(x.grad().unwrap().item(), 4.0);
}

#[test]
fn no_grad_records_nothing_and_detach_cuts_the_graph() {
    let x = Var::param(scalar(2.0));
    let y = no_grad(|| &x * &x);
    assert!(!y.wants_grad());
    assert!(y.is_leaf());
    // z = x · detach(x): only the first factor is differentiated ⇒ dz/dx = detach(x) = 2
    let z = &x * &x.detach();
    z.backward();
    assert_eq!(x.grad().unwrap().item(), 2.0);
}

#[test]
fn intermediate_gradients_are_kept_only_when_asked() {
    let x = Var::param(scalar(3.0));
    let h = &x * 2.0;
    let k = &x * 5.0;
    h.retain_grad();
    let y = &(&h * &k) + 0.0;
    y.backward();
    assert_eq!(h.grad().unwrap().item(), 15.0); // dy/dh = k
    assert!(k.grad().is_none());
}

#[test]
#[should_panic(expected = "backward: expected a scalar loss (shape []), got shape [2, 3]")]
fn backward_on_a_non_scalar_says_to_reduce_first() {
    let x = Var::param(Tensor::ones(&[2, 3]));
    (&x * 2.0).backward();
}

#[test]
#[should_panic(expected = "already released by an earlier backward")]
fn a_second_backward_through_a_released_graph_is_refused() {
    let x = Var::param(scalar(1.0));
    let y = &x * &x;
    y.backward();
    y.backward();
}

#[test]
fn backward_retain_allows_a_second_pass() {
    let x = Var::param(scalar(1.0));
    let y = &x * &x;
    y.backward_retain();
    y.backward();
    assert_eq!(x.grad().unwrap().item(), 4.0); // 2x twice
}

#[test]
fn backward_with_equals_backward_of_the_weighted_sum() {
    let x = Var::param(Tensor::from_vec_f64(vec![1.0, 2.0], &[2]));
    let y = &x * &x;
    y.backward_with(&Tensor::from_vec_f64(vec![1.0, 10.0], &[2]));
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![2.0, 40.0]);
}

#[test]
fn a_deep_chain_does_not_overflow_the_stack() {
    let x = Var::param(scalar(1.0));
    let mut y = x.clone();
    for _ in 0..50_000 {
        y = &y * 1.0;
    }
    y.backward();
    assert_eq!(x.grad().unwrap().item(), 1.0);
    let z = {
        let mut z = x.clone();
        for _ in 0..50_000 {
            z = &z + 1.0;
        }
        z
    };
    drop(z); // dropping an unreleased 50k-deep graph must not recurse
}
