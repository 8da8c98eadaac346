//! `max_pool2d`: the largest value of each window of each channel, as
//! `torch.nn.functional.max_pool2d`, and `max_pool1d` on top of it.
//!
//! ```text
//! x: [B, C, H, W] → y: [B, C, H_out, W_out]        (windows: tensor::conv::pooling)
//! forward:   y[b, c, i, j] = x[b, c, a]          a = argmax over the window's pixels
//!                                                (a = ih·W + iw, first on ties; the
//!                                                padding is −∞ and never wins)
//! backward:  ∂L/∂x[b, c, a] += g[b, c, i, j]     for each window (i, j) whose max was a
//!            = scatter_add(zeros like x, a, g)   per plane [B·C, H·W], along dim 1
//! ```
//! As with `max_dim`, the max is locally one of its inputs, so only the winner gets the
//! gradient; a pixel that wins several overlapping windows gets the sum. The scatter
//! is written out ([`scatter_to_max`]): one pass over g, planes over the threads,
//! where the general `scatter_add` took a sixth of an MNIST CNN's epoch. Forward saves
//! the argmax positions (PyTorch's `return_indices`, as i64; read
//! back with [`pooling::positions`]) and the input's shape.
//! Read next: [`crate::ops::avg_pool2d`].

use tensor::conv::{PoolOptions, pooling};
use tensor::error::OrRaise;
use tensor::lanes::{as_slice, for_rows};
use tensor::{DType, Float, Tensor};

use crate::function::{Function, record};
use crate::var::Var;

/// The `max_pool2d` op; holds the argmax positions for backward.
pub struct MaxPool2d {
    input_shape: Vec<usize>,
    /// `ih·W + iw` of each window's max, `[B, C, H_out, W_out]`.
    indices: Tensor,
}

impl MaxPool2d {
    /// `(y, op)`: the window maxima, and the op holding where they are.
    #[track_caller]
    pub fn forward(x: &Tensor, options: &PoolOptions) -> (Tensor, MaxPool2d) {
        let (y, indices) = x.max_pool2d(options);
        let op = MaxPool2d {
            input_shape: x.shape().to_vec(),
            indices,
        };
        (y, op)
    }
}

impl Function for MaxPool2d {
    fn name(&self) -> &'static str {
        "max_pool2d"
    }
    fn backward(&self, grad_out: &Tensor) -> Vec<Option<Tensor>> {
        let (g, at) = (grad_out.contiguous(), pooling::positions(&self.indices));
        let shape = &self.input_shape;
        vec![Some(match g.dtype() {
            DType::F32 => scatter_to_max::<f32>(as_slice(&g), &at, shape),
            DType::F64 => scatter_to_max::<f64>(as_slice(&g), &at, shape),
            _ => unreachable!("the forward's max_pool2d checked for a float dtype"),
        })]
    }
}

/// `∂L/∂x`: each plane's gradients `g` added at their windows' max positions `at`
/// (`ih·W + iw` in the plane), plane by plane.
fn scatter_to_max<T: Float>(g: &[T], at: &[usize], input_shape: &[usize]) -> Tensor {
    let plane_in = input_shape[2] * input_shape[3];
    let plane_out = g.len() / (input_shape[0] * input_shape[1]).max(1);
    let mut gx = vec![T::zero(); input_shape.iter().product()];
    for_rows(&mut gx, plane_in, |p, image| {
        let window = p * plane_out..(p + 1) * plane_out;
        for (&grad, &pixel) in g[window.clone()].iter().zip(&at[window]) {
            image[pixel] = image[pixel] + grad;
        }
    });
    Tensor::try_from_vec_of(gx, input_shape)
        .expect("internal error: pooling input shape; this is a bug")
}

impl Var {
    /// Max pooling over windows of each channel, as `torch.nn.functional.max_pool2d`;
    /// see [`tensor::conv::PoolOptions`] (stride = kernel size unless set).
    ///
    /// # Shapes
    /// `[B, C, H, W]` → `[B, C, H_out, W_out]`, `H_out = ⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1`.
    ///
    /// # Panics
    /// If the input is not 4-d, the window is larger than the padded input, or the
    /// padding is more than half the kernel.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::PoolOptions;
    /// let x = Var::param(Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]));
    /// let y = x.max_pool2d(&PoolOptions::new(2));
    /// assert_eq!(y.value().to_vec::<f32>(), vec![5., 9.]);
    /// y.sum().backward(); // only the two maxima receive a gradient
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0., 1., 0., 0., 0., 0., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn max_pool2d(&self, options: &PoolOptions) -> Var {
        self.max_pool2d_with_indices(options).0
    }

    /// [`Var::max_pool2d`] and where each max is (`return_indices=True`): `ih·W + iw`
    /// in its input plane, whole numbers in `self`'s dtype (not differentiable).
    ///
    /// # Shapes
    /// `[B, C, H, W]` → both `[B, C, H_out, W_out]`.
    ///
    /// # Panics
    /// As [`Var::max_pool2d`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::PoolOptions;
    /// let x = Var::new(Tensor::from_vec(vec![1., 5., 2., 0., 3., 4., 9., 8.], &[1, 1, 2, 4]));
    /// let (_, at) = x.max_pool2d_with_indices(&PoolOptions::new(2));
    /// assert_eq!(at.to_vec::<i64>(), vec![1, 6]); // (0, 1) and (1, 2) of a 2×4 plane
    /// ```
    #[track_caller]
    pub fn max_pool2d_with_indices(&self, options: &PoolOptions) -> (Var, Tensor) {
        let (y, function) = MaxPool2d::forward(&self.value(), options);
        let indices = function.indices.clone();
        (record((y, function), &[self]), indices)
    }

    /// Max pooling of a 1-d signal, as `torch.nn.functional.max_pool1d`:
    /// [`Var::max_pool2d`] of height 1, each option one value.
    ///
    /// # Shapes
    /// `[B, C, L]` → `[B, C, L_out]`.
    ///
    /// # Panics
    /// As [`Var::max_pool2d`], for 3-d inputs; also if an option has two different values.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::PoolOptions;
    /// let x = Var::new(Tensor::from_vec(vec![3., 1., 4., 1., 5., 9.], &[1, 1, 6]));
    /// let y = x.max_pool1d(&PoolOptions::new(3).stride(1));
    /// assert_eq!(y.value().to_vec::<f32>(), vec![4., 4., 5., 9.]);
    /// ```
    #[track_caller]
    pub fn max_pool1d(&self, options: &PoolOptions) -> Var {
        self.max_pool1d_with_indices(options).0
    }

    /// [`Var::max_pool1d`] and the position of each max in its input row.
    ///
    /// # Shapes
    /// `[B, C, L]` → both `[B, C, L_out]`.
    ///
    /// # Panics
    /// As [`Var::max_pool1d`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// use ferrograd::tensor::conv::PoolOptions;
    /// let x = Var::new(Tensor::from_vec(vec![3., 1., 4., 1., 5., 9.], &[1, 1, 6]));
    /// let (_, at) = x.max_pool1d_with_indices(&PoolOptions::new(2));
    /// assert_eq!(at.to_vec::<f32>(), vec![0., 2., 5.]);
    /// ```
    #[track_caller]
    pub fn max_pool1d_with_indices(&self, options: &PoolOptions) -> (Var, Tensor) {
        options.geometry("max_pool1d", &self.shape()).or_raise();
        let two_d = options.as_1d("max_pool1d").or_raise();
        let (y, at) = self.unsqueeze(2).max_pool2d_with_indices(&two_d);
        (y.squeeze(2), at.squeeze(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::gradcheck;
    use tensor::DType;

    /// Distinct values in a shuffled order, far apart: no ties, and a finite
    /// difference never changes a window's argmax.
    fn distinct(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        let values = (0..n).map(|k| ((k * 37) % n) as f64 * 0.1 - 1.0).collect();
        Tensor::from_vec_f64(values, shape)
    }

    #[test]
    fn gradcheck_with_stride_padding_and_dilation() {
        for opts in [
            PoolOptions::new(2),
            PoolOptions::new(3).stride(2).padding(1),
            PoolOptions::new([2, 3]).stride(1).dilation([2, 1]),
        ] {
            gradcheck(|v| v[0].max_pool2d(&opts), &[distinct(&[2, 2, 6, 7])]).assert_passed();
        }
        gradcheck(
            |v| v[0].max_pool1d(&PoolOptions::new(3).stride(2).padding(1)),
            &[distinct(&[2, 3, 9])],
        )
        .assert_passed();
    }

    #[test]
    fn overlapping_windows_add_up_at_a_shared_max() {
        // 3 windows of 2 at stride 1 over [1, 9, 2, 3]: 9 wins the first two
        let x = Var::param(Tensor::from_vec_f64(vec![1., 9., 2., 3.], &[1, 1, 4]));
        let y = x.max_pool1d(&PoolOptions::new(2).stride(1));
        assert_eq!(y.value().to_vec::<f64>(), vec![9., 9., 3.]);
        y.backward_with(&Tensor::from_vec_f64(vec![1., 10., 100.], &[1, 1, 3]));
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0., 11., 0., 100.]);
        assert_eq!(x.dtype(), DType::F64);
    }

    #[test]
    #[should_panic(expected = "max_pool1d: 1-d pooling takes one stride, got [2, 1]")]
    fn two_strides_for_1d_panic() {
        Var::new(Tensor::zeros(&[1, 2, 8])).max_pool1d(&PoolOptions::new(2).stride([2, 1]));
    }
}
