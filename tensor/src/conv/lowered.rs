//! The fast 2-d convolution: lowered onto the GEMM of [`crate::matmul`] with
//! [`super::im2col`], one image at a time, images spread over the rayon threads.
//!
//! ```text
//! per image b and group g (W_g: the group's rows of w seen as [C_out/G, C_in/G·kH·kW]):
//!   cols   = im2col(x[b])                              [C_in·kH·kW, H_out·W_out]
//!   y[b]_g = W_g · cols_g                              [C_out/G, H_out·W_out]   (+ bias)
//! ```
//! A 1×1 convolution with stride 1 and no padding needs no im2col: the image itself,
//! `[C_in, H·W]`, is `cols`. The backward (autograd's `ops/conv2d`, two products and
//! a col2im per image) walks the images with the same [`Plan`] and [`windows`].
//!
//! Why im2col and not an implicit GEMM. An implicit GEMM never builds `cols`: it
//! reads the windows straight from the image while packing the GEMM's B panels. Our
//! GEMM packs every B block anyway, so the copy would only move into the packing;
//! what an implicit GEMM saves is the memory of `cols`. Done one image at a time,
//! `cols` is 0.9 MB for the ResNet-block case of `benches/conv.rs` (32 channels, 3×3,
//! 28×28), so it stays in the core's 2 MiB L2 between im2col and the GEMM that reads
//! it. The implicit variant that needs no change to the GEMM, one product per kernel
//! tap (`y += W[:, :, p, q] · the padded image shifted by (p, q)`, read in place), was
//! measured against this file: forward, batch 64, 1 thread, CPU time, three
//! alternating rounds on the shared 2-core VM (2026-12-07, loaded):
//!
//! ```text
//!                                     im2col + 1 GEMM     one GEMM per tap
//! [64, 32, 12, 12] → 64, 5×5 (25 taps)   10.1–13.9 ms       12.9–17.3 ms   (1.25–1.29× slower)
//! [64, 32, 28, 28] → 64, 3×3 (9 taps)    28.8–36.0 ms       37.2–47.1 ms   (1.29–1.31× slower)
//! ```
//! Per tap, the product's depth is C_in = 32 instead of C_in·kH·kW (800 or 288): the
//! micro-kernel loads and stores its C tile once per 32 multiply-adds instead of once
//! per 256, the partial sums make a pass over the output per tap, and every tap packs
//! its own copy of the image.
//!
//! Threads ([`Plan`]): the images are cut into a few chunks per thread and the chunks
//! are rayon tasks, each with its own `cols` buffer (and, in the backward, its own
//! sum of ∂L/∂W, added up at the end). One image alone (inference) gives its products
//! the threads instead. Read next: [`super::pooling`].

use std::mem::MaybeUninit;

use ndarray::{ArrayView2, Axis, s};
use rayon::prelude::*;

use crate::dtype::{DType, Float};
use crate::error::{Error, ErrorKind, OrRaise};
use crate::lanes::as_slice;
use crate::matmul::{BATCH_FLOPS, SPLIT_FLOPS, Scalar, gemm, tier};
use crate::tensor::{Tensor, check_float, check_same_dtype};

use super::im2col::im2col;
use super::{ConvGeometry, ConvOptions};

impl Tensor {
    /// 2-d convolution of `self` (`[B, C_in, H, W]`) with `weight` and an optional
    /// `bias`, as `torch.nn.functional.conv2d` (a cross-correlation: the kernel is
    /// not flipped). Lowered onto the GEMM (see the module doc); the definition, seven
    /// loops, is [`super::reference::conv2d`].
    ///
    /// ```text
    /// y[b, o, i, j] = bias[o] + Σ_c Σ_p Σ_q w[o, c, p, q] · x[b, g·C_in/G + c, i·s_h + p·d_h − pad_h, j·s_w + q·d_w − pad_w]
    /// ```
    ///
    /// # Shapes
    /// `self: [B, C_in, H, W]`, `weight: [C_out, C_in/groups, kH, kW]`, `bias: [C_out]`
    /// → `[B, C_out, H_out, W_out]`, `H_out = ⌊(H + 2·pad_h − d_h·(kH − 1) − 1)/s_h⌋ + 1`.
    ///
    /// # Panics
    /// If the shapes do not fit each other or the options (see [`ConvGeometry::new`]),
    /// the bias is not `[C_out]`, or the dtypes differ. [`Tensor::try_conv2d`] returns
    /// the error instead.
    ///
    /// # Examples
    /// ```
    /// use tensor::Tensor;
    /// use tensor::conv::ConvOptions;
    /// let x = Tensor::ones(&[2, 3, 8, 8]);
    /// let w = Tensor::ones(&[4, 3, 3, 3]);
    /// let y = x.conv2d(&w, None, &ConvOptions::default().stride(2).padding(1));
    /// assert_eq!(y.shape(), &[2, 4, 4, 4]);
    /// assert_eq!(y.to_vec::<f32>()[5], 27.0); // an inner window: 3 channels × 3 × 3 ones
    /// ```
    #[track_caller]
    pub fn conv2d(&self, weight: &Tensor, bias: Option<&Tensor>, options: &ConvOptions) -> Tensor {
        self.try_conv2d(weight, bias, options).or_raise()
    }

    /// [`Tensor::conv2d`], returning an error instead of panicking.
    ///
    /// # Errors
    /// As [`ConvGeometry::new`]; a [`ErrorKind::Shape`] error if the bias is not
    /// `[C_out]`; a [`ErrorKind::DType`] error if the dtypes differ.
    pub fn try_conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        options: &ConvOptions,
    ) -> Result<Tensor, Error> {
        check_same_dtype("conv2d", self, weight)?;
        if self.dims() != 4 || weight.dims() != 4 {
            return Err(super::rank_error("conv2d", self.shape(), weight.shape(), 2));
        }
        let geo = ConvGeometry::new("conv2d", self.shape(), weight.shape(), options)?;
        if let Some(bias) = bias {
            check_same_dtype("conv2d", self, bias)?;
            if bias.shape() != [geo.out_channels] {
                return Err(Error::new(
                    "conv2d",
                    ErrorKind::Shape,
                    format!(
                        "bias {:?} does not fit weight {:?}: expected [{}], one per output channel",
                        bias.shape(),
                        weight.shape(),
                        geo.out_channels
                    ),
                ));
            }
        }
        check_float("conv2d", self)?;
        Ok(match self.dtype() {
            DType::F32 => forward::<f32>(self, weight, bias, &geo),
            DType::F64 => forward::<f64>(self, weight, bias, &geo),
            _ => unreachable!("the dtype was checked to be a float above"),
        })
    }
}

/// How the images are shared out over rayon, forward and backward (autograd's
/// `ops/conv2d`): `per_task` images per task, and the threads each GEMM may use (all
/// of them when a single task holds every image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Images per rayon task.
    pub per_task: usize,
    /// Threads for each product (1 when the tasks already share the threads).
    pub gemm_threads: usize,
}

impl Plan {
    /// The plan for `geo` on the current rayon pool.
    pub fn new(geo: &ConvGeometry) -> Plan {
        let threads = rayon::current_num_threads();
        let flops_per_image = 2 * geo.out_channels * geo.taps_per_group() * geo.positions();
        if threads == 1 || geo.batch < 2 || geo.batch * flops_per_image < BATCH_FLOPS {
            let big = flops_per_image >= SPLIT_FLOPS;
            return Plan {
                per_task: geo.batch.max(1),
                gemm_threads: if big { threads } else { 1 },
            };
        }
        // a few tasks per thread, so that a thread slowed by other work is helped out
        Plan {
            per_task: geo.batch.div_ceil(4 * threads).max(1),
            gemm_threads: 1,
        }
    }
}

/// The windows of one image (`[C_in, H, W]`, row-major) as `cols`
/// `[C_in·kH·kW, H_out·W_out]`: im2col into `buffer`, or the image itself for a 1×1
/// kernel at stride 1 without padding (its `[C_in, H·W]` is already `cols`).
pub fn windows<'a, T: Float>(
    image: &'a [T],
    geo: &ConvGeometry,
    buffer: &'a mut Vec<T>,
) -> ArrayView2<'a, T> {
    let (h, w) = (&geo.height, &geo.width);
    let rows = geo.in_channels * h.kernel * w.kernel;
    let unit_stride = h.stride == 1 && w.stride == 1 && h.pad_before == 0 && w.pad_before == 0;
    let identity =
        unit_stride && rows == geo.in_channels && h.output == h.input && w.output == w.input;
    let data: &[T] = if identity {
        image
    } else {
        buffer.resize(rows * geo.positions(), T::zero());
        im2col(image, geo.in_channels, h, w, buffer);
        buffer
    };
    ArrayView2::from_shape((rows, geo.positions()), data)
        .expect("internal error: cols shape; this is a bug")
}

fn forward<T: Scalar>(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    geo: &ConvGeometry,
) -> Tensor {
    let (x, weight) = (x.contiguous(), weight.contiguous());
    let (xs, taps, positions) = (as_slice::<T>(&x), geo.taps_per_group(), geo.positions());
    let w = ArrayView2::from_shape((geo.out_channels, taps), as_slice::<T>(&weight))
        .expect("internal error: weight shape; this is a bug");
    let image = xs.len() / geo.batch.max(1);
    let (per_group, plan, tier) = (geo.out_channels / geo.groups, Plan::new(geo), tier());
    let mut y = crate::pool::uninit::<T, _>((geo.batch, geo.out_channels, positions));
    let run_task = |(task, mut ys): (usize, ndarray::ArrayViewMut3<MaybeUninit<T>>)| {
        let mut buffer = Vec::new();
        for (k, mut y_b) in ys.outer_iter_mut().enumerate() {
            let b = task * plan.per_task + k;
            let cols = windows(&xs[b * image..(b + 1) * image], geo, &mut buffer);
            for g in 0..geo.groups {
                let (rows, taps_g) = (g * per_group..(g + 1) * per_group, g * taps..(g + 1) * taps);
                let c = y_b.slice_mut(s![rows.clone(), ..]);
                gemm(
                    tier,
                    w.slice(s![rows, ..]),
                    cols.slice(s![taps_g, ..]),
                    c,
                    plan.gemm_threads,
                );
            }
        }
    };
    let tasks = y
        .axis_chunks_iter_mut(Axis(0), plan.per_task)
        .into_par_iter()
        .enumerate();
    tasks.for_each(run_task);
    // SAFETY: every image's every group wrote its rows of y (gemm writes all of c).
    let mut y = unsafe { y.assume_init() };
    if let Some(bias) = bias {
        let b = as_slice::<T>(&bias.contiguous()).to_vec();
        for (i, mut row) in y.rows_mut().into_iter().enumerate() {
            let b_o = b[i % geo.out_channels];
            row.mapv_inplace(|v| v + b_o);
        }
    }
    let shape = geo.output_shape();
    Tensor::from_array(
        y.into_shape_with_order(ndarray::IxDyn(&shape))
            .expect("internal error: y shape; this is a bug"),
    )
}
