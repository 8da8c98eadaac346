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
//! arithmetic. Likewise a B that fits in L1 whole, with its rows contiguous, is
//! read in place ([`b_in_place`]): the kernel is told B's row stride (`NR` for a
//! packed panel), and only a partial last micro-panel is packed. Both are
//! [`Panels`]: packed, or in place with the partial panel packed.
//!
//! A 32³ product is ~1 µs of arithmetic, so at that size the bookkeeping around
//! the loops counts too: a block that is the whole matrix is used as it is, not
//! sliced; the blocks of C are visited without building a list of them; and a
//! product that packs nothing takes no packing buffer. Together with reading B in
//! place, this took 32³ from 0.72× to 1.0× the speed of `matrixmultiply`.
//!
//! Threads. Loop 3's blocks write disjoint rows of C and only read B~, so they are
//! independent tasks. The blocks are cut from whole micro-panels so that every
//! thread gets the same number of blocks and of panels ([`RowBlocks`]); when there
//! are too few rows (m small), the block's columns are split as well. B~ itself is
//! packed in parallel, one micro-panel per task.

use std::mem::MaybeUninit;

use std::ops::Range;

use ndarray::{ArrayBase, ArrayView2, Axis, Ix2, RawData, s};
use rayon::prelude::*;

use super::kernel::{Isa, Panels, Simd, Tile, tail_rows};
use super::pack::{Buffer, Packable, pack_block, pack_panel, with_buffer};

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
    let rows = RowBlocks::new(m, mc, mr, threads);
    let b_in_place = b_in_place(k, n, b.strides()[1], size_of::<T>());
    let b_len = if b_in_place {
        nr * k * usize::from(n % nr != 0) // the partial micro-panel only, if any
    } else {
        KC.min(k) * nc_max.min(n.next_multiple_of(nr))
    };
    with_buffer(Buffer::B, b_len, |b_buffer: &mut [T]| {
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            // Too few row blocks for the threads: split the columns too (whole micro-panels).
            let cols = if rows.count < threads {
                nc.div_ceil(threads).next_multiple_of(nr)
            } else {
                nc
            };
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                // Loop 4: pack B[pc.., jc..] as micro-panels of Bᵀ's rows.
                let bt = block(b.view(), pc..pc + kc, jc..jc + nc).reversed_axes();
                let b_panels = if b_in_place {
                    let full = nc / nr * nr;
                    if full < nc {
                        pack_panel(&bt, full, nr, b_buffer);
                    }
                    Panels::InPlace {
                        block: bt,
                        last: &*b_buffer,
                    }
                } else {
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
                    Panels::Packed(&*packed_b)
                };
                // Loop 3: one task per block of C; each packs its rows of A and runs
                // loops 2 and 1 on them.
                let run = |row0: usize, col0: usize, tile: Tile<T>| {
                    let (height, width) = tile.dim();
                    let a_block = block(a.view(), row0..row0 + height, pc..pc + kc);
                    let in_place = a_in_place(height, width, kc, size_of::<T>(), nr);
                    // Only the partial micro-panel at the bottom is packed in place,
                    // if any, and unless its kernel reads exactly its rows.
                    let tail = height % mr;
                    let pack_tail = tail != 0 && tail_rows(tail, mr) != tail;
                    let a_len = if in_place {
                        mr * usize::from(pack_tail)
                    } else {
                        height.next_multiple_of(mr)
                    } * kc;
                    with_buffer(Buffer::A, a_len, |packed_a: &mut [T]| {
                        let a_panels = if in_place {
                            if pack_tail {
                                pack_panel(&a_block, height - tail, mr, packed_a);
                            }
                            Panels::InPlace {
                                block: a_block.view(),
                                last: packed_a,
                            }
                        } else {
                            pack_block(&a_block, mr, packed_a);
                            Panels::Packed(packed_a)
                        };
                        let b_cols = b_panels.rows(col0, width, nr, kc);
                        T::macro_kernel(cpu, kc, a_panels, b_cols, tile, pc > 0);
                    });
                };
                let c_block = block(c.view_mut(), 0..m, jc..jc + nc);
                for_each_block(c_block, &rows, cols, threads > 1, run);
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

/// Whether loops 2 and 1 read B (`k × n`, stride `csb` along a row) in place
/// instead of packing it: when all of B is one block that stays in L1 (≤ 16 KiB,
/// e.g. 64 × 64 f32) and its rows are contiguous, so that each micro-panel's `NR`
/// values per step are one vector load away, as in a packed panel. Packing B only
/// pays when its micro-panels are re-read from a cache they would otherwise not fit
/// in (or, from a row-major B with a power-of-two stride, not fit in for L1's sets);
/// B inside L1 fits either way, and at 32³ its copy was a fifth of the call.
/// Only its last, partial micro-panel, if any, is packed (the kernel reads `NR`
/// columns).
fn b_in_place(k: usize, n: usize, csb: isize, size: usize) -> bool {
    csb == 1 && k * n * size <= 16 * 1024
}

/// How loop 3 cuts C's `m` rows into blocks: `count` blocks of whole `MR`-row
/// micro-panels (the last one may be partial), at most `mc` rows each, their panel
/// counts differing by at most one. With `threads` > 1, `count` is a multiple of
/// `threads`, so the first half of the blocks holds half of the panels (to within
/// one): [`for_each_block`] gives each thread a half. (Rounding every block up to
/// the same whole number of panels instead gave one of two threads 540 of the
/// 1024 rows and the other 484, and the product the time of the larger part.)
///
/// ```text
/// m = 1024, MR = 12: 86 panels, 6 blocks (of ≤ 21 panels), 43 panels per thread
/// block b starts at panel ⌊b · 86 / 6⌋: 0 14 28 | 43 57 71 | 86
/// ```
#[derive(Debug, PartialEq)]
struct RowBlocks {
    m: usize,
    mr: usize,
    panels: usize,
    count: usize,
}

impl RowBlocks {
    fn new(m: usize, mc: usize, mr: usize, threads: usize) -> RowBlocks {
        let panels = m.div_ceil(mr);
        let count = panels.div_ceil(mc / mr).next_multiple_of(threads);
        RowBlocks {
            m,
            mr,
            panels,
            count: count.min(panels),
        }
    }

    /// The first row of block `b` (`b ≤ count`; block `count` starts at `m`).
    fn start(&self, b: usize) -> usize {
        (b * self.panels / self.count * self.mr).min(self.m)
    }
}

/// The block `rows × cols` of `x`: `x` itself when that is all of it (a small
/// product is one block, and ndarray's general slicing cost ~5% of a 32³ product).
pub(crate) fn block<S: RawData>(
    x: ArrayBase<S, Ix2>,
    rows: Range<usize>,
    cols: Range<usize>,
) -> ArrayBase<S, Ix2> {
    if (rows.start, cols.start) == (0, 0) && (rows.end, cols.end) == x.dim() {
        x
    } else {
        x.slice_move(s![rows, cols])
    }
}

/// Run `f(row0, col0, block)` on every block of `c`: the row blocks of `rows`, each
/// cut into blocks of `cols` columns (the last one narrower; `row0, col0` is the
/// block's top-left element). The blocks are disjoint mutable views, no copy, and
/// no list of them either (the small products, one block, pay for no allocation).
/// With `parallel` they are rayon tasks: the row blocks are halved recursively
/// (`rayon::join`), so with two threads each thread starts on one half.
fn for_each_block<T: Send + Sync>(
    c: Tile<T>,
    rows: &RowBlocks,
    cols: usize,
    parallel: bool,
    f: impl Fn(usize, usize, Tile<T>) + Sync,
) {
    visit_blocks(c, rows, 0..rows.count, cols, parallel, &f);
}

/// [`for_each_block`] on the row blocks `blocks`, which `c` holds (from the start of
/// the first one).
fn visit_blocks<T: Send + Sync>(
    mut c: Tile<T>,
    rows: &RowBlocks,
    blocks: Range<usize>,
    cols: usize,
    parallel: bool,
    f: &(impl Fn(usize, usize, Tile<T>) + Sync),
) {
    let row0 = rows.start(blocks.start);
    if blocks.len() > 1 {
        let mid = blocks.start + blocks.len() / 2;
        let (top, bottom) = c.split_at(Axis(0), rows.start(mid) - row0);
        let top = || visit_blocks(top, rows, blocks.start..mid, cols, parallel, f);
        let bottom = || visit_blocks(bottom, rows, mid..blocks.end, cols, parallel, f);
        if parallel {
            rayon::join(top, bottom);
        } else {
            top();
            bottom();
        }
    } else if parallel {
        c.axis_chunks_iter_mut(Axis(1), cols)
            .into_par_iter()
            .enumerate()
            .for_each(|(q, block)| f(row0, q * cols, block));
    } else {
        for (q, block) in c.axis_chunks_iter_mut(Axis(1), cols).enumerate() {
            f(row0, q * cols, block);
        }
    }
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
        let starts = |r: &RowBlocks| (0..=r.count).map(|b| r.start(b)).collect::<Vec<_>>();
        // 86 panels of 12 rows, 6 blocks: 43 panels per thread (516 rows).
        let r = RowBlocks::new(1024, 252, 12, 2);
        assert_eq!(starts(&r), [0, 168, 336, 516, 684, 852, 1024]);
        // One thread: 5 blocks of 17 or 18 panels, the last one partial.
        let r = RowBlocks::new(1024, 252, 12, 1);
        assert_eq!(starts(&r), [0, 204, 408, 612, 816, 1024]);
        // 2048 rows in blocks of ≤ 144 (24 panels of 6): 16 blocks, 8 per thread.
        let r = RowBlocks::new(2048, 144, 6, 2);
        assert_eq!((r.count, r.start(8)), (16, 1026));
        // Fewer panels than threads: one block (its columns are split instead).
        assert_eq!(RowBlocks::new(5, 144, 6, 2).count, 1);
        assert_eq!(starts(&RowBlocks::new(32, 252, 12, 2)), [0, 12, 32]);
    }

    #[test]
    fn blocks_tile_the_matrix_exactly_once() {
        let mut c = ndarray::Array2::<MaybeUninit<f32>>::uninit((7, 10));
        // 7 rows: panels of 3 rows, 3 blocks of one panel (the last one 1 row).
        let rows = RowBlocks::new(7, 3, 3, 1);
        for parallel in [false, true] {
            let corners = std::sync::Mutex::new(Vec::new());
            for_each_block(c.view_mut(), &rows, 4, parallel, |r, c, t| {
                corners.lock().unwrap().push((r, c, t.dim()));
            });
            let mut corners = corners.into_inner().unwrap();
            corners.sort();
            assert_eq!(corners[0], (0, 0, (3, 4)));
            assert_eq!(corners[2], (0, 8, (3, 2)));
            assert_eq!(corners[8], (6, 8, (1, 2)));
            let area: usize = corners.iter().map(|(_, _, (h, w))| h * w).sum();
            assert_eq!((corners.len(), area), (9, 70));
        }
    }

    #[test]
    fn small_row_major_b_is_read_in_place() {
        assert!(b_in_place(32, 32, 1, 4)); // 4 KiB
        assert!(b_in_place(64, 64, 1, 4)); // 16 KiB
        assert!(!b_in_place(128, 64, 1, 4)); // 32 KiB: packed
        assert!(!b_in_place(32, 32, 32, 4)); // transposed: packed
    }
}
