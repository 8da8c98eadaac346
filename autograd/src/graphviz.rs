//! The graph behind a [`Var`] as a picture: Graphviz DOT text, in micrograd's style.
//!
//! ```text
//!  x1 │ leaf │ [] f64 │ data 2.0000 │ grad -1.5000 ──┐
//!                                                  ├──▶ mul │ [] f64 │ data -6.0000 ──▶ ...
//!  w1 │ leaf │ [] f64 │ data -3.0000 │ grad 1.0000 ──┘
//! ```
//! One record box per `Var`: its name (if given), the op that made it (`leaf` for
//! parameters, `const` for constants), shape and dtype, and, for tensors of at most
//! [`MAX_SHOWN_ELEMENTS`] elements, the value and the gradient (if one is stored).
//! Edges go from inputs to outputs (data-flow order), left to right (`rankdir=LR`).
//! There is no separate box per op, unlike micrograd: each box is labelled with the
//! op that made it.
//!
//! Nodes are numbered `n0, n1, ..` in traversal order (inputs before outputs), never
//! by pointer, so the same computation always gives the same text.
//!
//! Two things to know when drawing a graph after `backward`:
//! - `backward()` *releases* the graph (frees the saved tensors and the edges), so
//!   draw before it, or run [`Var::backward_retain`] instead;
//! - only leaves keep their gradient; call [`Var::retain_grad`] on an intermediate
//!   before `backward` to see its gradient in the picture.
//!
//! Render with `dot -Tsvg graph.dot > graph.svg`, or [`Var::to_svg`] when the
//! Graphviz `dot` program is installed. See `examples/graph_picture.rs`.
//! Read next: [`crate::anomaly`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use tensor::{DType, Tensor};

use crate::var::Var;

/// Tensors with at most this many elements show their values and gradients.
pub const MAX_SHOWN_ELEMENTS: usize = 4;

impl Var {
    /// The graph that computed `self`, as Graphviz DOT text (one record box per `Var`,
    /// edges from inputs to outputs). See the [module docs](crate::graphviz).
    ///
    /// After [`Var::backward`] the graph is released and only `self` is drawn; use
    /// [`Var::backward_retain`] to draw a graph together with its gradients.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![3.0], &[]));
    /// let y = &x * &x;
    /// y.backward_retain();
    /// let dot = y.to_dot();
    /// assert!(dot.contains("leaf | [] f32 | data 3.0000 | grad 6.0000"));
    /// assert_eq!(dot.matches(" -> ").count(), 2); // x is used twice
    /// ```
    pub fn to_dot(&self) -> String {
        self.to_dot_named(&[])
    }

    /// Like [`Var::to_dot`], with names shown on the given `Var`s (`x1`, `w1`, ..),
    /// as micrograd's labels.
    pub fn to_dot_named(&self, names: &[(&Var, &str)]) -> String {
        let names: HashMap<usize, &str> = names.iter().map(|(v, n)| (v.id(), *n)).collect();
        let order = graph_order(self);
        let number: HashMap<usize, usize> =
            order.iter().enumerate().map(|(k, v)| (v.id(), k)).collect();

        let mut dot = String::from("digraph ferrograd {\n  rankdir=LR;\n  node [shape=record];\n");
        for (k, var) in order.iter().enumerate() {
            let label = node_label(var, names.get(&var.id()).copied());
            let fill = if var.is_leaf() && var.wants_grad() {
                ", style=filled, fillcolor=\"#dbe9f6\"" // parameters stand out
            } else {
                ""
            };
            let _ = writeln!(dot, "  n{k} [label=\"{{ {label} }}\"{fill}];");
        }
        for (k, var) in order.iter().enumerate() {
            for input in var.inputs() {
                let _ = writeln!(dot, "  n{} -> n{k};", number[&input.id()]);
            }
        }
        dot.push_str("}\n");
        dot
    }

    /// The graph rendered as SVG by Graphviz's `dot -Tsvg`, or `None` if the `dot`
    /// program is not installed (or fails). Needs no Rust dependency: the DOT text is
    /// piped through the external program.
    pub fn to_svg(&self) -> Option<String> {
        dot_to_svg(&self.to_dot())
    }
}

/// Render DOT text to SVG with the `dot` program; `None` if it is missing or fails.
pub fn dot_to_svg(dot: &str) -> Option<String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // `dot` reads all its input before writing, so writing first cannot deadlock.
    // Dropping stdin closes the pipe and lets it start.
    let written = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(dot.as_bytes()));
    let output = child.wait_with_output().ok()?;
    match written {
        Some(Ok(())) if output.status.success() => String::from_utf8(output.stdout).ok(),
        _ => None,
    }
}

/// Every `Var` that `root` was computed from, inputs before outputs, visiting inputs
/// in argument order (so the numbering only depends on the computation). Iterative
/// depth-first search: a deep graph (an unrolled RNN) must not overflow the stack.
fn graph_order(root: &Var) -> Vec<Var> {
    let mut order = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![(root.clone(), false)];
    while let Some((var, expanded)) = stack.pop() {
        if expanded {
            order.push(var);
            continue;
        }
        if !seen.insert(var.id()) {
            continue;
        }
        let inputs = var.inputs();
        stack.push((var, true));
        // Reversed, so that the first input is popped (and numbered) first.
        for input in inputs.into_iter().rev() {
            if !seen.contains(&input.id()) {
                stack.push((input, false));
            }
        }
    }
    order
}

/// The fields of one record box: `name | op | shape dtype | data .. | grad ..`.
fn node_label(var: &Var, name: Option<&str>) -> String {
    let mut fields = Vec::new();
    if let Some(name) = name {
        fields.push(escape(name));
    }
    fields.push(match (var.is_leaf(), var.wants_grad()) {
        (true, true) => "leaf".to_string(),
        (true, false) => "const".to_string(),
        (false, _) => var.op_name().to_string(),
    });
    fields.push(format!("{:?} {}", var.shape(), var.dtype()));
    if var.numel() <= MAX_SHOWN_ELEMENTS {
        fields.push(format!("data {}", values(&var.value())));
        if let Some(grad) = var.grad() {
            fields.push(format!("grad {}", values(&grad)));
        }
    }
    fields.join(" | ")
}

/// The elements in row-major order, 4 decimals each, space-separated.
fn values(t: &Tensor) -> String {
    let v: Vec<f64> = t.to_dtype(DType::F64).to_vec();
    v.iter()
        .map(|x| format!("{x:.4}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escape the characters that have a meaning inside a DOT record label.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(dot: &str) -> usize {
        dot.matches("[label=").count()
    }
    fn edges(dot: &str) -> usize {
        dot.matches(" -> ").count()
    }

    /// y = Σ (a ⊙ b) with a = [2, 3], b = [4, 5]
    fn small_graph() -> (Var, Var, Var, Var) {
        let a = Var::param(Tensor::from_vec(vec![2.0, 3.0], &[2]));
        let b = Var::param(Tensor::from_vec(vec![4.0, 5.0], &[2]));
        let c = a.mul(&b);
        let y = c.sum();
        (a, b, c, y)
    }

    #[test]
    fn one_box_per_var_and_one_edge_per_input() {
        let (_a, _b, _c, y) = small_graph();
        let dot = y.to_dot();
        assert!(dot.starts_with("digraph ferrograd {\n  rankdir=LR;\n"));
        assert_eq!((nodes(&dot), edges(&dot)), (4, 3));
        // numbered inputs first, in argument order: a, b, then mul, then sum
        assert!(dot.contains("n0 [label=\"{ leaf | [2] f32 | data 2.0000 3.0000 }\""));
        assert!(dot.contains("n1 [label=\"{ leaf | [2] f32 | data 4.0000 5.0000 }\""));
        assert!(dot.contains("n2 [label=\"{ mul | [2] f32 | data 8.0000 15.0000 }\"];"));
        assert!(dot.contains("n3 [label=\"{ sum | [] f32 | data 23.0000 }\"];"));
        for edge in ["n0 -> n2;", "n1 -> n2;", "n2 -> n3;"] {
            assert!(dot.contains(edge), "missing {edge} in\n{dot}");
        }
    }

    #[test]
    fn gradients_show_after_backward_retain_and_retain_grad() {
        let (a, b, c, y) = small_graph();
        c.retain_grad();
        y.backward_retain();
        let dot = y.to_dot_named(&[(&a, "a"), (&b, "b")]);
        // ∂y/∂a = b, ∂y/∂b = a, ∂y/∂c = 1
        assert!(dot.contains("{ a | leaf | [2] f32 | data 2.0000 3.0000 | grad 4.0000 5.0000 }"));
        assert!(dot.contains("{ b | leaf | [2] f32 | data 4.0000 5.0000 | grad 2.0000 3.0000 }"));
        assert!(dot.contains("{ mul | [2] f32 | data 8.0000 15.0000 | grad 1.0000 1.0000 }"));
        assert_eq!((nodes(&dot), edges(&dot)), (4, 3));
    }

    #[test]
    fn backward_releases_the_graph_so_only_the_output_is_drawn() {
        let (_a, _b, _c, y) = small_graph();
        y.backward();
        let dot = y.to_dot();
        assert_eq!((nodes(&dot), edges(&dot)), (1, 0));
    }

    #[test]
    fn the_same_computation_gives_the_same_text() {
        let first = small_graph().3.to_dot();
        let second = small_graph().3.to_dot();
        assert_eq!(first, second);
    }

    #[test]
    fn shared_inputs_constants_and_big_tensors() {
        let x = Var::param(Tensor::ones(&[2, 3]).to_dtype(DType::F64));
        let k = Var::new(Tensor::from_vec_f64(vec![2.0], &[1]));
        let y = &(&x * &x) * &k; // x used twice; k broadcast to [2, 3]
        let dot = y.to_dot();
        // x, x*x, k broadcast (a constant: its broadcast is not recorded), product
        assert_eq!((nodes(&dot), edges(&dot)), (4, 4));
        assert_eq!(dot.matches("n0 -> n1;").count(), 2);
        assert!(dot.contains("{ const | [2, 3] f64 }")); // 6 elements: no values shown
        assert!(dot.contains("{ mul | [2, 3] f64 }"));
        assert_eq!(dot.matches("fillcolor").count(), 1); // only the parameter x
    }

    #[test]
    fn names_are_escaped() {
        let x = Var::param(Tensor::from_vec(vec![1.0], &[]));
        let dot = x.to_dot_named(&[(&x, "{x|<y>}")]);
        assert!(
            dot.contains(r"{ \{x\|\<y\>\} | leaf | [] f32 | data 1.0000 }"),
            "{dot}"
        );
    }

    #[test]
    fn svg_when_graphviz_is_installed() {
        let (_a, _b, _c, y) = small_graph();
        match y.to_svg() {
            Some(svg) => assert!(svg.contains("<svg"), "{svg}"),
            None => assert!(Command::new("dot").arg("-V").output().is_err()),
        }
    }
}
