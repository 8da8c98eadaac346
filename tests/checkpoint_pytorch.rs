//! Checkpoints move both ways between PyTorch and ferrograd.
//!
//! ```text
//! PyTorch  state_dict() ──save_file──▶ checkpoint_torch_state.safetensors ──load──▶ ferrograd   (this test)
//! ferrograd save() ──▶ target/checkpoint_for_pytorch/model.safetensors ──load_state_dict──▶ PyTorch
//!                                                      (checked by tests/fixtures/fixtures_checkpoint.py)
//! ```
//! The model is the fixture script's `Net`: `Embedding(10, 6) → LSTM(6, 8, batch_first)
//! → last step → BatchNorm1d(8) → Linear(8, 4)`, evaluated in eval mode, so the
//! BatchNorm's running statistics (buffers, and PyTorch's int64 `num_batches_tracked`)
//! travel with the weights.

use ferrograd::nn::checkpoint::load_file;
use ferrograd::nn::module::child_prefix;
use ferrograd::nn::{BatchNorm1d, Embedding, LSTM, Linear, Module, RnnConfig};
use ferrograd::prelude::*;

/// The fixture script's `Net`, with the same attribute names (so the same state-dict keys).
struct Net {
    embed: Embedding,
    lstm: LSTM,
    norm: BatchNorm1d,
    head: Linear,
}

impl Net {
    fn new() -> Net {
        Net {
            embed: Embedding::new(10, 6),
            lstm: LSTM::with_config(RnnConfig::new(6, 8).batch_first(true)),
            norm: BatchNorm1d::new(8),
            head: Linear::new(8, 4),
        }
    }

    /// `tokens: [B, T]` → logits `[B, 4]`.
    fn forward(&self, tokens: &Tensor) -> Var {
        let (out, _) = self.lstm.forward(&self.embed.forward(tokens), None); // [B, T, 8]
        let steps = out.shape()[1];
        let last = out.narrow(1, steps - 1, 1).squeeze(1); // [B, 8]
        self.head.forward(&self.norm.forward(&last))
    }
}

impl Module for Net {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.embed.visit_params(&child_prefix(prefix, "embed"), f);
        self.lstm.visit_params(&child_prefix(prefix, "lstm"), f);
        self.norm.visit_params(&child_prefix(prefix, "norm"), f);
        self.head.visit_params(&child_prefix(prefix, "head"), f);
    }

    fn visit_buffers(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.norm.visit_buffers(&child_prefix(prefix, "norm"), f);
    }

    fn set_training(&mut self, training: bool) {
        self.norm.set_training(training);
    }
}

fn fixture_path(file: &str) -> String {
    format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// Largest |a − b| over two tensors of the same shape.
fn max_deviation(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.sub(b).abs().max().item()
}

#[test]
fn pytorch_state_dict_loads_and_gives_pytorchs_outputs() {
    let mut net = Net::new();
    net.load(fixture_path("checkpoint_torch_state.safetensors"))
        .unwrap();
    net.eval();
    let io = load_file(fixture_path("checkpoint_torch_io.safetensors")).unwrap();
    let output = no_grad(|| net.forward(&io["tokens"])).value();
    let deviation = max_deviation(&output, &io["output"].to_dtype(DType::F32));
    assert!(deviation < 1e-5, "max |ferrograd − PyTorch| = {deviation}");
    // the running statistics came from the file, not from the defaults
    let (_, running_var) = &net.named_buffers()[1];
    assert_ne!(running_var.value().to_vec::<f32>(), vec![1.0; 8]);
}

#[test]
fn ferrograd_file_for_pytorch_is_written_and_reads_back() {
    manual_seed(7);
    let mut net = Net::new();
    let tokens = Tensor::from_vec_i64((0..15).map(|i| (i * 7 + 3) % 10).collect(), &[3, 5]);
    net.train();
    for _ in 0..3 {
        no_grad(|| net.forward(&tokens)); // moves BatchNorm's running statistics
    }
    net.eval();
    let output = no_grad(|| net.forward(&tokens)).value();

    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/checkpoint_for_pytorch");
    std::fs::create_dir_all(&dir).unwrap();
    net.save(dir.join("model.safetensors")).unwrap();
    let io = [
        ("tokens".to_string(), tokens.clone()),
        ("padding".to_string(), tokens.eq_scalar(0.0)), // a bool mask, for PyTorch's torch.bool
        ("output".to_string(), output.clone()),
    ];
    ferrograd::nn::checkpoint::save_state_dict(
        &io.into_iter().collect(),
        dir.join("io.safetensors"),
    )
    .unwrap();

    let names: Vec<String> = load_file(dir.join("model.safetensors"))
        .unwrap()
        .into_keys()
        .collect();
    let expected = [
        "embed.weight",
        "head.bias",
        "head.weight",
        "lstm.bias_hh_l0",
        "lstm.bias_ih_l0",
        "lstm.weight_hh_l0",
        "lstm.weight_ih_l0",
        "norm.bias",
        "norm.num_batches_tracked",
        "norm.running_mean",
        "norm.running_var",
        "norm.weight",
    ];
    assert_eq!(names, expected, "PyTorch's state_dict keys of the same Net");

    let mut fresh = Net::new();
    fresh.load(dir.join("model.safetensors")).unwrap();
    fresh.eval();
    let again = no_grad(|| fresh.forward(&tokens)).value();
    assert_eq!(again.to_vec::<f32>(), output.to_vec::<f32>());
    // int64 in the file, as PyTorch writes token ids and num_batches_tracked
    let state = load_file(dir.join("model.safetensors")).unwrap();
    assert_eq!(state["norm.num_batches_tracked"].to_vec::<i64>(), [3]);
    let io = load_file(dir.join("io.safetensors")).unwrap();
    assert_eq!(io["tokens"].to_vec::<i64>(), tokens.to_vec::<i64>());
    assert_eq!(io["padding"].dtype(), DType::Bool);
}
