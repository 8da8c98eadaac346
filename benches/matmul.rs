//! Matmul speed: `Tensor::matmul` against calling `matrixmultiply::sgemm` directly on
//! the same buffers, so the table shows what our wrapper (shape checks, views,
//! output allocation, rayon splitting) costs over the bare kernel.
//!
//! ```text
//! flops of [B, m, k] · [k, n] = 2·B·m·k·n        GFLOP/s = flops / seconds / 1e9
//! ```
//!
//! `cargo bench --bench matmul` runs criterion (elements/s = flop/s) and then prints a
//! plain GFLOP/s table (median of a few timed runs) at 1 thread and 2 threads. At
//! 2 threads the raw baseline splits the rows (or the batch) in two halves by hand
//! with `rayon::join`, the best a caller could do with the bare kernel.
//! Acceptance: at ≥ 256 on 1 thread, ours is within 5% of raw (ratio ≥ 0.95).
//! `cargo bench --bench matmul -- table` prints the table only (the filter `table`
//! matches no criterion case). Under `cargo test --benches` each case runs once and the
//! table is skipped.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use ndarray::{ArrayD, IxDyn};
use tensor::Tensor;

/// One benchmarked product: `batch` copies of `[m, k] · [k, n]`.
#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
}

impl Case {
    fn flops(&self) -> u64 {
        2 * (self.batch * self.m * self.k * self.n) as u64
    }
}

const CASES: &[Case] = &[
    Case {
        name: "64",
        batch: 1,
        m: 64,
        k: 64,
        n: 64,
    },
    Case {
        name: "128",
        batch: 1,
        m: 128,
        k: 128,
        n: 128,
    },
    Case {
        name: "256",
        batch: 1,
        m: 256,
        k: 256,
        n: 256,
    },
    Case {
        name: "512",
        batch: 1,
        m: 512,
        k: 512,
        n: 512,
    },
    Case {
        name: "1024",
        batch: 1,
        m: 1024,
        k: 1024,
        n: 1024,
    },
    Case {
        name: "2048",
        batch: 1,
        m: 2048,
        k: 2048,
        n: 2048,
    },
    // Transformer feed-forward shapes: tokens × d_model × d_ff and back.
    Case {
        name: "2048x256x1024",
        batch: 1,
        m: 2048,
        k: 256,
        n: 1024,
    },
    Case {
        name: "2048x1024x256",
        batch: 1,
        m: 2048,
        k: 1024,
        n: 256,
    },
    // Attention scores: 256 (batch × heads) products of 64×64 by 64×64.
    Case {
        name: "256x(64x64x64)",
        batch: 256,
        m: 64,
        k: 64,
        n: 64,
    },
];

/// The operands of a case, as tensors; `transposed` stores B as `[n, k]` and passes
/// its transpose (a strided view, strides [1, k]) to matmul.
struct Operands {
    a: Tensor,
    b: Tensor,
    transposed: bool,
}

fn operands(case: &Case, transposed: bool) -> Operands {
    let Case { batch, m, k, n, .. } = *case;
    let fill = |len: usize, seed: usize| {
        (0..len)
            .map(|i| ((i * 7 + seed) % 13) as f32 / 13.0 - 0.5)
            .collect()
    };
    let a = ArrayD::from_shape_vec(IxDyn(&[batch, m, k]), fill(batch * m * k, 1)).unwrap();
    let b = if transposed {
        let stored = ArrayD::from_shape_vec(IxDyn(&[batch, n, k]), fill(batch * k * n, 2)).unwrap();
        stored.permuted_axes(IxDyn(&[0, 2, 1]))
    } else {
        ArrayD::from_shape_vec(IxDyn(&[batch, k, n]), fill(batch * k * n, 2)).unwrap()
    };
    // A batch of 1 is dropped, so the 2-D cases go through the plain 2-D path.
    let (a, b) = if batch == 1 {
        (
            a.index_axis_move(ndarray::Axis(0), 0),
            b.index_axis_move(ndarray::Axis(0), 0),
        )
    } else {
        (a, b)
    };
    Operands {
        a: Tensor::from_array(a),
        b: Tensor::from_array(b),
        transposed,
    }
}

fn ours(ops: &Operands) -> Tensor {
    ops.a.matmul(&ops.b)
}

/// The bare kernel: one `sgemm` per batch item on the tensors' own buffers, into a
/// preallocated output, rows `[row0, row1)` of each product only.
fn raw_rows(ops: &Operands, case: &Case, out: &mut [f32], rows: (usize, usize)) {
    let Case { batch, m, k, n, .. } = *case;
    let (a, b) = (ops.a.array::<f32>(), ops.b.array::<f32>());
    let (rsb, csb) = if ops.transposed {
        (1, k as isize)
    } else {
        (n as isize, 1)
    };
    let (row0, row1) = rows;
    for i in 0..batch {
        // SAFETY: a is [batch, m, k] row-major, b is [batch, k, n] with the strides
        // above (row-major or a transposed row-major [batch, n, k]), and `out` holds
        // rows row0..row1 of `batch` row-major [m, n] products: every pointer offset
        // stays inside its buffer, and `out` is a distinct &mut slice.
        unsafe {
            matrixmultiply::sgemm(
                row1 - row0,
                k,
                n,
                1.0,
                a.as_ptr().add(i * m * k + row0 * k),
                k as isize,
                1,
                b.as_ptr().add(i * k * n),
                rsb,
                csb,
                0.0,
                out.as_mut_ptr().add(i * (row1 - row0) * n),
                n as isize,
                1,
            );
        }
    }
}

/// The bare kernel on one thread.
fn raw(ops: &Operands, case: &Case, out: &mut [f32]) {
    raw_rows(ops, case, out, (0, case.m));
}

/// The bare kernel on two threads: each half of the rows (of every product) on one.
fn raw_two_threads(ops: &Operands, case: &Case, out: &mut [f32]) {
    let half = case.m / 2;
    let (top, bottom) = out.split_at_mut(case.batch * half * case.n);
    rayon::join(
        || raw_rows(ops, case, top, (0, half)),
        || raw_rows(ops, case, bottom, (half, case.m)),
    );
}

fn criterion_benches(c: &mut Criterion) {
    for case in CASES {
        let mut group = c.benchmark_group(format!("matmul/{}", case.name));
        group.throughput(Throughput::Elements(case.flops()));
        for transposed in [false, true] {
            let ops = operands(case, transposed);
            let layout = if transposed { "b_transposed" } else { "plain" };
            let mut out = vec![0.0f32; case.batch * case.m * case.n];
            group.bench_function(BenchmarkId::new("ours", layout), |bench| {
                bench.iter(|| black_box(ours(black_box(&ops))))
            });
            group.bench_function(BenchmarkId::new("raw_sgemm", layout), |bench| {
                bench.iter(|| raw(black_box(&ops), case, black_box(&mut out)))
            });
        }
        group.finish();
    }
}

/// Seconds taken by `f`.
fn seconds(f: &mut impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

/// GFLOP/s of ours and of the bare kernel for `case` on a pool of `threads`, from
/// the median and from the fastest of a few runs, alternating ours and raw so that a
/// change in machine load hits both alike: `((ours, raw) median, (ours, raw) best)`.
fn measure(case: &Case, transposed: bool, threads: usize) -> ((f64, f64), (f64, f64)) {
    let ops = operands(case, transposed);
    let mut out = vec![0.0f32; case.batch * case.m * case.n];
    let mut run_ours = || {
        black_box(ours(&ops));
    };
    let mut run_raw = || match threads {
        1 => raw(&ops, case, &mut out),
        _ => raw_two_threads(&ops, case, &mut out),
    };
    // About 3e10 flops (~0.3 s) per case and side, between 7 and 301 runs (odd).
    let reps = (3e10 / case.flops() as f64).clamp(7.0, 301.0) as usize | 1;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (mut t_ours, mut t_raw) = (Vec::new(), Vec::new());
        seconds(&mut run_ours); // warm-up: page in the buffers, spin up the pool
        seconds(&mut run_raw);
        for _ in 0..reps {
            t_ours.push(seconds(&mut run_ours));
            t_raw.push(seconds(&mut run_raw));
        }
        t_ours.sort_by(f64::total_cmp);
        t_raw.sort_by(f64::total_cmp);
        let gflops = |t: f64| case.flops() as f64 / t / 1e9;
        let median = |t: &[f64]| gflops(t[t.len() / 2]);
        let best = |t: &[f64]| gflops(t[0]);
        (
            (median(&t_ours), median(&t_raw)),
            (best(&t_ours), best(&t_raw)),
        )
    })
}

fn print_table() {
    println!("\nGFLOP/s, median of interleaved runs; ratio = ours / raw (median), best = the same");
    println!("ratio from the fastest runs, which a busy machine disturbs least.");
    println!("At 2 threads, raw splits the rows in two by hand.");
    println!(
        "{:<15} {:<3} | {:>6} {:>6} {:>5} {:>5} | {:>6} {:>6} {:>5} {:>5} | {:>7}",
        "case",
        "B",
        "ours@1",
        "raw@1",
        "ratio",
        "best",
        "ours@2",
        "raw@2",
        "ratio",
        "best",
        "speedup"
    );
    let mut worst: Option<(f64, f64, String)> = None;
    for case in CASES {
        for transposed in [false, true] {
            let ((ours1, raw1), (best_ours1, best_raw1)) = measure(case, transposed, 1);
            let ((ours2, raw2), (best_ours2, best_raw2)) = measure(case, transposed, 2);
            let layout = if transposed { "B^T" } else { "B" };
            let (ratio1, best1) = (ours1 / raw1, best_ours1 / best_raw1);
            println!(
                "{:<15} {:<3} | {:>6.1} {:>6.1} {:>5.3} {:>5.3} | {:>6.1} {:>6.1} {:>5.3} {:>5.3} | {:>6.2}x",
                case.name,
                layout,
                ours1,
                raw1,
                ratio1,
                best1,
                ours2,
                raw2,
                ours2 / raw2,
                best_ours2 / best_raw2,
                ours2 / ours1
            );
            if case.m >= 256 && worst.as_ref().is_none_or(|(_, b, _)| best1 < *b) {
                worst = Some((ratio1, best1, format!("{} {layout}", case.name)));
            }
        }
    }
    if let Some((ratio, best, name)) = worst {
        println!(
            "worst 1-thread ratio at sizes >= 256: best {best:.3}, median {ratio:.3} ({name}); \
             acceptance: >= 0.95"
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` does not (run once, no table).
    if std::env::args().any(|a| a == "--bench") {
        print_table();
    }
}
