//! `autograd`: reverse-mode automatic differentiation on top of [`tensor`].
//!
//! Read it in this order, in one sitting:
//! 1. [`var`]: a [`Var`] is a tensor value, an optional gradient, and the op that made it;
//! 2. [`function`]: the [`Function`] trait (one `backward` per op) and [`function::record`],
//!    which adds a node to the graph when gradients are wanted;
//! 3. [`backward`]: topological order once, reverse sweep, gradients accumulated (`+=`);
//! 4. [`ops`]: one op per file, its forward directly above its backward: the
//!    primitives, and the ops fused for speed, each opening with its reference composite;
//! 5. [`composite`]: ops built from primitives with no handwritten backward;
//! 6. tools: [`no_grad`](mod@no_grad), [`gradcheck`](mod@gradcheck), [`graphviz`] (the graph
//!    picture), [`anomaly`], [`display`] (notebook output);
//! 7. plumbing, when curious: [`node`] (the graph node: counter, freeing, locks),
//!    [`gradient`] (dense and sparse gradients, and their sum during backward),
//!    [`leaf`] (changing a parameter in place).

pub mod anomaly;
pub mod backward;
pub mod composite;
pub mod display;
pub mod function;
pub mod gradcheck;
pub mod gradient;
pub mod graphviz;
pub mod leaf;
pub mod no_grad;
pub mod node;
pub mod operators;
pub mod ops;
pub mod var;

pub use anomaly::{AnomalyGuard, detect_anomaly, is_anomaly_enabled, set_detect_anomaly};
pub use function::Function;
pub use gradcheck::{GradcheckReport, gradcheck, gradcheck_with_params};
pub use gradient::{Gradient, RowGradient};
pub use no_grad::{is_grad_enabled, no_grad};
pub use node::live_nodes;
pub use var::Var;
