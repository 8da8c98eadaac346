//! How a BLAS-like GEMM works: five loops around a micro-kernel (Goto's algorithm,
//! as in BLIS, OpenBLAS and `matrixmultiply`). This file is loops 5, 4 and 3, the
//! cache blocking and the threads; [`super::kernel`] is loops 2 and 1 and the
//! micro-kernel (one per instruction set: [`super::kernel_avx512`],
//! [`super::kernel_avx2`]); [`super::pack`] is the packing. Everything here is
//! generic over the instruction set: only `MR`, `NR` and the kernel differ.
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
//! The sizes are chosen for the two kinds of machine this runs on, and must suit
//! both: the Sapphire Rapids cloud VM (L1d 48 KiB, L2 2 MiB per core, AVX-512 with
//! two 512-bit FMA units) and the AMD Zen dev machine (L1d 32 KiB, L2 1 MiB). The
//! tiles are `MR × NR` = 12 × 32 f32 / 12 × 16 f64 (AVX-512) and 6 × 16 / 6 × 8
//! (AVX2).
//!
//! * `KC` (depth): a B micro-panel `KC × NR` must stay in L1 while the A micro-panels
//!   stream past it, and the deeper it is the rarer the tile's trips to C (each
//!   kernel call loads and stores the whole `MR × NR` tile once). KC = 256 gives
//!   16 KiB panels for AVX2 (half of the smaller L1) and 32 KiB for AVX-512 (2/3 of
//!   the 48 KiB L1 it was measured on; all of a Zen 4's 32 KiB, where a line or two
//!   of it is then re-read from L2 — not measured there). On the Sapphire Rapids VM
//!   the AVX-512 kernel ran at ~125 GFLOP/s with kc = 256 and ~80 with kc = 128
//!   (C's rows, 4 KiB apart for n = 1024, share one L1 set, and were stored twice
//!   as often); in the whole gemm, KC = 192 and 256 were within the noise of a
//!   shared machine (see `kernel_avx512.rs` for the numbers).
//! * `MC` (rows): the packed A block `MC × KC` is re-read once per B micro-panel, so
//!   it must stay in L2: [`A_BLOCK_BYTES`] = 256 KiB, a quarter of the smaller L2,
//!   gives MC = 252 f32 rows (120 or 126 f64 rows), with room for the B~ and C
//!   lines passing through. 128 and 512 KiB measured within the noise of 256 KiB.
//! * `NC` (columns): the packed B block `KC × NC` is re-read once per A block, from
//!   L3 (32 MiB or more, shared): [`B_BLOCK_BYTES`] = 4 MiB gives NC = 4096 f32
//!   columns.
//!
//! Packing copies each block once into the order the kernel reads it (aligned,
//! contiguous), so strided and transposed operands cost the same as row-major ones.
//! The copy pays for itself by reuse: each packed A value is read once per B
//! micro-panel. Small products have one or two B micro-panels (n ≤ 2·NR), so
//! there an A block that fits in L1 is read in place instead ([`a_in_place`]):
//! for the attention batch (32×64 · 64×32) packing A took longer than the
//! arithmetic.
//!
//! Threads. Loop 3's blocks write disjoint rows of C and only read B~, so they are
//! independent tasks. The row count is balanced so that every thread gets the same
//! number of equal blocks; when there are too few rows (m small), the block's columns
//! are split as well. B~ itself is packed in parallel, one micro-panel per task.

use std::mem::MaybeUninit;

use ndarray::{ArrayView2, Axis, s};
use rayon::prelude::*;

use super::kernel::{Isa, PanelsA, Simd, Tile, tail_rows};
use super::pack::{Buffer, Packable, pack_panel, with_buffer};

/// Depth of a block (the `k` slice): see the module doc.
pub const KC: usize = 256;
/// Bytes budgeted for the packed A block in L2: MC = this / (KC · element size).
pub const A_BLOCK_BYTES: usize = 256 * 1024;
/// Bytes budgeted for the packed B block in L3: NC = this / (KC · element size).
pub const B_BLOCK_BYTES: usize = 4 * 1024 * 1024;

/// `(MC, NC)` for `T` on instruction set `I`: the budgets above in elements of depth
/// KC, rounded down to whole micro-panels (`MR` rows, `NR` columns).
fn block_sizes<I: Isa, T: Simd<I>>() -> (usize, usize) {
    let size = size_of::<T>();
    let mc = A_BLOCK_BYTES / (KC * size) / T::MR * T::MR;
    let nc = B_BLOCK_BYTES / (KC * size) / T::NR * T::NR;
    (mc, nc)
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
    let (mc, nc_max) = block_sizes::<I, T>();
    let rows = row_block(m, mc, mr, threads);
    let row_tiles = m.div_ceil(rows);
    let b_len = KC.min(k) * nc_max.min(n.next_multiple_of(nr));
    with_buffer(Buffer::B, b_len, |b_buffer: &mut [T]| {
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            // Too few row blocks for the threads: split the columns too (whole micro-panels).
            let cols = if row_tiles < threads {
                nc.div_ceil(threads).next_multiple_of(nr)
            } else {
                nc
            };
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
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
                    let in_place = a_in_place(height, width, kc, size_of::<T>(), nr);
                    let a_len = if in_place {
                        mr
                    } else {
                        height.next_multiple_of(mr)
                    } * kc;
                    with_buffer(Buffer::A, a_len, |packed_a: &mut [T]| {
                        let panels = if in_place {
                            // Only the partial micro-panel at the bottom, if any,
                            // and unless its kernel reads exactly its rows in place.
                            let full = height / mr * mr;
                            if full < height && tail_rows(height - full, mr) != height - full {
                                pack_panel(&a_block, full, mr, packed_a);
                            }
                            PanelsA::InPlace {
                                block: a_block.view(),
                                last: packed_a,
                            }
                        } else {
                            for (i, panel) in packed_a.chunks_mut(mr * kc).enumerate() {
                                pack_panel(&a_block, i * mr, mr, panel);
                            }
                            PanelsA::Packed(packed_a)
                        };
                        let b_panels =
                            &packed_b[col0 * kc..(col0 + width).next_multiple_of(nr) * kc];
                        T::macro_kernel(cpu, kc, panels, b_panels, tile, pc > 0);
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

/// Whether loops 2 and 1 read A's `height × kc` block in place instead of packing
/// it, for a block of C `width` columns wide (`nr` per B micro-panel). Packing
/// copies the block once so that every B micro-panel then reads it sequentially;
/// if only one or two micro-panels read it, and the block is small enough to stay
/// in L1 (≤ 16 KiB, e.g. 64 × 64 f32), the copy costs more than it saves: the
/// attention batch (128 products of 32×64 · 64×32) ran ~15% faster reading A in
/// place, 32³ and 64³ ~10%. Larger blocks stay packed: read in place, the `MR`
/// rows of a row-major A with a power-of-two stride compete for the same L1 sets.
fn a_in_place(height: usize, width: usize, kc: usize, size: usize, nr: usize) -> bool {
    width <= 2 * nr && height * kc * size <= 16 * 1024
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
        // (MC, NC): a 256 KiB A block (L2) and a 4 MiB B block (L3), whole panels.
        assert_eq!(block_sizes::<Avx2Fma, f32>(), (252, 4096));
        assert_eq!(block_sizes::<Avx2Fma, f64>(), (126, 2048));
        assert_eq!(block_sizes::<Avx512, f32>(), (252, 4096));
        assert_eq!(block_sizes::<Avx512, f64>(), (120, 2048));
        // The B micro-panel, KC × NR: 16 KiB (AVX2), 32 KiB (AVX-512), both dtypes.
        assert_eq!(KC * <f32 as Simd<Avx2Fma>>::NR * 4, 16 * 1024);
        assert_eq!(KC * <f64 as Simd<Avx2Fma>>::NR * 8, 16 * 1024);
        assert_eq!(KC * <f32 as Simd<Avx512>>::NR * 4, 32 * 1024);
        assert_eq!(KC * <f64 as Simd<Avx512>>::NR * 8, 32 * 1024);
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
