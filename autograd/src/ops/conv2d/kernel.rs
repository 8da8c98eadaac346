//! The fast backward of `conv2d`: the two products of the module doc per image and
//! group, on the project's GEMM, the images walked as the forward walks them
//! (`tensor::conv::lowered`: the same [`Plan`] of rayon tasks, the same `cols`).
//!
//! ```text
//! per image b and group g, with G_g = ∂L/∂y[b]_g  [C_out/G, H_out·W_out]:
//!   cols      = im2col(x[b])                      [C_in·kH·kW, H_out·W_out]  (built again)
//!   ∂L/∂W_g  += G_g · cols_gᵀ                     [C_out/G, C_in/G·kH·kW]
//!   ∂cols_g   = W_gᵀ · G_g                        [C_in/G·kH·kW, H_out·W_out]
//!   ∂L/∂x[b]  = col2im(∂cols)                     each entry added back onto its pixel
//! ```
//! `cols` is built again rather than saved by the forward: it is kH·kW times the input
//! (9× for 3×3), a whole batch of it would not stay in cache, and im2col is a copy
//! beside the two products' multiply-adds. Each task sums `∂L/∂W` over its own images;
//! the sums are added at the end (in task order, so the result does not depend on the
//! thread count). The seven-loop [`super::conv2d_backward_reference`] is what this is
//! tested against (`tests.rs`).
//! Read next: [`crate::ops::max_pool2d`].

use ndarray::{ArrayView2, ArrayViewMut2, s};
use rayon::prelude::*;

use tensor::conv::im2col::col2im;
use tensor::conv::lowered::{Plan, windows};
use tensor::conv::{ConvGeometry, ConvOptions};
use tensor::error::OrRaise;
use tensor::lanes::as_slice;
use tensor::matmul::GemmElement;
use tensor::{DType, Tensor};

/// `(∂L/∂x, ∂L/∂w)` given `grad = ∂L/∂y`; `∂L/∂x` only when `input_grad`.
#[track_caller]
pub fn backward(
    grad: &Tensor,
    x: &Tensor,
    w: &Tensor,
    options: &ConvOptions,
    input_grad: bool,
) -> (Option<Tensor>, Tensor) {
    let geo = ConvGeometry::new("conv2d", x.shape(), w.shape(), options).or_raise();
    let (grad, x, w) = (grad.contiguous(), x.contiguous(), w.contiguous());
    match grad.dtype() {
        DType::F32 => backward_of::<f32>(&grad, &x, &w, &geo, input_grad),
        DType::F64 => backward_of::<f64>(&grad, &x, &w, &geo, input_grad),
        _ => unreachable!("the forward's conv2d checked for a float dtype"),
    }
}

fn backward_of<T: GemmElement>(
    grad: &Tensor,
    x: &Tensor,
    weight: &Tensor,
    geo: &ConvGeometry,
    input_grad: bool,
) -> (Option<Tensor>, Tensor) {
    let (gs, xs) = (as_slice::<T>(grad), as_slice::<T>(x));
    let (taps, positions) = (geo.taps_per_group(), geo.positions());
    let w = ArrayView2::from_shape((geo.out_channels, taps), as_slice::<T>(weight))
        .expect("internal error: weight shape; this is a bug");
    let (image, out_image) = (xs.len() / geo.batch.max(1), geo.out_channels * positions);
    let (per_group, plan) = (geo.out_channels / geo.groups, Plan::new(geo));
    // each task writes ∂L/∂x of its own images: split the buffer (empty when not needed)
    let mut gx = vec![T::zero(); if input_grad { xs.len() } else { 0 }];
    let task_count = geo.batch.div_ceil(plan.per_task);
    let mut gx_tasks: Vec<&mut [T]> = gx.chunks_mut((plan.per_task * image).max(1)).collect();
    gx_tasks.resize_with(task_count, || &mut []);
    let run_task = |(task, gx_task): (usize, &mut [T])| -> Vec<T> {
        let mut buffer = Vec::new(); // this task's cols
        let mut g_cols = vec![
            T::zero();
            if input_grad {
                geo.groups * taps * positions
            } else {
                0
            }
        ];
        let mut gw = vec![T::zero(); geo.out_channels * taps];
        let mut product = vec![T::zero(); per_group * taps];
        let first = task * plan.per_task;
        for b in first..(first + plan.per_task).min(geo.batch) {
            let cols = windows(&xs[b * image..(b + 1) * image], geo, &mut buffer);
            let g_b = ArrayView2::from_shape(
                (geo.out_channels, positions),
                &gs[b * out_image..(b + 1) * out_image],
            )
            .expect("internal error: grad shape; this is a bug");
            for g in 0..geo.groups {
                let (rows, taps_g) = (g * per_group..(g + 1) * per_group, g * taps..(g + 1) * taps);
                let g_g = g_b.slice(s![rows.clone(), ..]);
                // ∂L/∂W_g += G_g · cols_gᵀ
                let c = ArrayViewMut2::from_shape((per_group, taps), &mut product[..])
                    .expect("internal error: product shape; this is a bug");
                T::gemm_into(
                    g_g,
                    cols.slice(s![taps_g.clone(), ..]).t(),
                    c,
                    plan.gemm_threads,
                );
                let gw_g = &mut gw[rows.start * taps..rows.end * taps];
                for (acc, &p) in gw_g.iter_mut().zip(&product) {
                    *acc = *acc + p;
                }
                // ∂cols_g = W_gᵀ · G_g
                if input_grad {
                    let c = ArrayViewMut2::from_shape(
                        (taps, positions),
                        &mut g_cols[taps_g.start * positions..taps_g.end * positions],
                    )
                    .expect("internal error: cols shape; this is a bug");
                    T::gemm_into(w.slice(s![rows, ..]).t(), g_g, c, plan.gemm_threads);
                }
            }
            if input_grad {
                let gx_b = &mut gx_task[(b - first) * image..(b - first + 1) * image];
                col2im(&g_cols, geo.in_channels, &geo.height, &geo.width, gx_b);
            }
        }
        gw
    };
    let sums: Vec<Vec<T>> = gx_tasks.into_par_iter().enumerate().map(run_task).collect();
    let mut gw = vec![T::zero(); geo.out_channels * taps];
    for sum in sums {
        for (acc, v) in gw.iter_mut().zip(sum) {
            *acc = *acc + v;
        }
    }
    let gx = input_grad.then(|| {
        Tensor::try_from_vec_of(gx, x.shape()).expect("internal error: gx shape; this is a bug")
    });
    let gw = Tensor::try_from_vec_of(gw, weight.shape())
        .expect("internal error: gw shape; this is a bug");
    (gx, gw)
}
