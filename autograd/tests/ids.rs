//! `Var::id` identifies a node: backward keys gradients by it and optimizers key their
//! state by it, so two live nodes must never share one (notebook chapter 09 trains a
//! model whose parameters were made in an earlier cell than its activations).

use std::collections::HashSet;

use autograd::Var;
use tensor::Tensor;

#[test]
fn live_nodes_have_distinct_ids_and_clones_share_theirs() {
    let w = Var::param(Tensor::ones(&[3]));
    let x = Var::new(Tensor::ones(&[3]));
    let y = &w * &x;
    let z = y.exp();
    let ids: HashSet<usize> = [&w, &x, &y, &z].iter().map(|v| v.id()).collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(w.clone().id(), w.id());
}

#[test]
fn a_parameter_made_long_before_its_activations_gets_only_its_own_gradient() {
    let w = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
    let others: Vec<Var> = (0..100).map(|_| Var::new(Tensor::ones(&[2, 3]))).collect();
    let loss = (&(&others[99] * &w) + &others[0]).sum();
    loss.backward();
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![2.0, 2.0, 2.0]);
}
