//! Embedding, LayerNorm, BatchNorm1d/2d, GroupNorm and RMSNorm against PyTorch 2
//! (float32, CPU), on the fixtures written by `tests/fixtures/fixtures_norm.py`: same
//! weights and buffers (loaded with `load_state_dict`), same inputs; compare the
//! output, the gradients of `(output · w).sum()` with respect to the input and every
//! parameter, and, for BatchNorm, the running statistics after the step.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ 1e-5 · max(1, max |PyTorch|)   (f32 on both sides)
//! largest deviation seen: 2.2e-7 (rms_norm); the run prints it (`-- --nocapture`)
//! ```
//! BatchNorm's `num_batches_tracked` and Embedding's ids are int64 in the fixtures, as
//! in PyTorch and in ferrograd.

mod pytorch_fixture;

use ferrograd::nn::{BatchNorm1d, BatchNorm2d, Embedding, GroupNorm, LayerNorm, Module, RMSNorm};
use ferrograd::prelude::Forward;
use ferrograd::tensor::DType;
use pytorch_fixture::{check, deviation, fixture, outputs, under};

/// A layer with one float input `x`.
fn check_layer<M: Forward>(file: &str, module: &M) -> f64 {
    check(file, module, |m, x| {
        outputs([("output", m.forward(&x.vars["x"]))])
    })
}

/// [`check_layer`], then the buffers after the step against `after.*`.
fn check_with_buffers<M: Forward>(file: &str, module: &M) -> f64 {
    let worst = check_layer(file, module);
    let after = under(&fixture(file), "after.");
    let buffers = module.named_buffers();
    assert_eq!(buffers.len(), after.len(), "{file}: buffers");
    let buffers_worst = buffers
        .iter()
        .map(|(name, b)| deviation(&format!("{file} after.{name}"), &b.value(), &after[name]))
        .fold(0.0, f64::max);
    println!("{file}: buffers after the step, largest deviation {buffers_worst:e}");
    worst.max(buffers_worst)
}

#[test]
fn embedding_with_padding_matches_pytorch() {
    for (file, sparse, num, dim, pad) in [
        ("norm_embedding_padding", false, 10, 4, 0),
        ("norm_embedding_sparse_padding", true, 6, 3, 2),
    ] {
        let emb = Embedding::new(num, dim).padding_idx(pad).sparse(sparse);
        check(file, &emb, |m, x| {
            outputs([("output", m.forward(&x.consts["indices"]))])
        });
        // the loaded padding row is zero, and stays out of the gradient
        let padding_row = |t: Vec<f32>| t[pad as usize * dim..][..dim].to_vec();
        assert_eq!(padding_row(emb.weight.value().to_vec()), vec![0.0; dim]);
        assert_eq!(
            padding_row(emb.weight.grad().unwrap().to_vec()),
            vec![0.0; dim]
        );
    }
}

#[test]
fn layer_norm_matches_pytorch() {
    check_layer("norm_layer_norm_1d", &LayerNorm::new(&[6]));
    check_layer("norm_layer_norm_2d", &LayerNorm::new(&[3, 4]));
    let no_bias = LayerNorm::new(&[3, 4]).eps(1e-3).bias(false);
    check_layer("norm_layer_norm_2d_nobias_eps", &no_bias);
}

#[test]
fn batch_norm_in_training_matches_pytorch_with_running_stats() {
    check_with_buffers("norm_batch_norm1d_train", &BatchNorm1d::new(3));
    let cumulative = BatchNorm1d::new(3).momentum(None);
    check_with_buffers("norm_batch_norm1d_train_3d_cumulative", &cumulative);
    let bn2 = BatchNorm2d::new(2).momentum(Some(0.3));
    check_with_buffers("norm_batch_norm2d_train", &bn2);
}

#[test]
fn batch_norm_in_eval_mode_matches_pytorch() {
    let mut bn1 = BatchNorm1d::new(3);
    bn1.eval();
    check_with_buffers("norm_batch_norm1d_eval", &bn1);
    let mut bn2 = BatchNorm2d::new(2).affine(false);
    bn2.eval();
    check_with_buffers("norm_batch_norm2d_eval_no_affine", &bn2);
}

#[test]
fn group_norm_matches_pytorch() {
    check_layer("norm_group_norm", &GroupNorm::new(2, 6));
    check_layer("norm_group_norm_4d", &GroupNorm::new(3, 3).eps(1e-3));
}

#[test]
fn rms_norm_matches_pytorch() {
    // eps = None: the f32 machine epsilon, as torch.finfo(torch.float32).eps
    check_layer("norm_rms_norm", &RMSNorm::new(&[5]));
    // inputs ~1e-3: mean(x²) ~1e-6, so a wrong default ε would show
    check_layer("norm_rms_norm_tiny_input", &RMSNorm::new(&[4]));
    check_layer(
        "norm_rms_norm_2d_eps",
        &RMSNorm::new(&[3, 5]).eps(Some(1e-6)),
    );
}

#[test]
fn a_state_dict_round_trips_through_buffers() {
    // the fixture's BatchNorm state (num_batches_tracked = 5, int64) loads and saves
    let data = fixture("norm_batch_norm1d_train");
    assert_eq!(data["model.num_batches_tracked"].dtype(), DType::I64);
    let bn = BatchNorm1d::new(3);
    bn.load_state_dict(&under(&data, "model."), true).unwrap();
    let saved = bn.state_dict();
    assert_eq!(saved["num_batches_tracked"].to_vec::<i64>(), [5]);
    assert_eq!(
        saved["running_var"].to_vec::<f32>(),
        data["model.running_var"].to_vec::<f32>()
    );
}
