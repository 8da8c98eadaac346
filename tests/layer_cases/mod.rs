//! The shared table of layers under test: each family's file lists its cases (tiny
//! sizes, deterministic weights, inputs). `gradcheck_layers.rs` gradchecks every case
//! with respect to its inputs and every parameter; `params_get_grads.rs` checks that
//! every parameter receives a finite, non-zero gradient.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod attention;
pub mod basic;
pub mod conv;
pub mod lm;
pub mod norm;
pub mod rnn;
pub mod transformer;

use std::rc::Rc;

use ferrograd::prelude::*;

/// How a case calls its module on the inputs.
pub type ForwardFn = Box<dyn Fn(&[Var]) -> Var>;

/// One layer configuration: the module, its inputs, and how to call it.
pub struct LayerCase {
    /// Shown in failure messages, e.g. `"LSTM 2-layer bidirectional"`.
    pub name: &'static str,
    /// The module (its parameters are checked).
    pub module: Rc<dyn Module>,
    /// Inputs to differentiate with respect to (float tensors).
    pub inputs: Vec<Tensor>,
    /// Runs the module on the inputs, returning one output (sum several if needed).
    pub forward: ForwardFn,
}

/// Build a case from a concrete module and a forward closure that receives it.
pub fn layer_case<M: Module + 'static>(
    name: &'static str,
    module: M,
    inputs: Vec<Tensor>,
    forward: impl Fn(&M, &[Var]) -> Var + 'static,
) -> LayerCase {
    let module = Rc::new(module);
    let for_forward = Rc::clone(&module);
    LayerCase {
        name,
        module,
        inputs,
        forward: Box::new(move |x| forward(&for_forward, x)),
    }
}

/// Deterministic input values in (−1, 1).
pub fn input(shape: &[usize], salt: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut state = 0x2545_F491_4F6C_DD1Du64 ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let data = (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            2.0 * ((state >> 11) as f64 / (1u64 << 53) as f64) - 1.0
        })
        .collect();
    Tensor::from_vec_f64(data, shape)
}

/// Every layer case of every family.
pub fn all() -> Vec<LayerCase> {
    manual_seed(1234);
    let mut cases = Vec::new();
    cases.extend(basic::cases());
    cases.extend(conv::cases());
    cases.extend(norm::cases());
    cases.extend(rnn::cases());
    cases.extend(attention::cases());
    cases.extend(transformer::cases());
    cases.extend(lm::cases());
    cases
}
