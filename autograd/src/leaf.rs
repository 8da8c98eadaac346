//! Changing a leaf in place: what an optimizer step (`set_value`, `update_value`) and
//! `Module::to_dtype` (`cast_leaf`) do to parameters between backward passes. Only
//! leaves can change; an op's output is what its inputs made it.
//! Read next: [`crate::function`].

use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

use crate::var::Var;

impl Var {
    /// Replace the value of a leaf in place (what an optimizer step does).
    ///
    /// # Panics
    /// If the shape or dtype changes, or `self` is not a leaf.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let w = Var::param(Tensor::zeros(&[2]));
    /// w.set_value(Tensor::ones(&[2]));
    /// assert_eq!(w.value().to_vec::<f32>(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn set_value(&self, value: Tensor) {
        let mut slot = self.node.value.write().unwrap_or_else(|p| p.into_inner());
        self.check_replacement((slot.dtype(), slot.shape()), &value);
        *slot = value;
    }

    /// Change a leaf's value in place with `f` (an optimizer updating a few rows of a
    /// large table with [`Tensor::index_add_`]). Unlike `set_value(f(value()))`, this
    /// copies nothing when no other tensor shares the value's buffer; if one does (a
    /// learner kept `value()`), the write makes a private copy first, so that tensor
    /// never changes under them.
    ///
    /// # Panics
    /// If `self` is not a leaf, or `f` changes the shape or dtype.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let table = Var::param(Tensor::zeros(&[3, 2]));
    /// let before = table.value(); // shares the buffer: keeps the old values
    /// table.update_value(|t| t.as_mut_slice::<f32>()[0] = 1.0);
    /// assert_eq!(table.value().to_vec::<f32>()[0], 1.0);
    /// assert_eq!(before.to_vec::<f32>()[0], 0.0);
    /// ```
    #[track_caller]
    pub fn update_value(&self, f: impl FnOnce(&mut Tensor)) {
        let mut slot = self.node.value.write().unwrap_or_else(|p| p.into_inner());
        let (dtype, shape) = (slot.dtype(), slot.shape().to_vec());
        self.check_replacement((dtype, &shape), &slot);
        f(&mut slot);
        self.check_replacement((dtype, &shape), &slot);
    }

    /// Convert a leaf's value to `dtype` in place, dropping its gradient
    /// (`module.to_dtype(F64)` before a gradcheck).
    ///
    /// # Panics
    /// If `self` is not a leaf, or it wants a gradient and `dtype` is not a float.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::{DType, Tensor};
    /// let w = Var::param(Tensor::zeros(&[2]));
    /// w.cast_leaf(DType::F64);
    /// assert_eq!(w.dtype(), DType::F64);
    /// ```
    #[track_caller]
    pub fn cast_leaf(&self, dtype: DType) {
        if !self.node.is_leaf {
            Error::new(
                "cast_leaf",
                ErrorKind::Value,
                format!("the output of `{}` is not a leaf", self.op_name()),
            )
            .raise();
        }
        if self.wants_grad() && !dtype.is_float() {
            Error::new(
                "cast_leaf",
                ErrorKind::DType,
                format!("a parameter cannot become {dtype}: only floats have gradients"),
            )
            .with_hint("cast the parameters to f32 or f64; labels and masks are constants")
            .raise();
        }
        let mut slot = self.node.value.write().unwrap_or_else(|p| p.into_inner());
        *slot = slot.to_dtype(dtype);
        drop(slot);
        self.zero_grad();
    }

    /// Panics unless `self` is a leaf and `new` has the old value's dtype and shape.
    #[track_caller]
    fn check_replacement(&self, (dtype, shape): (DType, &[usize]), new: &Tensor) {
        let kind = if !self.node.is_leaf {
            ErrorKind::Value
        } else if dtype != new.dtype() {
            ErrorKind::DType
        } else if shape != new.shape() {
            ErrorKind::Shape
        } else {
            return;
        };
        let what = if self.node.is_leaf {
            "leaf"
        } else {
            "op output"
        };
        Error::new(
            "set_value",
            kind,
            format!(
                "cannot replace a {dtype} {shape:?} {what} with a {} {:?}",
                new.dtype(),
                new.shape()
            ),
        )
        .with_hint("only leaves can be updated, keeping their shape and dtype")
        .raise();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "set_value: cannot replace a f32 [2] leaf with a f32 [3]")]
    fn a_new_shape_is_refused() {
        Var::param(Tensor::zeros(&[2])).set_value(Tensor::zeros(&[3]));
    }

    #[test]
    #[should_panic(expected = "cannot replace a f32 [2] op output with a f32 [2]")]
    fn an_op_output_cannot_be_set() {
        let y = &Var::param(Tensor::zeros(&[2])) * 2.0;
        y.set_value(Tensor::zeros(&[2]));
    }
}
