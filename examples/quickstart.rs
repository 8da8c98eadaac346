//! Quickstart: train a real model on real data in under a minute.
//!
//! ```text
//! cargo run --release --example quickstart
//! cargo run --release --example quickstart -- --help     # its flags and defaults
//! ```
//! 1,797 handwritten digits (8×8 pixels, scikit-learn's copy of the UCI set, bundled in
//! `data/sklearn/`), a fixed 80/20 split, and an MLP
//! `Linear(64, 128) → ReLU → Dropout(0.1) → Linear(128, 10)` trained with AdamW under a
//! linear-warmup + cosine learning-rate schedule on the cross-entropy loss.
//! Along the way it gradchecks one layer (to show that the gradients are right), and at
//! the end it saves the weights (`target/quickstart/quickstart.safetensors`, loadable
//! in PyTorch) and the loss curve (`target/quickstart/loss.png`).
//! The last line is the figure that matters: test accuracy.

use std::time::Instant;

use ferrograd::autograd::gradcheck_with_params;
use ferrograd::data::load_digits;
use ferrograd::nn::loss::cross_entropy;
use ferrograd::nn::{Dropout, Linear, ReLU, Sequential, metrics};
use ferrograd::optim::schedule::WarmupCosine;
use ferrograd::optim::{AdamW, LrSchedule, Optimizer};
use ferrograd::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "common/cli.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::run(quickstart)
}

fn quickstart() -> cli::Result<()> {
    let args = cli::Cli::new(
        "quickstart",
        "Trains an MLP on the bundled 8x8 digits and prints its test accuracy.",
    )
    .flag("--epochs", "N", "40", "passes over the training set")
    .flag("--batch", "N", "64", "examples per step")
    .flag(
        "--lr",
        "X",
        "3e-3",
        "peak learning rate (AdamW, warmup + cosine)",
    )
    .flag(
        "--seed",
        "N",
        "0",
        "seed of the split, the init, dropout and shuffling",
    )
    .parse()?;
    let (epochs, batch_size): (usize, usize) = (args.get("--epochs")?, args.get("--batch")?);
    let (lr, seed): (f64, u64) = (args.get("--lr")?, args.get("--seed")?);
    let start = Instant::now();
    manual_seed(seed);

    // ---- data: pixels 0..16 scaled to 0..1, a fixed 80/20 split
    let digits = load_digits()?;
    let (mut train, mut test) = digits.train_test_split(0.2, seed);
    train.features = train.features.mul_scalar(1.0 / 16.0);
    test.features = test.features.mul_scalar(1.0 / 16.0);
    println!(
        "digits: {} train, {} test, {} classes",
        train.len(),
        test.len(),
        digits.num_classes
    );

    // ---- the model
    let mut model = Sequential::new()
        .add(Linear::new(64, 128))
        .add(ReLU)
        .add(Dropout::new(0.1))
        .add(Linear::new(128, 10));
    println!("model: {} parameters", model.num_parameters());

    // ---- one layer's gradients, checked against finite differences (f64)
    let probe = Linear::new(4, 3);
    probe.to_dtype(DType::F64);
    let report = gradcheck_with_params(
        |x| probe.forward(&x[0]).tanh(),
        &[Tensor::randn(&[2, 4])],
        &probe.parameters(),
    );
    report.assert_passed();
    print!("{report}");

    // ---- training: AdamW, linear warmup then cosine decay, one step per mini-batch
    let steps_per_epoch = train.len().div_ceil(batch_size);
    let total_steps = epochs * steps_per_epoch;
    let schedule = WarmupCosine::new(lr, total_steps / 20, total_steps).min_lr(lr / 100.0);
    let mut optimizer = AdamW::new(model.parameters(), lr).weight_decay(1e-4);
    let bar = ProgressBar::new(total_steps as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} steps  {msg}",
    )?);
    let mut losses = Vec::with_capacity(total_steps);
    let mut step = 0;
    model.train();
    for epoch in 0..epochs {
        for batch in train.shuffled_batches(batch_size, epoch as u64) {
            let logits = model.forward(&Var::new(batch.features));
            let loss = cross_entropy(&logits, &batch.labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.set_lr(schedule.lr(step));
            optimizer.step();
            losses.push(loss.item());
            step += 1;
            bar.inc(1);
        }
        bar.set_message(format!(
            "epoch {:>2}  loss {:.4}",
            epoch + 1,
            losses.last().copied().unwrap_or(0.0)
        ));
    }
    bar.finish();

    // ---- evaluation (dropout off, no graph)
    model.eval();
    let logits = no_grad(|| model.forward(&Var::new(test.features.clone())));
    let accuracy = metrics::accuracy(&logits.value(), &test.labels);

    // ---- artefacts
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/quickstart");
    std::fs::create_dir_all(&out)?;
    model.save(out.join("quickstart.safetensors"))?;
    ferrograd::plot::loss_curve(&losses)
        .with_title("MLP 64-128-10 on the sklearn digits: training loss")
        .save_png(out.join("loss.png"))?;
    println!(
        "saved {} and {}",
        out.join("quickstart.safetensors").display(),
        out.join("loss.png").display()
    );
    println!(
        "trained {total_steps} steps in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    println!("test accuracy: {:.2}%", 100.0 * accuracy);
    Ok(())
}
