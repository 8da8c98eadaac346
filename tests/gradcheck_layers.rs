//! Every layer, gradchecked in f64 with respect to its inputs and every parameter
//! (the table is in `layer_cases/`).

mod layer_cases;

use ferrograd::autograd::gradcheck_with_params;
use ferrograd::prelude::*;

#[test]
fn every_layer_passes_gradcheck_in_f64() {
    let cases = layer_cases::all();
    let mut failures = Vec::new();
    for case in &cases {
        case.module.to_dtype(DType::F64);
        let report = gradcheck_with_params(&case.forward, &case.inputs, &case.module.parameters());
        if !report.passed() {
            failures.push(format!("[{}] {report}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} layers failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
