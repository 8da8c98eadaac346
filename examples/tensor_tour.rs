//! A ten-minute tour of ferrograd's `Tensor`: creation, broadcasting, views that
//! share storage, reductions and softmax, error messages, and a timed matmul.
//!
//! ```text
//! cargo run --release --example tensor_tour
//! ```
//! Each section prints what it does; read this file beside the output. The last line
//! is the figure that matters: matmul throughput in GFLOP/s on this machine.
//! Read next: `tensor/src/lib.rs` (the reading order of the tensor crate).

use std::time::Instant;

use ferrograd::prelude::*;

fn section(title: &str) {
    println!("\n== {title}");
}

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "common/cli.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::run(|| {
        cli::Cli::new(
            "tensor_tour",
            "A tour of tensors: creation, broadcasting, views, reductions, errors, a timed matmul.",
        )
        .parse()?;
        tour();
        Ok(())
    })
}

fn tour() {
    section("1. Creation (f32 unless you ask for f64)");
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    println!("a = {a}");
    println!("arange(0, 5, 1) = {}", Tensor::arange(0.0, 5.0, 1.0));
    println!("eye(2) as f64 = {}", Tensor::eye(2).to_dtype(DType::F64));
    manual_seed(42); // one seed makes every run print the same numbers
    println!("randn([2, 2]) = {}", Tensor::randn(&[2, 2]));
    println!("a 0-d tensor: {}", Tensor::scalar(3.5));

    section("2. Broadcasting: shapes align on the right; size-1 dims stretch");
    let col = Tensor::from_vec(vec![10.0, 20.0, 30.0], &[3, 1]);
    let row = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]);
    let sum = &col + &row;
    println!("{:?} + {:?} -> {:?}", col.shape(), row.shape(), sum.shape());
    println!("{sum}");

    section("3. Views: a transpose shares storage and only swaps strides");
    let at = a.t();
    println!(
        "a   shape {:?} strides {:?} contiguous {}",
        a.shape(),
        a.strides(),
        a.is_contiguous()
    );
    println!(
        "a.t shape {:?} strides {:?} contiguous {}",
        at.shape(),
        at.strides(),
        at.is_contiguous()
    );
    println!(
        "a.t() shares storage with a: {}",
        at.shares_storage_with(&a)
    );
    println!(
        "a.t().contiguous() shares storage with a: {}",
        at.contiguous().shares_storage_with(&a)
    );
    println!("a.reshape([3, 2]) = {}", a.reshape(&[3, 2]));

    section("4. Reductions and a stable softmax");
    println!("a.sum_dim(1, keepdim=false) = {}", a.sum_dim(1, false));
    println!("a.mean() = {}", a.mean());
    let logits = Tensor::from_vec(vec![1.0, 2.0, 3.0, 1000.0, 1001.0, 1002.0], &[2, 3]);
    // Row 2 would overflow exp() naively; softmax subtracts the row max first.
    println!("softmax(logits, -1) = {}", logits.softmax(-1));

    section("5. Matmul: PyTorch's shape rules, batch dims broadcast");
    println!("a · a.t() = {}", a.matmul(&at));
    let batched = Tensor::ones(&[2, 1, 3, 4]).matmul(&Tensor::ones(&[5, 4, 6]));
    println!("[2, 1, 3, 4] · [5, 4, 6] -> {:?}", batched.shape());
    let err = Tensor::zeros(&[32, 64])
        .try_matmul(&Tensor::zeros(&[65, 10]))
        .unwrap_err();
    println!("a mistake explains itself:\n  {err}");

    section("6. A timed 512 x 512 x 512 matmul (f32)");
    let n = 512;
    let x = Tensor::randn(&[n, n]);
    let y = Tensor::randn(&[n, n]);
    let flops = 2.0 * (n * n * n) as f64;
    let gflops = |y: &Tensor| {
        x.matmul(y); // warm-up
        let mut times: Vec<f64> = (0..21)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(x.matmul(y));
                start.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        flops / times[times.len() / 2] / 1e9 // median of 21 runs
    };
    let plain = gflops(&y);
    let yt = y.t(); // a strided view: read in place by the kernel, no copy
    let transposed = gflops(&yt);
    println!("x · y     {plain:6.1} GFLOP/s");
    println!("x · y.t() {transposed:6.1} GFLOP/s (y.t() is a view: no copy)");
    // rayon's pool: one thread per core unless RAYON_NUM_THREADS says otherwise.
    let threads = rayon::current_num_threads();
    println!("\nmatmul 512x512x512 f32: {plain:.1} GFLOP/s on {threads} thread(s)");
}
