//! Running a float loop on the widest vector instructions the CPU has: the dispatch
//! behind the fast `exp` and `tanh` of softmax, cross-entropy, sigmoid and the LSTM
//! cell.
//!
//! ```text
//! T::vectorised(|| loop { .. T::exp_fast(x) .. })
//!   f32: the loop is compiled three times (AVX-512F: 16 lanes, AVX2+FMA: 8 lanes,
//!        plain x86-64) and the widest the CPU supports runs, picked at run time;
//!        exp_fast / tanh_fast / normal_fast are the branch-free formulas of
//!        `vector_exp` and `vector_normal`
//!   f64: the loop runs as written, with the C library's exp and tanh and `erfc`
//! ```
//! A loop only becomes vector code if everything it calls is inlined into it and has
//! no branches; [`super::vector_exp`] is written that way. Kernels ask for this trait
//! (`T: Vectorised`) only where the exponential is the bottleneck; everything else
//! uses plain [`Float`](crate::dtype::Float).
//! Read next: [`super::vector_exp`] for the math of `exp_f32`.

use super::kernels::{normal_cdf, normal_pdf};
use super::vector_exp::{exp_f32, tanh_f32};
use super::vector_normal::normal_f32;
use crate::dtype::Float;

/// A float type whose loops can run on vector instructions: `f32` and `f64`.
pub trait Vectorised: Float {
    /// `eˣ`: f32 by [`exp_f32`] (within 1 ulp, branch-free), f64 by the C library.
    fn exp_fast(self) -> Self;
    /// `tanh x`: f32 by [`tanh_f32`] (within 2 ulp, branch-free), f64 by the C library.
    fn tanh_fast(self) -> Self;
    /// `(Φ(x), φ(x))`, the standard normal CDF and density: f32 by [`normal_f32`]
    /// (within 4e-7 relative, branch-free), f64 by `erfc` and `exp` (to 1e-15).
    fn normal_fast(self) -> (Self, Self);
    /// Run `body` compiled for the widest vectors of this CPU (f32), or as is (f64).
    fn vectorised<R>(body: impl FnOnce() -> R) -> R;
}

impl Vectorised for f32 {
    #[inline(always)]
    fn exp_fast(self) -> f32 {
        exp_f32(self)
    }
    #[inline(always)]
    fn tanh_fast(self) -> f32 {
        tanh_f32(self)
    }
    #[inline(always)]
    fn normal_fast(self) -> (f32, f32) {
        normal_f32(self)
    }
    fn vectorised<R>(body: impl FnOnce() -> R) -> R {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                // SAFETY: AVX-512F was detected just above.
                return unsafe { with_avx512(body) };
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                // SAFETY: AVX2 and FMA were detected just above.
                return unsafe { with_avx2(body) };
            }
        }
        body()
    }
}

impl Vectorised for f64 {
    #[inline(always)]
    fn exp_fast(self) -> f64 {
        self.exp()
    }
    #[inline(always)]
    fn tanh_fast(self) -> f64 {
        self.tanh()
    }
    #[inline(always)]
    fn normal_fast(self) -> (f64, f64) {
        (normal_cdf(self), normal_pdf(self))
    }
    fn vectorised<R>(body: impl FnOnce() -> R) -> R {
        body()
    }
}

/// `body` compiled with AVX-512F (it is inlined here, so its loops use 16 lanes).
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn with_avx512<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// `body` compiled with AVX2 and FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// `dst[i] = post(exp(pre(src[i])))` for `i < min(src.len(), dst.len())`, vectorised.
/// `pre` and `post` are cheap steps fused into the loop (a max shift, a negation; a
/// scale), so the data is read once.
#[inline]
pub fn exp_map<T: Vectorised>(
    src: &[T],
    dst: &mut [T],
    pre: impl Fn(T) -> T,
    post: impl Fn(T) -> T,
) {
    T::vectorised(
        #[inline(always)]
        || {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = post(pre(s).exp_fast());
            }
        },
    );
}

/// `dst[i] = tanh(src[i])` for `i < min(src.len(), dst.len())`, vectorised.
#[inline]
pub fn tanh_map<T: Vectorised>(src: &[T], dst: &mut [T]) {
    T::vectorised(
        #[inline(always)]
        || {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s.tanh_fast();
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_set_gives_the_same_bits_as_the_plain_loop() {
        let xs: Vec<f32> = (0..4099).map(|i| (i as f32 - 2000.0) * 0.043).collect();
        let mut fast = vec![0.0; xs.len()];
        exp_map(&xs, &mut fast, |x| x, |e| e);
        let plain: Vec<f32> = xs.iter().map(|&x| exp_f32(x)).collect();
        assert_eq!(fast, plain);
        tanh_map(&xs, &mut fast);
        let plain: Vec<f32> = xs.iter().map(|&x| tanh_f32(x)).collect();
        assert_eq!(fast, plain);
    }

    #[test]
    fn f64_uses_the_c_library() {
        let xs = [-3.0, 0.0, 0.5, 700.0];
        let mut ys = [0.0; 4];
        exp_map(&xs, &mut ys, |x| x - 1.0, |e| 2.0 * e);
        let want: Vec<f64> = xs.iter().map(|&x: &f64| 2.0 * (x - 1.0).exp()).collect();
        assert_eq!(ys.to_vec(), want);
        tanh_map(&xs, &mut ys);
        assert_eq!(ys.to_vec(), xs.map(f64::tanh).to_vec());
    }
}
