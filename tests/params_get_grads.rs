//! The safety net for hand-written `visit_params`: after one backward of the sum of
//! a layer's output, every parameter it lists has a finite, non-zero gradient, and
//! every parameter is listed under a unique name.

mod layer_cases;

use std::collections::HashSet;

use ferrograd::prelude::*;

#[test]
fn every_parameter_of_every_layer_gets_a_finite_nonzero_gradient() {
    let mut problems = Vec::new();
    for case in layer_cases::all() {
        if case.module.parameters().is_empty() {
            continue; // e.g. Luong's dot attention: gradchecked on its inputs only
        }
        let inputs: Vec<Var> = case
            .inputs
            .iter()
            .map(|t| Var::new(t.to_dtype(DType::F32)))
            .collect();
        let out = (case.forward)(&inputs);
        // weight the outputs so that normalisation layers (whose plain sum is constant) still pass gradient
        let weights = Tensor::arange(1.0, 1.0 + out.numel() as f64, 1.0)
            .reshape(&out.shape())
            .sin();
        (&out * &Var::new(weights)).sum().backward();
        let mut names = HashSet::new();
        for (name, p) in case.module.named_parameters() {
            if !names.insert(name.clone()) {
                problems.push(format!(
                    "[{}] parameter name {name} is listed twice",
                    case.name
                ));
            }
            match p.grad() {
                None => problems.push(format!("[{}] {name} received no gradient", case.name)),
                Some(g) => {
                    let values: Vec<f64> = g.to_vec();
                    if values.iter().any(|v| !v.is_finite()) {
                        problems.push(format!("[{}] {name} has a non-finite gradient", case.name));
                    } else if values.iter().all(|&v| v == 0.0) {
                        problems.push(format!("[{}] {name} has an all-zero gradient", case.name));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
