//! Reductions composed from `sum`, `max_dim`, elementwise ops and `log`/`exp`.
//!
//! ```text
//! mean(x)         = Σ x / N
//! var(x)          = Σ (x − mean(x))² / (N − c)          c = 1 if unbiased (Bessel), else 0
//! std(x)          = √var(x)
//! max(x)          = max_dim(flatten(x), 0)              min(x) = −max(−x)
//! logsumexp(x)    = m + ln Σ exp(x − m)                 m = max(x), a constant
//! ```
//! `logsumexp` detaches `m`: the result does not depend on m mathematically (it
//! cancels), so its gradient through m would be exactly zero; treating it as a
//! constant only saves work. The gradient is then `exp(x − lse) = softmax(x)`.
//! Read next: [`crate::composite::activation`].

use tensor::Tensor;
use tensor::error::{Error, ErrorKind, OrRaise};
use tensor::shape::normalize_dim;

use crate::var::Var;

impl Var {
    /// The mean of all elements, a 0-d `Var`: `Σ x / N`.
    ///
    /// # Shapes
    /// Any shape → `[]`. An empty tensor gives NaN (0 / 0), as in PyTorch.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![1.0, 2.0, 3.0, 6.0], &[2, 2]));
    /// let m = x.mean();
    /// assert_eq!(m.item(), 3.0);
    /// m.backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.25; 4]); // ∂m/∂xᵢ = 1/N
    /// ```
    pub fn mean(&self) -> Var {
        self.sum().mul_scalar(1.0 / self.numel() as f64)
    }

    /// The mean along `dim`: `Σᵢ x[.., i, ..] / N`.
    ///
    /// # Shapes
    /// `[.., N, ..]` → `[.., ..]` (or `[.., 1, ..]` with `keepdim`).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn mean_dim(&self, dim: isize, keepdim: bool) -> Var {
        let n = self.shape()[normalize_dim("mean_dim", dim, &self.shape()).or_raise()];
        self.sum_dim(dim, keepdim).mul_scalar(1.0 / n as f64)
    }

    /// The variance of all elements: `Σ (x − mean)² / (N − 1)` if `unbiased`, else `/ N`.
    ///
    /// # Shapes
    /// Any shape → `[]`. With `unbiased` and one element the result is NaN (0 / 0),
    /// as in PyTorch.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]));
    /// assert_eq!(x.var(false).item(), 1.25); // (2.25 + 0.25 + 0.25 + 2.25) / 4
    /// assert!((x.var(true).item() - 5.0 / 3.0).abs() < 1e-6);
    /// ```
    pub fn var(&self, unbiased: bool) -> Var {
        let centered = self - &self.mean();
        let n = self.numel() as f64;
        let correction = if unbiased { 1.0 } else { 0.0 };
        (&centered * &centered)
            .sum()
            .mul_scalar(1.0 / (n - correction))
    }

    /// The variance along `dim`: `Σᵢ (x − mean_dim)² / (N − 1)` if `unbiased`, else `/ N`.
    ///
    /// # Shapes
    /// `[.., N, ..]` → `[.., ..]` (or `[.., 1, ..]` with `keepdim`).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn var_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Var {
        let n = self.shape()[normalize_dim("var_dim", dim, &self.shape()).or_raise()] as f64;
        let centered = self - &self.mean_dim(dim, true);
        let correction = if unbiased { 1.0 } else { 0.0 };
        (&centered * &centered)
            .sum_dim(dim, keepdim)
            .mul_scalar(1.0 / (n - correction))
    }

    /// The standard deviation of all elements, `√var(unbiased)`.
    ///
    /// # Shapes
    /// Any shape → `[]`. The gradient is infinite where the variance is 0.
    pub fn std(&self, unbiased: bool) -> Var {
        self.var(unbiased).sqrt()
    }

    /// The standard deviation along `dim`, `√var_dim(dim, unbiased, keepdim)`.
    ///
    /// # Shapes
    /// `[.., N, ..]` → `[.., ..]` (or `[.., 1, ..]` with `keepdim`).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn std_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Var {
        self.var_dim(dim, unbiased, keepdim).sqrt()
    }

    /// The largest element, a 0-d `Var`. The gradient goes to the first largest element.
    ///
    /// # Shapes
    /// Any non-empty shape → `[]`.
    ///
    /// # Panics
    /// If `self` has no elements.
    #[track_caller]
    pub fn max(&self) -> Var {
        check_not_empty("max", &self.shape());
        self.reshape(&[self.numel()]).max_dim(0, false).0
    }

    /// The smallest element, a 0-d `Var`: `−max(−x)`.
    ///
    /// # Shapes
    /// Any non-empty shape → `[]`.
    ///
    /// # Panics
    /// If `self` has no elements.
    #[track_caller]
    pub fn min(&self) -> Var {
        check_not_empty("min", &self.shape());
        -&(-self).max()
    }

    /// The min along `dim` and its position (first on ties): `−max_dim(−x)`.
    ///
    /// # Shapes
    /// `[.., N, ..]` → values and indices `[.., ..]` (or `[.., 1, ..]` with `keepdim`).
    ///
    /// # Panics
    /// If `dim` is out of range or the dim has size 0.
    #[track_caller]
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Var, Tensor) {
        normalize_dim("min_dim", dim, &self.shape()).or_raise();
        let (negated_max, indices) = (-self).max_dim(dim, keepdim);
        (-&negated_max, indices)
    }

    /// `ln Σ exp(x)` along `dim`, computed stably as `m + ln Σ exp(x − m)` with `m` the
    /// (detached) max. The gradient is `softmax(x)` along `dim`.
    ///
    /// # Shapes
    /// `[.., N, ..]` → `[.., ..]` (or `[.., 1, ..]` with `keepdim`).
    ///
    /// # Panics
    /// If `dim` is out of range or the dim has size 0.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1000.0, 1000.0], &[2]));
    /// let y = x.logsumexp(0, false).item(); // 1000 + ln 2, without overflow
    /// assert!((y - (1000.0 + 2f64.ln())).abs() < 1e-3);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, dim: isize, keepdim: bool) -> Var {
        let d = normalize_dim("logsumexp", dim, &self.shape()).or_raise() as isize;
        // m = max, kept as size 1 to broadcast; where a whole slice is ±inf, x − m
        // would be NaN, so m = 0 there (the sum is then 0 or inf, as it should be).
        let m = self.value().max_dim(d, true).0;
        let m = Var::new(m.map(|v| if v.is_finite() { v } else { 0.0 }));
        let lse = &(self - &m).exp().sum_dim(d, true).log() + &m;
        if keepdim { lse } else { lse.squeeze(d) }
    }
}

#[track_caller]
fn check_not_empty(op: &'static str, shape: &[usize]) {
    if shape.contains(&0) {
        Error::new(
            op,
            ErrorKind::Shape,
            format!("cannot reduce an empty tensor of shape {shape:?}"),
        )
        .with_hint("the reduction has no identity; check the input is not empty")
        .raise();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;

    fn t64(data: &[f64], shape: &[usize]) -> Tensor {
        Tensor::from_vec_f64(data.to_vec(), shape)
    }

    fn close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
        }
    }

    /// x = [[1, 2, 3], [4, 6, 8]], a 2×3 input away from ties.
    fn x23() -> Tensor {
        t64(&[1., 2., 3., 4., 6., 8.], &[2, 3])
    }

    #[test]
    fn mean_and_mean_dim_known_values() {
        let x = Var::param(x23());
        assert_eq!(x.mean().item(), 4.0); // 24 / 6
        assert_eq!(x.mean_dim(1, false).value().to_vec::<f64>(), vec![2.0, 6.0]);
        assert_eq!(x.mean_dim(-2, true).value().shape(), &[1, 3]);
        assert_eq!(
            x.mean_dim(0, true).value().to_vec::<f64>(),
            vec![2.5, 4.0, 5.5]
        );
        x.mean_dim(1, false).sum().backward();
        // ∂/∂x[i, j] of Σᵢ mean_j x[i, j] = 1/3
        close(&x.grad().unwrap().to_vec::<f64>(), &[1.0 / 3.0; 6], 1e-15);
    }

    #[test]
    fn var_and_std_known_values() {
        let x = Var::new(x23());
        // mean 4; squared deviations 9, 4, 1, 0, 4, 16 → Σ = 34
        close(&[x.var(false).item()], &[34.0 / 6.0], 1e-12);
        close(&[x.var(true).item()], &[34.0 / 5.0], 1e-12);
        close(&[x.std(true).item()], &[(34.0f64 / 5.0).sqrt()], 1e-12);
        // rows: [1, 2, 3] → var 1 (unbiased), [4, 6, 8] → var 4
        close(
            &x.var_dim(1, true, false).value().to_vec::<f64>(),
            &[1.0, 4.0],
            1e-12,
        );
        close(
            &x.std_dim(-1, true, true).value().to_vec::<f64>(),
            &[1.0, 2.0],
            1e-12,
        );
        assert_eq!(x.std_dim(-1, false, true).shape(), vec![2, 1]);
    }

    #[test]
    fn var_gradient_is_centered() {
        // ∂/∂xᵢ Σ(x − x̄)²/N = 2(xᵢ − x̄)/N;  x = [1, 3], x̄ = 2 → [−1, 1]
        let x = Var::param(t64(&[1.0, 3.0], &[2]));
        x.var(false).backward();
        close(&x.grad().unwrap().to_vec::<f64>(), &[-1.0, 1.0], 1e-12);
    }

    #[test]
    fn max_min_and_min_dim() {
        let x = Var::param(x23());
        assert_eq!(x.max().item(), 8.0);
        assert_eq!(x.min().item(), 1.0);
        let (values, indices) = x.min_dim(0, false);
        assert_eq!(values.value().to_vec::<f64>(), vec![1.0, 2.0, 3.0]);
        assert_eq!(indices.to_vec::<f64>(), vec![0.0, 0.0, 0.0]);
        (&x.max() + &x.min()).backward();
        // the gradient goes to the max (8, last) and the min (1, first)
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![1., 0., 0., 0., 0., 1.]
        );
        let s = Var::new(Tensor::from_vec(vec![-2.0], &[]));
        assert_eq!((s.max().item(), s.min().item()), (-2.0, -2.0));
    }

    #[test]
    fn logsumexp_is_stable_and_handles_infinities() {
        let x = Var::new(Tensor::from_vec(
            vec![1000.0, 1000.0, -1000.0, -1000.0],
            &[2, 2],
        ));
        let y = x.logsumexp(1, false).value().to_vec::<f64>();
        close(&y, &[1000.0 + 2f64.ln(), -1000.0 + 2f64.ln()], 1e-3);
        let all_minus_inf = Var::new(t64(&[f64::NEG_INFINITY; 2], &[2]));
        assert_eq!(all_minus_inf.logsumexp(0, false).item(), f64::NEG_INFINITY);
        // logsumexp of [0, ln 3] = ln(1 + 3) = ln 4
        let x = Var::new(t64(&[0.0, 3f64.ln()], &[1, 2]));
        close(
            &x.logsumexp(-1, true).value().to_vec::<f64>(),
            &[4f64.ln()],
            1e-12,
        );
        assert_eq!(x.logsumexp(-1, true).shape(), vec![1, 1]);
    }

    #[test]
    fn gradchecks() {
        let x = t64(&[0.3, -1.2, 2.1, 0.7, -0.4, 1.6], &[2, 3]);
        let xs = std::slice::from_ref(&x);
        gradcheck(|v| v[0].mean(), xs).assert_passed();
        gradcheck(|v| v[0].mean_dim(0, false), xs).assert_passed();
        gradcheck(|v| v[0].var(true), xs).assert_passed();
        gradcheck(|v| v[0].var_dim(1, false, true), xs).assert_passed();
        gradcheck(|v| v[0].std(false), xs).assert_passed();
        gradcheck(|v| v[0].std_dim(0, true, false), xs).assert_passed();
        gradcheck(|v| v[0].max(), xs).assert_passed();
        gradcheck(|v| v[0].min(), xs).assert_passed();
        gradcheck(|v| v[0].min_dim(1, true).0, xs).assert_passed();
        gradcheck(|v| v[0].logsumexp(1, false), xs).assert_passed();
        // non-contiguous inputs: the transposed view
        gradcheck(|v| v[0].t().var_dim(1, true, false), xs).assert_passed();
        gradcheck(|v| v[0].t().logsumexp(0, true), xs).assert_passed();
        gradcheck(|v| v[0].t().mean_dim(-1, false), xs).assert_passed();
    }

    #[test]
    #[should_panic(expected = "max: cannot reduce an empty tensor of shape [2, 0]")]
    fn max_of_empty_panics() {
        Var::new(Tensor::zeros(&[2, 0])).max();
    }

    #[test]
    #[should_panic(expected = "mean_dim: dim 2 is out of range")]
    fn mean_dim_bad_dim_panics() {
        Var::new(Tensor::zeros(&[2, 3])).mean_dim(2, false);
    }

    #[test]
    #[should_panic(expected = "min_dim: dim -3 is out of range")]
    fn min_dim_bad_dim_panics() {
        Var::new(Tensor::zeros(&[2, 3])).min_dim(-3, false);
    }
}
