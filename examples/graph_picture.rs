//! The graph picture: micrograd's neuron, drawn with its values and gradients.
//!
//! ```text
//! n = x1·w1 + x2·w2 + b        o = tanh(n)
//! with x1 = 2, x2 = 0, w1 = −3, w2 = 1, b = 6.8813735870195432:
//!   n = 0.8814,  o = tanh(n) = 0.7071,  do/dn = 1 − o² = 0.5
//!   do/dx1 = w1 · 0.5 = −1.5    do/dw1 = x1 · 0.5 = 1.0
//!   do/dx2 = w2 · 0.5 =  0.5    do/dw2 = x2 · 0.5 = 0.0
//! ```
//! Run with `cargo run --example graph_picture`. Writes `target/graph.dot`, and
//! `target/graph.svg` when Graphviz's `dot` program is installed (otherwise the DOT
//! text is printed; paste it into any Graphviz viewer).
//!
//! Two details make the gradients visible: `retain_grad()` on the intermediates
//! (only leaves keep gradients otherwise), and `backward_retain()` instead of
//! `backward()` (which releases the graph, leaving nothing to draw).
//! Read next: `autograd/src/graphviz.rs`.

use std::path::Path;

use ferrograd::autograd::{Var, graphviz};
use ferrograd::tensor::Tensor;

/// A 0-d f64 parameter, like micrograd's `Value`.
fn value(v: f64) -> Var {
    Var::param(Tensor::from_vec_f64(vec![v], &[]))
}

#[allow(dead_code)] // each example uses part of the shared flag parser
#[path = "common/cli.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::run(|| {
        cli::Cli::new(
            "graph_picture",
            "Draws micrograd's neuron as a graph with its values and gradients (target/graph.svg).",
        )
        .parse()?;
        Ok(draw()?)
    })
}

fn draw() -> std::io::Result<()> {
    // inputs x1, x2; weights w1, w2; bias b (chosen so that o = 1/√2)
    let x1 = value(2.0);
    let x2 = value(0.0);
    let w1 = value(-3.0);
    let w2 = value(1.0);
    let b = value(6.881_373_587_019_543);

    let x1w1 = &x1 * &w1;
    let x2w2 = &x2 * &w2;
    let x1w1_x2w2 = &x1w1 + &x2w2;
    let n = &x1w1_x2w2 + &b;
    let o = n.tanh();

    for intermediate in [&x1w1, &x2w2, &x1w1_x2w2, &n, &o] {
        intermediate.retain_grad();
    }
    o.backward_retain(); // keeps the graph for the picture

    let names = [
        (&x1, "x1"),
        (&x2, "x2"),
        (&w1, "w1"),
        (&w2, "w2"),
        (&b, "b"),
        (&x1w1, "x1*w1"),
        (&x2w2, "x2*w2"),
        (&x1w1_x2w2, "x1*w1 + x2*w2"),
        (&n, "n"),
        (&o, "o"),
    ];
    let dot = o.to_dot_named(&names);

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("graph.dot"), &dot)?;
    match graphviz::dot_to_svg(&dot) {
        Some(svg) => {
            std::fs::write(dir.join("graph.svg"), svg)?;
            println!("wrote {0}/graph.dot and {0}/graph.svg", dir.display());
        }
        None => {
            println!("{dot}");
            println!(
                "wrote {}/graph.dot (install Graphviz for the SVG)",
                dir.display()
            );
        }
    }

    let grad = |v: &Var| v.grad().map_or(f64::NAN, |g| g.item());
    println!(
        "o = {:.4}; do/dx1 = {:.4}, do/dw1 = {:.4}, do/dx2 = {:.4}, do/dw2 = {:.4}",
        o.item(),
        grad(&x1),
        grad(&w1),
        grad(&x2),
        grad(&w2)
    );
    Ok(())
}
