//! `Conv2d` forward + backward, timed the way `benches/pytorch/conv.py` times the same
//! layers in PyTorch (oneDNN), at 1 and 2 threads, so that the two can be run in one
//! sitting and compared:
//!
//! ```text
//! cargo bench --bench conv                  # criterion, then the table
//! cargo bench --bench conv -- table         # the table only (~1 minute)
//! python benches/pytorch/conv.py             # PyTorch's table
//! ```
//! Cases (batch 64, f32): LeNet-5's two convolutions, the second convolution of the
//! MNIST CNN of `examples/mnist_cnn.rs`, and a ResNet block's 3×3 convolution. One step
//! is `y = conv(x)` then `y.backward_with(g)` with a fixed `g`: the weight's and bias's
//! gradients always, the input's only where the layer is not the first (its input
//! then needs one). Each figure is the median of `REPEATS` steps (default 15) after 3
//! warm-up steps, wall-clock and CPU time of the calling thread. Under
//! `cargo test --benches` each criterion case runs once and the table is skipped.

#![allow(missing_docs)]

mod cpu_clock;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cpu_clock::thread_cpu_seconds;
use criterion::{BenchmarkId, Criterion, Throughput};
use ferrograd::nn::Conv2d;
use ferrograd::prelude::*;

/// One convolution layer and the input it runs on.
struct Case {
    name: &'static str,
    /// `[B, C_in, H, W]`.
    input: [usize; 4],
    out_channels: usize,
    kernel: usize,
    padding: usize,
    /// Whether the input needs a gradient (not for a first layer's images).
    input_grad: bool,
}

const CASES: [Case; 4] = [
    Case {
        name: "LeNet c1 [64,1,28,28]→6 5×5 p2",
        input: [64, 1, 28, 28],
        out_channels: 6,
        kernel: 5,
        padding: 2,
        input_grad: false,
    },
    Case {
        name: "LeNet c2 [64,6,14,14]→16 5×5",
        input: [64, 6, 14, 14],
        out_channels: 16,
        kernel: 5,
        padding: 0,
        input_grad: true,
    },
    Case {
        name: "MNIST c2 [64,32,12,12]→64 5×5",
        input: [64, 32, 12, 12],
        out_channels: 64,
        kernel: 5,
        padding: 0,
        input_grad: true,
    },
    Case {
        name: "ResNet [64,32,28,28]→64 3×3 p1",
        input: [64, 32, 28, 28],
        out_channels: 64,
        kernel: 3,
        padding: 1,
        input_grad: true,
    },
];

impl Case {
    /// Multiply-adds × 2 of the forward, and of the two backward products.
    fn flops(&self) -> f64 {
        let [b, c, h, w] = self.input;
        let out = |n: usize| n + 2 * self.padding - self.kernel + 1;
        let forward = 2 * b * self.out_channels * out(h) * out(w) * c * self.kernel * self.kernel;
        (forward * if self.input_grad { 3 } else { 2 }) as f64
    }

    /// The layer, its input and the output gradient, seeded.
    fn setup(&self) -> (Conv2d, Var, Tensor) {
        manual_seed(0);
        let conv = Conv2d::new(self.input[1], self.out_channels, self.kernel).padding(self.padding);
        let x = Tensor::randn(&self.input);
        let x = if self.input_grad {
            Var::param(x)
        } else {
            Var::new(x)
        };
        let g = Tensor::randn(&conv.forward(&x).shape());
        (conv, x, g)
    }
}

/// One forward + backward of the case's layer.
fn step(conv: &Conv2d, x: &Var, g: &Tensor) {
    conv.zero_grad();
    x.zero_grad();
    conv.forward(black_box(x)).backward_with(g);
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Median (wall, cpu) milliseconds of `REPEATS` steps after 3 warm-up steps.
fn median_ms(case: &Case) -> (f64, f64) {
    let repeats = std::env::var("REPEATS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    let (conv, x, g) = case.setup();
    for _ in 0..3 {
        step(&conv, &x, &g);
    }
    let (walls, cpus): (Vec<f64>, Vec<f64>) = (0..repeats)
        .map(|_| {
            let (start, cpu_start) = (Instant::now(), thread_cpu_seconds());
            step(&conv, &x, &g);
            let wall = start.elapsed().as_secs_f64() * 1e3;
            let cpu = match (cpu_start, thread_cpu_seconds()) {
                (Some(a), Some(b)) => (b - a) * 1e3,
                _ => wall,
            };
            (wall, cpu)
        })
        .unzip();
    (median(walls), median(cpus))
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
}

fn criterion_benches(c: &mut Criterion) {
    for case in &CASES {
        let mut group = c.benchmark_group(format!("conv2d fwd+bwd/{}", case.name));
        group.throughput(Throughput::Elements(case.flops() as u64));
        for threads in [1, 2] {
            let pool = pool(threads);
            let (conv, x, g) = pool.install(|| case.setup());
            group.bench_function(
                BenchmarkId::new("ours", format!("{threads}_thread")),
                |bench| bench.iter(|| pool.install(|| step(&conv, &x, &g))),
            );
        }
        group.finish();
    }
}

fn print_table() {
    println!("\nConv2d forward + backward, f32, median of REPEATS steps: wall ms (cpu ms of the");
    println!(
        "calling thread); GFLOP/s@1 per CPU-second at 1 thread (all the work is on that thread)"
    );
    println!(
        "| {:<32} | {:>15} | {:>15} | {:>9} |",
        "case", "1 thread", "2 threads", "GFLOP/s@1"
    );
    println!("|---|---|---|---|");
    for case in &CASES {
        let one = pool(1).install(|| median_ms(case));
        let two = pool(2).install(|| median_ms(case));
        println!(
            "| {:<32} | {:>6.2} ({:>6.2}) | {:>6.2} ({:>6.2}) | {:>9.1} |",
            case.name,
            one.0,
            one.1,
            two.0,
            two.1,
            case.flops() / one.1 / 1e6
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not (run once, no table).
    let table = std::env::args().any(|a| a == "--bench");
    if !std::env::args().any(|a| a == "table") {
        let mut c = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2))
            .configure_from_args();
        criterion_benches(&mut c);
        c.final_summary();
    }
    if table {
        print_table();
    }
}
