//! Matmul speed: our GEMM (`Tensor::matmul`, everything included: shape checks, output
//! allocation, packing, threads) against the two Rust GEMM libraries called directly
//! on the same buffers: `matrixmultiply` (our fallback) and the `gemm` crate.
//!
//! ```text
//! flops of [B, m, k] · [k, n] = 2·B·m·k·n        GFLOP/s = flops / seconds / 1e9
//! peak (one core, f32) = the FMA loop of `fma_peak/mod.rs` at the tier's width,
//!                        measured before the table, GFLOP per CPU-second
//! ```
//!
//! The peak is measured, not computed from a clock: cloud cores run well above the
//! nominal clock `lscpu` shows (2.0 GHz on the Sapphire Rapids machine, ≈ 3.7 GHz
//! under AVX-512 load), so GHz × FLOP per cycle at the nominal clock is about half
//! the real peak and `%pk` would read nearly 2× too high. `PEAK_GFLOPS=x` sets it instead (to compare tables from one machine).
//! `MATMUL_TIER=avx512|avx2|fallback` forces our gemm's tier
//! (`tensor::matmul::force_tier`); the table names the tier it ran with.
//!
//! `cargo bench --bench matmul` runs criterion (1 thread, elements/s = flop/s) and
//! then prints the table of `BENCHMARKS.md`; `cargo bench --bench matmul -- table`
//! prints the table only (the filter `table` matches no criterion case);
//! `MATMUL_CASES=32,256` limits the table to the cases of those names. Under
//! `cargo test --benches` each criterion case runs once and the table is skipped.
//!
//! The table, f32, contenders interleaved run by run so that a change in machine load
//! hits all alike:
//! * `@1`: one thread, GFLOP per CPU-second of the measuring thread (the thread's
//!   CPU clock), best of the runs: the figure least disturbed by
//!   other processes on a busy machine. `%pk` is ours as a share of the peak above.
//! * `ours Bᵀ`: ours with B a transposed view (`x · wᵀ`, strides [1, k]).
//! * cases named `T…`: A is a transposed view in every column (a linear layer's weight
//!   gradient `gᵀ · x`, A's strides [1, m]), for all three contenders.
//! * `@2`: a pool of two threads, GFLOP per wall-second, best of the runs (CPU time
//!   does not show a speed-up). `matrixmultiply` splits the rows in two by hand with
//!   `rayon::join`, the `gemm` crate uses its own rayon parallelism.
//! * `2/1`: ours at 2 threads over ours at 1 thread, both best wall-clock times.

mod cpu_clock;
mod fma_peak;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cpu_clock::thread_cpu_seconds;
use criterion::{BenchmarkId, Criterion, Throughput};
use fma_peak::Width;
use ndarray::{ArrayD, Axis, IxDyn};
use tensor::Tensor;
use tensor::matmul::{self, Tier};

/// Our tier for this run: `MATMUL_TIER` if set, else the fastest the CPU has.
fn select_tier() -> Tier {
    let forced =
        std::env::var("MATMUL_TIER")
            .ok()
            .map(|name| match name.to_ascii_lowercase().as_str() {
                "avx512" => Tier::Avx512,
                "avx2" => Tier::Avx2,
                "fallback" => Tier::Fallback,
                other => panic!("MATMUL_TIER={other}: expected avx512, avx2 or fallback"),
            });
    matmul::force_tier(forced);
    matmul::tier()
}

/// One core's f32 peak for `tier`, GFLOP/s: `PEAK_GFLOPS` if set, else the FMA
/// loop measured at the tier's width (see the module doc). The fallback,
/// `matrixmultiply`, uses AVX-512 itself where the CPU has it.
fn peak(tier: Tier) -> f64 {
    if let Some(gflops) = std::env::var("PEAK_GFLOPS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return gflops;
    }
    let wide = tier == Tier::Avx512 || (tier == Tier::Fallback && Tier::Avx512.is_available());
    let width = if wide { Width::Avx512 } else { Width::Avx2 };
    fma_peak::measure(width, 5).expect("our gemm's tier runs on this CPU, so its FMA width does")
}

/// One benchmarked product: `batch` copies of `[m, k] · [k, n]`, A row-major or,
/// with `a_transposed`, the transpose of a row-major `[k, m]` (a strided view).
#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
    a_transposed: bool,
}

impl Case {
    const fn square(name: &'static str, size: usize) -> Case {
        Case::new(name, 1, size, size, size)
    }
    const fn new(name: &'static str, batch: usize, m: usize, k: usize, n: usize) -> Case {
        Case {
            name,
            batch,
            m,
            k,
            n,
            a_transposed: false,
        }
    }
    /// A weight gradient `gᵀ · x` of a linear layer, `g: [k, m]`, `x: [k, n]` (`k`
    /// rows, `m` outputs, `n` inputs): A is the transposed view of `g`.
    const fn weight_grad(name: &'static str, m: usize, k: usize, n: usize) -> Case {
        Case {
            a_transposed: true,
            ..Case::new(name, 1, m, k, n)
        }
    }
    fn flops(&self) -> f64 {
        2.0 * (self.batch * self.m * self.k * self.n) as f64
    }
}

const CASES: &[Case] = &[
    Case::square("32", 32),
    Case::square("64", 64),
    Case::square("128", 128),
    Case::square("256", 256),
    Case::square("512", 512),
    Case::square("1024", 1024),
    Case::square("2048", 2048),
    // Transformer shapes, tokens × d_model · d_model × out: projections, FFN up and
    // down, and the output layer over an 8000-word vocabulary.
    Case::new("1024x256x256", 1, 1024, 256, 256),
    Case::new("1024x256x1024", 1, 1024, 256, 1024),
    Case::new("1024x1024x256", 1, 1024, 1024, 256),
    Case::new("1024x256x8000", 1, 1024, 256, 8000),
    // The output layer's backward, ∂x = g · W ([1024, 8000] · [8000, 256], B
    // row-major) and ∂W = gᵀ · x (A a transposed view, `T` in the name); the same
    // for the LSTM language model (1120 tokens, a 10000-word vocabulary).
    Case::new("1024x8000x256", 1, 1024, 8000, 256),
    Case::weight_grad("T8000x1024x256", 8000, 1024, 256),
    Case::new("1120x256x10000", 1, 1120, 256, 10000),
    Case::new("1120x10000x256", 1, 1120, 10000, 256),
    Case::weight_grad("T10000x1120x256", 10000, 1120, 256),
    // Attention scores: 128 (batch × heads) products of 32×64 by 64×32.
    Case::new("128x(32x64x32)", 128, 32, 64, 32),
];

/// The operands of a case: A `[batch, m, k]` and B `[batch, k, n]`, each either
/// row-major or the transpose of a row-major `[batch, k, m]` / `[batch, n, k]` (a
/// strided view): A as the case says, B as `transposed` says.
struct Operands {
    a: Tensor,
    b: Tensor,
}

fn operands(case: &Case, transposed: bool) -> Operands {
    let Case { batch, m, k, n, .. } = *case;
    let fill = |len: usize, seed: usize| {
        (0..len)
            .map(|i| ((i * 7 + seed) % 13) as f32 / 13.0 - 0.5)
            .collect()
    };
    // A `[rows, cols]` matrix of each batch item, stored as is or transposed.
    let matrix = |rows: usize, cols: usize, transposed: bool, seed: usize| {
        let values = fill(batch * rows * cols, seed);
        if transposed {
            let stored = ArrayD::from_shape_vec(IxDyn(&[batch, cols, rows]), values).unwrap();
            stored.permuted_axes(IxDyn(&[0, 2, 1]))
        } else {
            ArrayD::from_shape_vec(IxDyn(&[batch, rows, cols]), values).unwrap()
        }
    };
    let a = matrix(m, k, case.a_transposed, 1);
    let b = matrix(k, n, transposed, 2);
    // A batch of 1 is dropped, so the 2-D cases go through the plain 2-D path.
    let (a, b) = if batch == 1 {
        (a.index_axis_move(Axis(0), 0), b.index_axis_move(Axis(0), 0))
    } else {
        (a, b)
    };
    Operands {
        a: Tensor::from_array(a),
        b: Tensor::from_array(b),
    }
}

/// The contenders.
#[derive(Clone, Copy, PartialEq)]
enum Who {
    Ours,
    Matrixmultiply,
    GemmCrate,
}

const WHO: [Who; 3] = [Who::Ours, Who::Matrixmultiply, Who::GemmCrate];

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Ours => "ours",
            Who::Matrixmultiply => "matrixmultiply",
            Who::GemmCrate => "gemm_crate",
        }
    }
}

/// Run one product of `case` with `who` on `threads` threads of the current pool
/// (the libraries write into `out`; ours allocates its result, as users see it).
fn run(who: Who, ops: &Operands, case: &Case, out: &mut [f32], threads: usize) {
    let Case { batch, m, k, n, .. } = *case;
    let (a, b) = (ops.a.array::<f32>(), ops.b.array::<f32>());
    let (sa, sb) = (a.strides(), b.strides());
    let (rsa, csa) = (sa[sa.len() - 2], sa[sa.len() - 1]);
    let (rsb, csb) = (sb[sb.len() - 2], sb[sb.len() - 1]);
    let rows = |out: &mut [f32], (row0, row1): (usize, usize)| {
        for i in 0..batch {
            // SAFETY: a is a [batch, m, k] with strides (rsa, csa) inside each matrix
            // and m·k between matrices, b a [batch, k, n] with strides (rsb, csb) and
            // k·n between matrices (each row-major or a transposed row-major), and
            // `out` holds rows row0..row1 of `batch` row-major [m, n] products: every
            // offset stays in its buffer.
            unsafe {
                matrixmultiply::sgemm(
                    row1 - row0,
                    k,
                    n,
                    1.0,
                    a.as_ptr().add(i * m * k).offset(row0 as isize * rsa),
                    rsa,
                    csa,
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
    };
    match who {
        Who::Ours => {
            black_box(ops.a.matmul(&ops.b));
        }
        Who::Matrixmultiply if threads == 1 => rows(out, (0, m)),
        Who::Matrixmultiply => {
            let half = m / 2;
            let (top, bottom) = out.split_at_mut(batch * half * n);
            rayon::join(|| rows(top, (0, half)), || rows(bottom, (half, m)));
        }
        Who::GemmCrate => {
            let parallelism = match threads {
                1 => gemm::Parallelism::None,
                t => gemm::Parallelism::Rayon(t),
            };
            for i in 0..batch {
                // SAFETY: the same buffers and strides as above, as (column, row)
                // strides; dst = 0 · dst + 1 · lhs · rhs with dst not read.
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        out.as_mut_ptr().add(i * m * n),
                        1,
                        n as isize,
                        false,
                        a.as_ptr().add(i * m * k),
                        csa,
                        rsa,
                        b.as_ptr().add(i * k * n),
                        csb,
                        rsb,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        parallelism,
                    );
                }
            }
        }
    }
}

fn criterion_benches(c: &mut Criterion) {
    for case in CASES {
        let mut group = c.benchmark_group(format!("matmul/{}", case.name));
        group.throughput(Throughput::Elements(case.flops() as u64));
        let ops = operands(case, false);
        let mut out = vec![0.0f32; case.batch * case.m * case.n];
        for who in WHO {
            group.bench_function(BenchmarkId::new(who.name(), "1_thread"), |bench| {
                bench.iter(|| run(who, black_box(&ops), case, black_box(&mut out), 1))
            });
        }
        group.finish();
    }
}

/// Best (cpu, wall) seconds of `reps` runs of each contender on a pool of `threads`,
/// runs interleaved; `transposed` selects B's layout.
fn measure(case: &Case, transposed: bool, threads: usize, who: &[Who]) -> Vec<(f64, f64)> {
    let ops = operands(case, transposed);
    let mut out = vec![0.0f32; case.batch * case.m * case.n];
    // About 1e10 flops (~0.1 s) per contender, between 5 and 201 runs.
    // (`MATMUL_REPS=N` sets the count, e.g. for a profiler.)
    let reps = std::env::var("MATMUL_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| (1e10 / case.flops()).clamp(5.0, 201.0) as usize);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut best = vec![(f64::INFINITY, f64::INFINITY); who.len()];
        for rep in 0..=reps {
            for (w, &contender) in who.iter().enumerate() {
                let (cpu0, start) = (thread_cpu_seconds(), Instant::now());
                run(contender, &ops, case, &mut out, threads);
                let wall = start.elapsed().as_secs_f64();
                let cpu = match (cpu0, thread_cpu_seconds()) {
                    (Some(c0), Some(c1)) => c1 - c0,
                    _ => wall,
                };
                if rep > 0 {
                    // rep 0 warms up: pages in the buffers, spins up the pool.
                    best[w] = (best[w].0.min(cpu), best[w].1.min(wall));
                }
            }
        }
        best
    })
}

fn print_table(tier: Tier) {
    let peak = peak(tier);
    println!("\nours on tier {tier:?}. f32 GFLOP/s. @1: per CPU-second, 1 thread, best run;");
    println!("%pk: ours / {peak:.1} (the measured FMA peak of one core at the tier's width).");
    println!("@2: per wall-second on 2 threads, best run; 2/1: ours' wall-clock speed-up.");
    println!(
        "| {:<15} | {:>6} | {:>6} | {:>6} | {:>4} | {:>7} | {:>6} | {:>6} | {:>6} | {:>5} |",
        "case", "ours@1", "mm@1", "gemm@1", "%pk", "oursBᵀ@1", "ours@2", "mm@2", "gemm@2", "2/1"
    );
    println!("|{}|", ["---"; 10].join("|"));
    let only = std::env::var("MATMUL_CASES").ok();
    let wanted = |case: &Case| {
        only.as_ref()
            .is_none_or(|names| names.split(',').any(|n| n == case.name))
    };
    for case in CASES.iter().filter(|c| wanted(c)) {
        let gflops = |seconds: f64| case.flops() / seconds / 1e9;
        let one = measure(case, false, 1, &WHO);
        let transposed = measure(case, true, 1, &[Who::Ours]);
        let two = measure(case, false, 2, &WHO);
        println!(
            "| {:<15} | {:>6.1} | {:>6.1} | {:>6.1} | {:>3.0}% | {:>8.1} | {:>6.1} | {:>6.1} | {:>6.1} | {:>4.2}x |",
            case.name,
            gflops(one[0].0),
            gflops(one[1].0),
            gflops(one[2].0),
            100.0 * gflops(one[0].0) / peak,
            gflops(transposed[0].0),
            gflops(two[0].1),
            gflops(two[1].1),
            gflops(two[2].1),
            one[0].1 / two[0].1,
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not (run once, no table).
    let table = std::env::args().any(|a| a == "--bench");
    let tier = select_tier();
    if !std::env::args().any(|a| a == "table") {
        let mut c = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .configure_from_args();
        criterion_benches(&mut c);
        c.final_summary();
    }
    if table {
        print_table(tier);
    }
}
