//! Length-normalising functions of [`Var`]s, as `torch.nn.functional`, written so
//! that huge or tiny vectors give the right answer: [`normalize`], and the scaling
//! they and the cosine and distance losses share.
//!
//! A norm squares its entries, and a square leaves the float range long before the
//! norm does: in f32, `x²` is `inf` above 1.8e19 and 0 below 1e-23 (f64: 1.3e154 and
//! 1e-162). At ~1e30, `x / ‖x‖` would be `x / inf = 0` for every vector, and a loss
//! built on it silently constant with zero gradient. So each row is first divided by
//! its largest magnitude, which changes nothing mathematically:
//! ```text
//! s = max(maxᵢ |xᵢ|, floor)            a constant per row (no gradient)
//! x / max(‖x‖, ε) = (x/s) / max(‖x/s‖, ε/s)     for every s > 0
//! ```
//! and every entry of `x/s` is at most 1 in magnitude (the largest exactly 1), so its
//! squares neither overflow nor all vanish. As the right side does not depend on `s`,
//! its derivative in `s` is zero, and treating `s` as a constant gives the exact
//! gradient. Read next: [`crate::loss::info_nce`].

use autograd::Var;
use tensor::Tensor;

/// `(x / s, s)` with `s = max(maxᵢ |xᵢ|, floor)` along `dim` (kept as a size-1 dim), a
/// constant: the rows of `x` scaled so that their largest entry is ±1 (see the
/// module doc). `floor > 0` keeps a zero row finite.
pub(crate) fn scaled_by_max(x: &Var, dim: isize, floor: f64) -> (Var, Tensor) {
    let (largest, _) = x.value().abs().max_dim(dim, true);
    let s = largest.clamp(floor, f64::INFINITY);
    (x / &Var::new(s.clone()), s)
}

/// `x / max(‖x‖₂, eps)` along `dim`, as `torch.nn.functional.normalize(x, 2, dim, eps)`:
/// every slice along `dim` scaled to unit length (a zero slice stays zero).
///
/// ```text
/// xs = x / s,  s = max(maxᵢ |xᵢ|, eps)          (see the module doc)
/// y  = xs / √max(‖xs‖², 1)
/// ```
/// The bound 1 is `(eps/s)²` where the clamp matters (`s = eps`, a row no larger than
/// `eps`); elsewhere `‖xs‖ ≥ 1` already. Clamping the square before the root keeps
/// the gradient of a zero row finite.
///
/// # Shapes
/// Any shape; the output has the input's shape.
///
/// # Panics
/// If `dim` is out of range for the shape.
///
/// # Examples
/// ```
/// use autograd::Var;
/// use nn::functional::normalize;
/// use tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![3e30, 4e30, 0.0, 0.0], &[2, 2]));
/// // 3e30² overflows f32, but the rows still come out at unit length
/// let y = normalize(&x, -1, 1e-12).value().to_vec::<f32>();
/// let expected = [0.6, 0.8, 0.0, 0.0];
/// assert!(y.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6), "{y:?}");
/// ```
#[track_caller]
pub fn normalize(x: &Var, dim: isize, eps: f64) -> Var {
    let (xs, _) = scaled_by_max(x, dim, eps);
    let norm = (&xs * &xs)
        .sum_dim(dim, true)
        .clamp(1.0, f64::INFINITY)
        .sqrt();
    &xs / &norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::gradcheck;
    use tensor::DType;

    fn close(a: &[f64], b: &[f64], rel: f64) {
        assert!(
            a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= rel * y.abs().max(1e-300)),
            "{a:?} vs {b:?}"
        );
    }

    #[test]
    fn normalize_is_scale_free_from_tiny_to_huge() {
        let x = [1.0, -2.0, 2.0, 0.5, 0.0, 0.0];
        let unit: Vec<f64> = normalize(
            &Var::new(Tensor::from_vec_f64(x.to_vec(), &[2, 3])),
            1,
            1e-12,
        )
        .value()
        .to_vec();
        close(&unit, &[1. / 3., -2. / 3., 2. / 3., 1.0, 0.0, 0.0], 1e-15);
        // f32 squares overflow at 1e30 and vanish at 1e-25 (then eps must be smaller)
        for (dtype, scale, eps) in [
            (DType::F32, 1e30, 1e-12),
            (DType::F32, 1e-25, 1e-30),
            (DType::F64, 1e300, 1e-12),
        ] {
            let scaled = Tensor::from_vec_f64(x.iter().map(|v| v * scale).collect(), &[2, 3]);
            let y = normalize(&Var::new(scaled.to_dtype(dtype)), -1, eps);
            close(&y.value().to_vec::<f64>(), &unit, 1e-6);
        }
        // below eps, x / eps, as PyTorch
        let tiny = Var::new(Tensor::from_vec_f64(vec![3e-13, 4e-13], &[2]));
        close(
            &normalize(&tiny, 0, 1e-12).value().to_vec::<f64>(),
            &[0.3, 0.4],
            1e-12,
        );
    }

    #[test]
    fn normalize_gradchecks_at_every_scale_and_at_zero() {
        for scale in [1.0, 1e200, 1e-200] {
            let x = [0.3, -1.2, 0.7, 2.0, 0.1, -0.4];
            let x = Tensor::from_vec_f64(x.to_vec(), &[2, 3]);
            // normalize(s·x) = normalize(x): its gradient at s·x, times s, is that at x
            gradcheck(|v| normalize(&v[0].mul_scalar(scale), 1, 1e-12), &[x]).assert_passed();
        }
        let zero = Var::param(Tensor::zeros(&[3]).to_dtype(DType::F64));
        normalize(&zero, 0, 1e-12).sum().backward();
        assert!(
            zero.grad()
                .unwrap()
                .to_vec::<f64>()
                .iter()
                .all(|g| g.is_finite())
        );
    }
}
