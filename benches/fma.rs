//! The f32 FMA peak of one core, measured (`fma_peak/mod.rs` holds the loop and its
//! arithmetic): the yardstick of `%pk` in the GEMM table.
//!
//! `cargo bench --bench fma` prints, for each vector width the CPU has, the best GFLOP
//! per CPU-second of 5 runs and the clock it implies (÷ 2 FMA units × lanes × 2).

mod cpu_clock;
mod fma_peak;

use fma_peak::Width;

fn main() {
    // `cargo test --benches` runs this once too: one short run per width then.
    let runs = if std::env::args().any(|a| a == "--bench") {
        5
    } else {
        1
    };
    println!("| width | chains × lanes | f32 GFLOP/s (1 core, per CPU-second) | implied clock |");
    println!("|---|---|---:|---:|");
    for width in [Width::Avx2, Width::Avx512] {
        let chains = width.chains();
        match fma_peak::measure(width, runs) {
            Some(gflops) => println!(
                "| {width:?} | {chains} × {} | {gflops:.1} | {:.2} GHz |",
                width.lanes(),
                gflops / (2 * 2 * width.lanes()) as f64
            ),
            None => println!(
                "| {width:?} | {chains} × {} | not on this CPU | |",
                width.lanes()
            ),
        }
    }
}
