//! Per-op bookkeeping cost of the autograd graph.
//!
//! A chain of 1,000 elementwise ops on a 4-element tensor, forward + backward. The
//! kernels themselves take tens of nanoseconds at this size, so the time per op is
//! almost all graph bookkeeping: recording the node, the topological sort, the
//! gradient map. The same chain is also timed on plain tensors (no graph) and under
//! `no_grad`; the difference is the autograd overhead.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ferrograd::autograd::{Var, no_grad};
use ferrograd::tensor::Tensor;

const OPS: usize = 1_000;

fn chain(x: &Var) -> Var {
    let mut y = x.clone();
    for i in 0..OPS {
        // alternate two cheap ops so the chain is not a single repeated node type
        y = if i % 2 == 0 {
            &y * 1.0001
        } else {
            &y + &y.tanh()
        };
    }
    y.sum()
}

fn tensor_chain(x: &Tensor) -> Tensor {
    let mut y = x.clone();
    for i in 0..OPS {
        y = if i % 2 == 0 {
            y.mul_scalar(1.0001)
        } else {
            &y + &y.tanh()
        };
    }
    y
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("autograd_1000_ops");
    group.sample_size(30);
    let x = Tensor::from_vec(vec![0.1, 0.2, 0.3, 0.4], &[4]);
    group.bench_function("tensors_only", |b| b.iter(|| black_box(tensor_chain(&x))));
    let constant = Var::new(x.clone());
    group.bench_function("vars_under_no_grad", |b| {
        b.iter(|| no_grad(|| black_box(chain(&constant))))
    });
    let param = Var::param(x.clone());
    group.bench_function("forward_and_backward", |b| {
        b.iter(|| {
            let loss = chain(&param);
            loss.backward();
            param.zero_grad();
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
