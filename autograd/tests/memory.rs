//! The graph is freed every step: 10,000 forward/backward iterations of an MLP-shaped
//! graph leave exactly as many live nodes as one. (Its own test binary, so no other
//! test creates nodes concurrently and the count can be compared exactly; hence also
//! a single test function.)

use autograd::{Var, live_nodes};
use tensor::Tensor;

#[test]
fn live_graph_nodes_return_to_the_same_count_after_every_step() {
    // h = tanh(x·W1 + b1), loss = Σ (h·W2)²
    let w1 = Var::param(Tensor::randn(&[4, 8]));
    let b1 = Var::param(Tensor::zeros(&[8]));
    let w2 = Var::param(Tensor::randn(&[8, 1]));
    let x = Var::new(Tensor::randn(&[3, 4]));
    let step = || {
        let h = (&x.matmul(&w1) + &b1).tanh();
        let out = h.matmul(&w2);
        let loss = (&out * &out).sum();
        loss.backward();
        loss.item()
    };
    let parameters_and_input = live_nodes();
    assert_eq!(parameters_and_input, 4);
    for i in 0..10_000 {
        let loss = step();
        assert!(loss.is_finite());
        assert_eq!(live_nodes(), parameters_and_input, "leak after step {i}");
        for p in [&w1, &b1, &w2] {
            p.zero_grad();
        }
    }

    // backward releases saved tensors and edges even while the loss is still alive
    let w = Var::param(Tensor::randn(&[2, 2]));
    let before = live_nodes();
    let loss = (&w * &w).exp().sum();
    assert!(live_nodes() > before + 1);
    loss.backward();
    // only the loss node itself remains (its inputs were released)
    assert_eq!(live_nodes(), before + 1);
}
