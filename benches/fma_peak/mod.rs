//! The measured f32 peak of one core: a loop of fused multiply-adds with no loads, no
//! stores and enough independent chains to keep every FMA unit busy.
//!
//! ```text
//! per iteration, for each of C chains:  acc_c = acc_c · a + b     (one vfmadd, L lanes)
//! flops = iterations × C × L × 2                   GFLOP/s = flops / CPU-seconds / 1e9
//! chains needed ≥ FMA latency × FMA units: 4 cycles × 2 units = 8 (Zen 3/4, Sapphire Rapids)
//! ```
//! C = 12 chains of 8 lanes (AVX2, `ymm`) and C = 24 chains of 16 lanes (AVX-512,
//! `zmm`): more than the 8 needed, so the loop is bound by the FMA units' throughput,
//! not by latency. Time is the measuring thread's CPU time, so other processes on the
//! machine do not count; the best of several runs is kept. The clock the cores run at
//! under this load (which differs from the nominal one `lscpu` shows) is then
//! `GFLOP/s ÷ (2 units × L lanes × 2)`, assuming two FMA units of full width; cores
//! that execute 512-bit FMAs in two halves (Zen 4) show the AVX2 figure for AVX-512.
//!
//! This is the yardstick for `%pk` in `matmul.rs`: a GEMM kernel does the same FMAs
//! plus loads of A and B, so its GFLOP/s can approach this figure but not pass it.

use std::hint::black_box;
use std::time::Instant;

use crate::cpu_clock::thread_cpu_seconds;

/// Independent accumulators of the AVX2 loop.
const AVX2_CHAINS: usize = 12;
/// Independent accumulators of the AVX-512 loop.
const AVX512_CHAINS: usize = 24;

/// A vector instruction set whose FMA peak is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// 256-bit `ymm` registers, 8 f32 lanes (AVX2 + FMA3).
    Avx2,
    /// 512-bit `zmm` registers, 16 f32 lanes (AVX-512F).
    Avx512,
}

impl Width {
    /// f32 lanes per register.
    pub fn lanes(self) -> usize {
        match self {
            Width::Avx2 => 8,
            Width::Avx512 => 16,
        }
    }

    /// Independent FMA chains (accumulator registers) of the loop.
    pub fn chains(self) -> usize {
        match self {
            Width::Avx2 => AVX2_CHAINS,
            Width::Avx512 => AVX512_CHAINS,
        }
    }

    /// Whether this CPU has the instructions.
    pub fn is_available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Width::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
                Width::Avx512 => is_x86_feature_detected!("avx512f"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }
}

/// The best GFLOP per CPU-second of `runs` runs of the FMA loop at `width`, or
/// `None` when the CPU lacks it. One run is about 0.1 s.
pub fn measure(width: Width, runs: usize) -> Option<f64> {
    if !width.is_available() {
        return None;
    }
    const ITERATIONS: usize = 50_000_000;
    let mut best = f64::INFINITY;
    for run in 0..=runs {
        let (cpu0, start) = (thread_cpu_seconds(), Instant::now());
        let (flops, sink) = fma_loop(width, black_box(ITERATIONS));
        black_box(sink);
        let wall = start.elapsed().as_secs_f64();
        let seconds = match (cpu0, thread_cpu_seconds()) {
            (Some(c0), Some(c1)) => c1 - c0,
            _ => wall,
        };
        if run > 0 {
            // run 0 warms up (the core may raise its clock, or lower it, under FMA load)
            best = best.min(seconds / flops);
        }
    }
    Some(1.0 / best / 1e9)
}

/// `iterations` rounds of every chain's FMA; returns the flops done and a value
/// that depends on every chain (so that no chain can be optimised away).
fn fma_loop(width: Width, iterations: usize) -> (f64, f32) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `measure` called `is_available` for this width first.
        let sink = unsafe {
            match width {
                Width::Avx2 => x86::avx2(iterations),
                Width::Avx512 => x86::avx512(iterations),
            }
        };
        let flops = (iterations * width.chains() * width.lanes() * 2) as f64;
        (flops, sink)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (width, iterations);
        unreachable!("no x86 vector units on this target")
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{AVX2_CHAINS, AVX512_CHAINS};

    /// `acc = acc · a + b` on 12 independent `ymm` accumulators. With a = 1 − 2⁻²⁰
    /// and b small the values stay finite and normal (no slow denormal path).
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn avx2(iterations: usize) -> f32 {
        let a = _mm256_set1_ps(1.0 - 1.0 / 1_048_576.0);
        let b = _mm256_set1_ps(1e-3);
        let mut acc = [_mm256_set1_ps(1.0); AVX2_CHAINS];
        for _ in 0..iterations {
            for x in acc.iter_mut() {
                *x = _mm256_fmadd_ps(*x, a, b);
            }
        }
        let mut lanes = [0.0f32; 8];
        let sum = acc
            .iter()
            .fold(_mm256_setzero_ps(), |s, x| _mm256_add_ps(s, *x));
        // SAFETY: `lanes` holds 8 f32, the width of one ymm register.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
        lanes.iter().sum()
    }

    /// The same on 24 independent `zmm` accumulators.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512(iterations: usize) -> f32 {
        let a = _mm512_set1_ps(1.0 - 1.0 / 1_048_576.0);
        let b = _mm512_set1_ps(1e-3);
        let mut acc = [_mm512_set1_ps(1.0); AVX512_CHAINS];
        for _ in 0..iterations {
            for x in acc.iter_mut() {
                *x = _mm512_fmadd_ps(*x, a, b);
            }
        }
        let sum = acc
            .iter()
            .fold(_mm512_setzero_ps(), |s, x| _mm512_add_ps(s, *x));
        _mm512_reduce_add_ps(sum)
    }
}
