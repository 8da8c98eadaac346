//! A small convolutional network on real handwritten digits.
//!
//! ```text
//! cargo run --release --example mnist_cnn                 # 12 epochs, ~1 minute on 2 cores
//! cargo run --release --example mnist_cnn -- --epochs 3   # shorter
//! cargo run --release --example mnist_cnn -- --help       # its flags and defaults
//! ```
//! 10,000 MNIST digits (28×28, bundled in `data/mnist/`), a seeded 8,000 / 2,000
//! split, and the CNN of the data README (the one PyTorch reaches 97.3–97.8% with):
//!
//! ```text
//! [B, 1, 28, 28] → Conv2d(1, 32, 5) → ReLU → MaxPool2d(2)    [B, 32, 12, 12]
//!                → Conv2d(32, 64, 5) → ReLU → MaxPool2d(2)   [B, 64, 4, 4]
//!                → Flatten → Dropout(0.25) → Linear(1024, 128) → ReLU
//!                → Dropout(0.25) → Linear(128, 10)           [B, 10] logits
//! ```
//! What takes it past 98%: each training image is shifted by up to 2 pixels in each
//! direction (a new random shift every epoch, so the network sees 25 variants of each
//! digit), dropout, and AdamW under a warmup + cosine learning-rate schedule.
//! `examples/mnist_cnn_pytorch.py` trains the same model the same way in PyTorch, for
//! the epoch time. The last line is the figure that matters: test accuracy.

use std::time::Instant;

use ferrograd::data::{Dataset, load_mnist};
use ferrograd::nn::loss::cross_entropy;
use ferrograd::nn::{Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, metrics};
use ferrograd::optim::schedule::WarmupCosine;
use ferrograd::optim::{AdamW, LrSchedule, Optimizer};
use ferrograd::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "common/cli.rs"]
mod cli;

const BATCH: usize = 64;
const LR: f64 = 2e-3;
const SEED: u64 = 0;
/// Largest shift of the augmentation, in pixels.
const SHIFT: usize = 2;

/// The CNN of the module doc.
fn model() -> Sequential {
    Sequential::new()
        .add(Conv2d::new(1, 32, 5))
        .add(ReLU)
        .add(MaxPool2d::new(2))
        .add(Conv2d::new(32, 64, 5))
        .add(ReLU)
        .add(MaxPool2d::new(2))
        .add(Flatten::new())
        .add(Dropout::new(0.25))
        .add(Linear::new(64 * 4 * 4, 128))
        .add(ReLU)
        .add(Dropout::new(0.25))
        .add(Linear::new(128, 10))
}

/// `images` (`[N, 1, 28, 28]`) each moved by a random whole number of pixels in
/// `−SHIFT..=SHIFT` along each axis; pixels moved in from outside are background (0).
fn shifted(images: &Tensor) -> Tensor {
    let (n, side) = (images.shape()[0], images.shape()[3]);
    let pixels = images.to_vec::<f32>();
    let shifts = Tensor::rand(&[n, 2]).to_vec::<f32>(); // seeded by manual_seed
    let mut out = vec![0.0f32; pixels.len()];
    let span = 2 * SHIFT + 1;
    for (k, (image, moved)) in pixels
        .chunks(side * side)
        .zip(out.chunks_mut(side * side))
        .enumerate()
    {
        let offset = |u: f32| ((u * span as f32) as usize).min(2 * SHIFT) as isize - SHIFT as isize;
        let (dy, dx) = (offset(shifts[2 * k]), offset(shifts[2 * k + 1]));
        for y in 0..side as isize {
            for x in 0..side as isize {
                let (sy, sx) = (y - dy, x - dx);
                if (0..side as isize).contains(&sy) && (0..side as isize).contains(&sx) {
                    moved[(y as usize) * side + x as usize] =
                        image[(sy as usize) * side + sx as usize];
                }
            }
        }
    }
    Tensor::from_vec(out, images.shape())
}

/// Accuracy on `data` in evaluation mode (dropout off), 500 images at a time.
fn accuracy(model: &mut Sequential, data: &Dataset) -> f64 {
    model.eval();
    let rows: Vec<usize> = (0..data.len()).collect();
    let correct: f64 = rows
        .chunks(500)
        .map(|rows| {
            let part = data.select(rows);
            let logits = no_grad(|| model.forward(&Var::new(part.features.clone())));
            metrics::accuracy(&logits.value(), &part.labels) * rows.len() as f64
        })
        .sum();
    model.train();
    correct / data.len() as f64
}

fn main() -> std::process::ExitCode {
    cli::run(mnist_cnn)
}

fn mnist_cnn() -> cli::Result<()> {
    let args = cli::Cli::new(
        "mnist_cnn",
        "Trains a small CNN on the bundled MNIST digits and prints its test accuracy.",
    )
    .flag(
        "--epochs",
        "N",
        "12",
        "passes over the 8,000 training digits",
    )
    .parse()?;
    let epochs: usize = args.get("--epochs")?;
    manual_seed(SEED);
    let mnist = load_mnist()?;
    let (train, test) = mnist.train_test_split(0.2, SEED);
    println!(
        "MNIST: {} train, {} test images of 28×28; {} rayon threads",
        train.len(),
        test.len(),
        rayon::current_num_threads()
    );

    let mut model = model();
    println!("model: {} parameters", model.num_parameters());
    let steps_per_epoch = train.len().div_ceil(BATCH);
    let total = epochs * steps_per_epoch;
    let schedule = WarmupCosine::new(LR, steps_per_epoch, total).min_lr(LR / 50.0);
    let mut optimizer = AdamW::new(model.parameters(), LR).weight_decay(1e-4);
    let bar = ProgressBar::new(total as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} steps {elapsed}  {msg}",
    )?);
    let (mut step, mut epoch_seconds) = (0, Vec::new());
    model.train();
    for epoch in 0..epochs {
        let start = Instant::now();
        let mut loss_sum = 0.0;
        for batch in train.shuffled_batches(BATCH, SEED + epoch as u64) {
            let logits = model.forward(&Var::new(shifted(&batch.features)));
            let loss = cross_entropy(&logits, &batch.labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.set_lr(schedule.lr(step));
            optimizer.step();
            loss_sum += loss.item();
            step += 1;
            bar.inc(1);
        }
        epoch_seconds.push(start.elapsed().as_secs_f64());
        let test_accuracy = accuracy(&mut model, &test);
        // (`suspend`, not `bar.println`, which prints nothing when the bar is hidden)
        bar.suspend(|| {
            println!(
                "epoch {:>2}  loss {:.4}  test accuracy {:.2}%  ({:.1} s)",
                epoch + 1,
                loss_sum / steps_per_epoch as f64,
                100.0 * test_accuracy,
                epoch_seconds[epoch]
            )
        });
    }
    bar.finish_and_clear();
    epoch_seconds.sort_by(f64::total_cmp);
    println!(
        "median epoch: {:.1} s wall (8,000 images, forward + backward + AdamW)",
        epoch_seconds[epoch_seconds.len() / 2]
    );
    println!("test accuracy: {:.2}%", 100.0 * accuracy(&mut model, &test));
    Ok(())
}
