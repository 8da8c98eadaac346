//! How a BLAS-like GEMM works: five loops around a micro-kernel (Goto's algorithm,
//! as in BLIS, OpenBLAS and `matrixmultiply`). This file is loops 5, 4 and 3, the
//! cache blocking and the threads; [`super::kernel_avx2`] is loops 2 and 1 and the
//! micro-kernel; [`super::pack`] is the packing.
//!
//! ```text
//! C (m × n) = A (m × k) · B (k × n)
//!
//! loop 5  for jc in (0..n).step_by(NC)            a column block of B and C
//! loop 4    for pc in (0..k).step_by(KC)          a slice of the sum over k
//!             pack B[pc.., jc..] → B~ (KC × NC)   shared by all threads; lives in L3
//! loop 3      for ic in (0..m).step_by(MC)        ┐ one task per block of C rows,
//!               pack A[ic.., pc..] → A~ (MC×KC)   │ spread over the rayon threads;
//!                                                 │ A~ lives in the core's L2
//! loop 2        for jr in (0..NC).step_by(NR)     │ a micro-panel of B~ (KC × NR):
//!                                                 │ stays in L1 during loop 1
//! loop 1          for ir in (0..MC).step_by(MR)   │ a micro-panel of A~ (MR × KC)
//!                   C[ic+ir.., jc+jr..] (+)=      │ the micro-kernel: an MR × NR tile
//!                       A~[ir] · B~[jr]           ┘ of C in registers, KC FMAs deep
//!
//!          jc                               NC
//!       ┌──┬──┐        pc  ┌────┐  ic  ┌──────────┐
//!    k  │  │  │     MC ┌─┐ │    │  MC  │ ▓        │ ← one MR × NR tile per kernel call
//!    ·  │B~│  │  =   A~│ │·│ B~ │ +=   │          │
//!       └──┴──┘        └─┘ └────┘      └──────────┘
//!                      KC   KC × NC       C block
//! ```
//!
//! Why this shape. The micro-kernel does `2·MR·NR` flops per `MR + NR` values loaded,
//! so arithmetic, not memory, limits it — if those values come from L1. The blocks
//! make sure they do: each level of the nest picks a block that fits one cache level
//! and is reused many times from it before the next level's data replaces it.
//!
//! * `KC` (depth): a B micro-panel `KC × NR` must stay in L1 (32 KiB on Zen 3) while
//!   the A micro-panels stream past it. KC = 256 makes it 16 KiB for both f32 (×16)
//!   and f64 (×8), half of L1, leaving the rest to the A micro-panel and to C.
//! * `MC` (rows): the packed A block `MC × KC` is re-read once per B micro-panel, so
//!   it must stay in L2 (512 KiB per core on Zen 3): [`A_BLOCK_BYTES`] = 144 KiB gives
//!   MC = 144 f32 rows or 72 f64 rows, well inside L2 with room for the B~ and C
//!   lines passing through (and inside the 1 MiB L2 of the Zen 4 dev machine too).
//! * `NC` (columns): the packed B block `KC × NC` is re-read once per A block, from
//!   L3 (32 MiB shared): [`B_BLOCK_BYTES`] = 4 MiB gives NC = 4096 f32 columns.
//!
//! Packing copies each block once into the order the kernel reads it (aligned,
//! contiguous), so strided and transposed operands cost the same as row-major ones.
//!
//! Threads. Loop 3's blocks write disjoint rows of C and only read B~, so they are
//! independent tasks. The row count is balanced so that every thread gets the same
//! number of equal blocks; when there are too few rows (m small), the block's columns
//! are split as well. B~ itself is packed in parallel, one micro-panel per task.

use std::mem::MaybeUninit;

use ndarray::{ArrayView2, Axis, s};
use rayon::prelude::*;

use super::kernel::{Isa, Simd, Tile};
use super::pack::{Buffer, Packable, pack_panel, with_buffer};

/// Bytes budgeted for one B micro-panel (`KC × NR`) in L1: KC = this / (NR · element
/// size). See the module doc.
pub const B_PANEL_BYTES: usize = 16 * 1024;
/// Bytes budgeted for the packed A block in L2: MC = this / (KC · element size).
pub const A_BLOCK_BYTES: usize = 256 * 1024;
/// Bytes budgeted for the packed B block in L3: NC = this / (KC · element size).
pub const B_BLOCK_BYTES: usize = 4 * 1024 * 1024;

/// `(KC, MC, NC)` for `T` on instruction set `I`: the budgets above in elements,
/// MC and NC rounded down to whole micro-panels (`MR` rows, `NR` columns).
fn block_sizes<I: Isa, T: Simd<I>>() -> (usize, usize, usize) {
    let size = size_of::<T>();
    let env = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let kc = env("GEMM_BP", B_PANEL_BYTES) / (T::NR * size);
    let mc = env("GEMM_AB", A_BLOCK_BYTES) / (kc * size) / T::MR * T::MR;
    let nc = B_BLOCK_BYTES / (kc * size) / T::NR * T::NR;
    (kc, mc, nc)
}

/// `c = a · b` (`c` may start uninitialised; every element is written) on `threads`
/// rayon threads (1 runs everything on the calling thread), with the micro-kernel of
/// instruction set `I`, whose token `cpu` proves the CPU has it.
pub(crate) fn gemm<I: Isa, T: Simd<I> + Packable>(
    cpu: I,
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    mut c: Tile<T>,
    threads: usize,
) {
    let ((m, k), n) = (a.dim(), b.ncols());
    assert!(
        b.nrows() == k && c.dim() == (m, n),
        "internal error: gemm shapes; this is a bug"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(MaybeUninit::new(T::default())); // an empty sum is 0
        return;
    }
    let (mr, nr) = (T::MR, T::NR);
    let (kc_max, mc, nc_max) = block_sizes::<I, T>();
    let rows = row_block(m, mc, mr, threads);
    let row_tiles = m.div_ceil(rows);
    let b_len = kc_max.min(k) * nc_max.min(n.next_multiple_of(nr));
    with_buffer(Buffer::B, b_len, |b_buffer: &mut [T]| {
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            // Too few row blocks for the threads: split the columns too (whole micro-panels).
            let cols = if row_tiles < threads {
                nc.div_ceil(threads).next_multiple_of(nr)
            } else {
                nc
            };
            for pc in (0..k).step_by(kc_max) {
                let kc = kc_max.min(k - pc);
                // Loop 4: pack B[pc.., jc..] as micro-panels of Bᵀ's rows.
                let bt = b.slice(s![pc..pc + kc, jc..jc + nc]).reversed_axes();
                let packed_b = &mut b_buffer[..nc.next_multiple_of(nr) * kc];
                let pack_b = |(j, panel): (usize, &mut [T])| pack_panel(&bt, j * nr, nr, panel);
                if threads > 1 {
                    packed_b
                        .par_chunks_mut(nr * kc)
                        .enumerate()
                        .for_each(pack_b);
                } else {
                    packed_b.chunks_mut(nr * kc).enumerate().for_each(pack_b);
                }
                let packed_b = &*packed_b;
                // Loop 3: one task per block of C; each packs its rows of A and runs
                // loops 2 and 1 on them.
                let tasks = split(c.slice_mut(s![.., jc..jc + nc]), rows, cols);
                let run = |(row0, col0, tile): (usize, usize, Tile<T>)| {
                    let (height, width) = tile.dim();
                    let a_block = a.slice(s![row0..row0 + height, pc..pc + kc]);
                    let a_len = height.next_multiple_of(mr) * kc;
                    with_buffer(Buffer::A, a_len, |packed_a: &mut [T]| {
                        for (i, panel) in packed_a.chunks_mut(mr * kc).enumerate() {
                            pack_panel(&a_block, i * mr, mr, panel);
                        }
                        let b_panels =
                            &packed_b[col0 * kc..(col0 + width).next_multiple_of(nr) * kc];
                        T::macro_kernel(cpu, kc, packed_a, b_panels, tile, pc > 0);
                    });
                };
                if threads > 1 {
                    tasks.into_par_iter().for_each(run);
                } else {
                    tasks.into_iter().for_each(run);
                }
            }
        }
    });
}

/// Rows per block of C for `m` rows: at most `mc`, a multiple of `mr`, and as even
/// as possible, with a number of blocks that is a multiple of `threads` (so no
/// thread waits for another's extra block).
fn row_block(m: usize, mc: usize, mr: usize, threads: usize) -> usize {
    let blocks = m.div_ceil(mc).next_multiple_of(threads);
    m.div_ceil(blocks).next_multiple_of(mr).min(mc)
}

/// Cut `c` into blocks of `rows × cols` (smaller at the bottom and right edges), each
/// with the position of its top-left element: disjoint mutable views, no copy.
fn split<T>(c: Tile<T>, rows: usize, cols: usize) -> Vec<(usize, usize, Tile<T>)> {
    let mut blocks = Vec::new();
    let (mut rest, mut row0) = (c, 0);
    while rest.nrows() > 0 {
        let height = rows.min(rest.nrows());
        let (mut band, below) = rest.split_at(Axis(0), height);
        let mut col0 = 0;
        while band.ncols() > 0 {
            let width = cols.min(band.ncols());
            let (tile, right) = band.split_at(Axis(1), width);
            blocks.push((row0, col0, tile));
            col0 += width;
            band = right;
        }
        row0 += height;
        rest = below;
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sizes_fit_the_caches() {
        use super::super::{kernel_avx2::Avx2Fma, kernel_avx512::Avx512};
        // (KC, MC, NC): a 16 KiB B micro-panel, a 256 KiB A block, a 4 MiB B block.
        assert_eq!(block_sizes::<Avx2Fma, f32>(), (256, 252, 4096));
        assert_eq!(block_sizes::<Avx2Fma, f64>(), (256, 126, 2048));
        assert_eq!(block_sizes::<Avx512, f32>(), (128, 504, 8192));
        assert_eq!(block_sizes::<Avx512, f64>(), (128, 252, 4096));
    }

    #[test]
    fn row_blocks_are_balanced_over_the_threads() {
        assert_eq!(row_block(2048, 144, 6, 2), 132); // 16 blocks, 8 per thread
        assert_eq!(row_block(512, 144, 6, 1), 132); // 4 blocks: 132 · 3 + 116
        assert_eq!(row_block(32, 144, 6, 2), 18); // 18 + 14
        assert_eq!(row_block(5, 144, 6, 1), 6);
    }

    #[test]
    fn split_tiles_the_matrix_exactly_once() {
        let mut c = ndarray::Array2::<MaybeUninit<f32>>::uninit((7, 10));
        let blocks = split(c.view_mut(), 3, 4);
        let corners: Vec<_> = blocks.iter().map(|(r, c, t)| (*r, *c, t.dim())).collect();
        assert_eq!(corners[0], (0, 0, (3, 4)));
        assert_eq!(corners[2], (0, 8, (3, 2)));
        assert_eq!(corners[8], (6, 8, (1, 2)));
        let area: usize = corners.iter().map(|(_, _, (h, w))| h * w).sum();
        assert_eq!((blocks.len(), area), (9, 70));
    }
}
