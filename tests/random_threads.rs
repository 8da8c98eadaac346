//! Reproducible randomness across threads (issue 24, item 2): two threads that each
//! seed, build a model, train it with dropout and shuffle their data get exactly what
//! the same code gets alone. Each thread has its own default generator (seeded by
//! `manual_seed`); data shuffling here draws from an explicit `Generator`.

use std::sync::Barrier;
use std::thread;

use ferrograd::data::load_iris;
use ferrograd::nn::loss::cross_entropy;
use ferrograd::nn::{Dropout, Linear, ReLU, Sequential};
use ferrograd::optim::{Optimizer, SGD};
use ferrograd::prelude::*;
use ferrograd::tensor::{get_rng_state, set_rng_state};

/// Everything a seeded run draws or computes: the initial weights, the batch orders,
/// the losses (which see the dropout masks) and the final weights. `sync` is called
/// between the draws, where a concurrent run can interleave its own.
fn seeded_run(seed: u64, sync: &dyn Fn()) -> Vec<Vec<f32>> {
    manual_seed(seed);
    let mut shuffle = Generator::new();
    shuffle.manual_seed(seed + 100);
    sync();
    let model = Sequential::new()
        .add(Linear::new(4, 16))
        .add(ReLU)
        .add(Dropout::new(0.5))
        .add(Linear::new(16, 3));
    let weights = |m: &Sequential| -> Vec<Vec<f32>> {
        m.parameters().iter().map(|p| p.value().to_vec()).collect()
    };
    let mut record = weights(&model);
    let iris = load_iris().unwrap();
    let mut optimizer = SGD::new(model.parameters(), 0.05);
    for _epoch in 0..3 {
        sync();
        for batch in iris.shuffled_batches_with(50, &mut shuffle) {
            record.push(batch.labels.to_vec());
            let loss = cross_entropy(&model.forward(&Var::new(batch.features)), &batch.labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            record.push(vec![loss.item() as f32]);
            sync();
        }
        record.push(Tensor::randn(&[4]).to_vec()); // a draw outside the model, too
    }
    record.extend(weights(&model));
    record
}

#[test]
fn two_threads_that_seed_and_train_reproduce_their_single_thread_runs() {
    // Alone, one after the other, each on a fresh thread.
    let alone = |seed: u64| {
        thread::spawn(move || seeded_run(seed, &|| ()))
            .join()
            .unwrap()
    };
    let (alone_1, alone_2) = (alone(1), alone(2));
    assert_ne!(alone_1, alone_2, "different seeds must give different runs");
    // Together: a barrier makes the two threads take turns at every draw point, so
    // with one shared generator their draws would interleave.
    let barrier = Barrier::new(2);
    let (together_1, together_2) = thread::scope(|s| {
        let one = s.spawn(|| {
            seeded_run(1, &|| {
                barrier.wait();
            })
        });
        let two = s.spawn(|| {
            seeded_run(2, &|| {
                barrier.wait();
            })
        });
        (one.join().unwrap(), two.join().unwrap())
    });
    assert!(
        together_1 == alone_1,
        "thread 1 differs from its single-thread run"
    );
    assert!(
        together_2 == alone_2,
        "thread 2 differs from its single-thread run"
    );
}

#[test]
fn a_saved_rng_state_resumes_the_same_draws() {
    manual_seed(3);
    let x = Var::new(Tensor::ones(&[64]));
    let _ = Linear::new(8, 8); // some draws before the save point
    let saved = get_rng_state();
    let later = || {
        let layer = Linear::new(3, 2);
        let dropped = x.dropout(0.5, true).value().to_vec::<f32>();
        (
            layer.weight.value().to_vec::<f32>(),
            dropped,
            Tensor::randperm(10).to_vec::<f32>(),
        )
    };
    let first = later();
    set_rng_state(&saved);
    assert!(
        later() == first,
        "a restored state must repeat the draws that followed it"
    );
}
