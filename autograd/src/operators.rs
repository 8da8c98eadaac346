//! The arithmetic operators on `Var`: `&a + &b`, `&a * 2.0`, `1.0 - &a`, `-&a`, ...
//!
//! Each forwards to a named method (`Var::add`, `Var::mul`, `Var::affine`, ...), so
//! the op a learner looks for is always in `ops/<name>.rs`. Tensor operands broadcast.
//! Scalar operands are `f64` and become one `affine` node.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::var::Var;

// Every ownership combination of two Vars forwards to the named method. The macro
// writes only the forwarding; the math is in ops/.
macro_rules! forward_binary_operator {
    ($Trait:ident, $method:ident) => {
        impl $Trait<&Var> for &Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: &Var) -> Var {
                Var::$method(self, rhs)
            }
        }
        impl $Trait<Var> for Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: Var) -> Var {
                Var::$method(&self, &rhs)
            }
        }
        impl $Trait<&Var> for Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: &Var) -> Var {
                Var::$method(&self, rhs)
            }
        }
        impl $Trait<Var> for &Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: Var) -> Var {
                Var::$method(self, &rhs)
            }
        }
    };
}
forward_binary_operator!(Add, add);
forward_binary_operator!(Sub, sub);
forward_binary_operator!(Mul, mul);
forward_binary_operator!(Div, div);

// Var ∘ scalar and scalar ∘ Var: one affine node (or a reciprocal for s / x).
macro_rules! forward_scalar_operator {
    ($Trait:ident, $method:ident, |$x:ident, $s:ident| $var_op_scalar:expr, $scalar_op_var:expr) => {
        impl $Trait<f64> for &Var {
            type Output = Var;
            fn $method(self, $s: f64) -> Var {
                let $x = self;
                $var_op_scalar
            }
        }
        impl $Trait<f64> for Var {
            type Output = Var;
            fn $method(self, $s: f64) -> Var {
                let $x = &self;
                $var_op_scalar
            }
        }
        impl $Trait<&Var> for f64 {
            type Output = Var;
            fn $method(self, $x: &Var) -> Var {
                let $s = self;
                $scalar_op_var
            }
        }
        impl $Trait<Var> for f64 {
            type Output = Var;
            fn $method(self, $x: Var) -> Var {
                let ($s, $x) = (self, &$x);
                $scalar_op_var
            }
        }
    };
}
forward_scalar_operator!(Add, add, |x, s| x.affine(1.0, s), x.affine(1.0, s));
forward_scalar_operator!(Sub, sub, |x, s| x.affine(1.0, -s), x.affine(-1.0, s));
forward_scalar_operator!(Mul, mul, |x, s| x.affine(s, 0.0), x.affine(s, 0.0));
forward_scalar_operator!(
    Div,
    div,
    |x, s| x.affine(1.0 / s, 0.0),
    x.pow(-1.0).affine(s, 0.0)
);

impl Neg for &Var {
    type Output = Var;
    fn neg(self) -> Var {
        Var::neg(self)
    }
}
impl Neg for Var {
    type Output = Var;
    fn neg(self) -> Var {
        Var::neg(&self)
    }
}
