//! How a [`Var`] shows itself: `{:?}` and `{}`, and rich output for evcxr (Rust
//! Jupyter) notebooks, the value as an HTML table and the graph behind it as a picture.
//!
//! evcxr looks for an inherent method called `evcxr_display` on the value of a cell's
//! last expression and shows whatever it prints between two markers:
//! ```text
//! EVCXR_BEGIN_CONTENT text/html          EVCXR_BEGIN_CONTENT image/svg+xml
//! <div>Var … <table>…</table></div>      <svg …>…</svg>
//! EVCXR_END_CONTENT                      EVCXR_END_CONTENT
//! ```
//! - [`Var::evcxr_display`]: the value as [`Tensor::to_html`]'s table, the op that made
//!   it, and the gradient's table when one is stored;
//! - [`Var::draw_graph`]: a [`GraphView`], the graph rendered by Graphviz `dot` as an
//!   [`Svg`] when the program is installed, else the DOT text itself (paste it into
//!   any online Graphviz viewer).
//!
//! Each `evcxr_display` prints the string returned by an `evcxr_payload` method, so
//! tests (and curious readers) can look at exactly what the notebook receives.
//! Read next: [`crate::graphviz`], which writes the DOT text.

use tensor::Tensor;

use crate::graphviz::dot_to_svg;
use crate::var::Var;

/// An SVG picture that displays itself in an evcxr notebook (as `image/svg+xml`).
///
/// # Examples
/// ```
/// # use ferrograd::autograd::display::Svg;
/// let svg = Svg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".into());
/// assert!(svg.evcxr_payload().starts_with("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Svg(pub String);

impl Svg {
    /// Show the picture in an evcxr notebook (prints [`Svg::evcxr_payload`]).
    pub fn evcxr_display(&self) {
        println!("{}", self.evcxr_payload());
    }

    /// The text [`Svg::evcxr_display`] prints: the SVG between evcxr's markers. An XML
    /// prolog or DOCTYPE before `<svg` (Graphviz writes both) is dropped, so the
    /// picture can also be embedded in HTML.
    pub fn evcxr_payload(&self) -> String {
        let svg = self
            .0
            .find("<svg")
            .map_or(self.0.as_str(), |at| &self.0[at..]);
        format!(
            "EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT",
            svg.trim_end()
        )
    }
}

/// The picture of a graph, as returned by [`Var::draw_graph`]: rendered SVG when
/// Graphviz `dot` is installed, otherwise the DOT text (shown in a `<pre>` block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphView {
    /// The graph rendered by `dot -Tsvg`.
    Svg(Svg),
    /// The DOT text, because the `dot` program is missing or failed.
    Dot(String),
}

impl GraphView {
    /// Show the graph in an evcxr notebook (prints [`GraphView::evcxr_payload`]).
    pub fn evcxr_display(&self) {
        println!("{}", self.evcxr_payload());
    }

    /// What [`GraphView::evcxr_display`] prints: the SVG as `image/svg+xml`, or the DOT
    /// text as `text/html` in a `<pre>` block with a note on how to get the picture.
    pub fn evcxr_payload(&self) -> String {
        match self {
            GraphView::Svg(svg) => svg.evcxr_payload(),
            GraphView::Dot(dot) => format!(
                "EVCXR_BEGIN_CONTENT text/html\n<p>Graphviz <code>dot</code> was not found; \
                 install graphviz to see the picture. DOT text:</p>\n<pre>{}</pre>\nEVCXR_END_CONTENT",
                escape_html(dot)
            ),
        }
    }
}

impl Var {
    /// HTML for a notebook: a line with the op that made this `Var` (`leaf` or
    /// `const` for leaves) and whether it wants a gradient, the value as
    /// [`Tensor::to_html`]'s table, and the gradient's table when one is stored.
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![3.0], &[1]));
    /// let y = (&x * &x).sum();
    /// y.backward();
    /// let html = x.to_html();
    /// assert!(html.contains("<b>Var</b> leaf, requires_grad"));
    /// assert!(html.contains("<td>6.0000</td>")); // the gradient 2x
    /// ```
    pub fn to_html(&self) -> String {
        let op = match (self.is_leaf(), self.wants_grad()) {
            (true, true) => "leaf",
            (true, false) => "const",
            (false, _) => self.op_name(),
        };
        let wants = if self.wants_grad() {
            ", requires_grad"
        } else {
            ""
        };
        let mut html = format!("<div>\n<p><b>Var</b> {op}{wants}</p>\n");
        html += &section("value", &self.value());
        if let Some(grad) = self.grad() {
            html += &section("grad", &grad);
        }
        html + "</div>"
    }

    /// Show this `Var` in an evcxr notebook: evcxr calls `evcxr_display` on a cell's
    /// last value and renders the HTML of [`Var::to_html`].
    pub fn evcxr_display(&self) {
        println!("{}", self.evcxr_payload());
    }

    /// What [`Var::evcxr_display`] prints: [`Var::to_html`] between evcxr's markers.
    pub fn evcxr_payload(&self) -> String {
        format!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.to_html()
        )
    }

    /// The graph that computed `self` as a picture for a notebook: Graphviz renders
    /// [`Var::to_dot`] to SVG when `dot` is installed; otherwise the view shows the
    /// DOT text. Draw before `backward()` (which releases the graph) or after
    /// [`Var::backward_retain`].
    ///
    /// # Examples
    /// ```
    /// # use ferrograd::autograd::Var; use ferrograd::autograd::display::GraphView; use ferrograd::tensor::Tensor;
    /// let x = Var::param(Tensor::from_vec(vec![2.0], &[]));
    /// let view = (&x * &x).draw_graph(); // the last expression of a notebook cell
    /// match view {
    ///     GraphView::Svg(svg) => assert!(svg.0.contains("<svg")),
    ///     GraphView::Dot(dot) => assert!(dot.contains("n0 -> n1")),
    /// }
    /// ```
    pub fn draw_graph(&self) -> GraphView {
        self.draw_graph_named(&[])
    }

    /// Like [`Var::draw_graph`], with names shown on the given `Var`s (see
    /// [`Var::to_dot_named`]).
    pub fn draw_graph_named(&self, names: &[(&Var, &str)]) -> GraphView {
        let dot = self.to_dot_named(names);
        match dot_to_svg(&dot) {
            Some(svg) => GraphView::Svg(Svg(svg)),
            None => GraphView::Dot(dot),
        }
    }
}

/// A titled table: `<p>title</p>` and the tensor's HTML.
impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Var(op={}, requires_grad={}, value={:?})",
            self.op_name(),
            self.wants_grad(),
            self.value()
        )
    }
}

impl std::fmt::Display for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.value())?;
        if self.wants_grad() {
            write!(f, " (op={}, requires_grad)", self.op_name())?;
        }
        Ok(())
    }
}

fn section(title: &str, t: &Tensor) -> String {
    format!("<p>{title}</p>\n{}\n", t.to_html())
}

/// Replace the characters that mean something in HTML.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_html_has_op_value_and_grad() {
        let a = Var::param(Tensor::from_vec(vec![1.0, 2.0], &[2]));
        let b = Var::new(Tensor::from_vec(vec![3.0, 4.0], &[2]));
        let y = a.mul(&b);
        let html = y.to_html();
        assert!(html.starts_with("<div>\n<p><b>Var</b> mul, requires_grad</p>\n<p>value</p>\n"));
        assert!(html.contains("<td>3.0000</td><td>8.0000</td>"), "{html}");
        assert!(
            !html.contains("<p>grad</p>"),
            "no gradient stored yet: {html}"
        );
        y.sum().backward();
        // ∂Σ(a⊙b)/∂a = b
        let html = a.to_html();
        assert!(html.contains("<p><b>Var</b> leaf, requires_grad</p>"));
        let grad = html.split("<p>grad</p>").nth(1).expect("a grad section");
        assert!(grad.contains("<td>3.0000</td><td>4.0000</td>"), "{html}");
        assert!(b.to_html().contains("<p><b>Var</b> const</p>"));
    }

    #[test]
    fn var_payload_has_evcxr_markers() {
        let x = Var::new(Tensor::scalar(1.5));
        let payload = x.evcxr_payload();
        assert!(payload.starts_with("EVCXR_BEGIN_CONTENT text/html\n<div>"));
        assert!(payload.ends_with("</div>\nEVCXR_END_CONTENT"));
        assert!(payload.contains("<pre>tensor(1.5000)</pre>")); // a 0-d value
    }

    #[test]
    fn svg_payload_drops_the_xml_prolog() {
        let svg = Svg("<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg></svg>\n".into());
        assert_eq!(
            svg.evcxr_payload(),
            "EVCXR_BEGIN_CONTENT image/svg+xml\n<svg></svg>\nEVCXR_END_CONTENT"
        );
    }

    #[test]
    fn dot_fallback_is_escaped_in_a_pre_block() {
        let view = GraphView::Dot("digraph { n0 -> n1; n0 [label=\"{ a | b }\"]; }".into());
        let payload = view.evcxr_payload();
        assert!(payload.starts_with("EVCXR_BEGIN_CONTENT text/html\n"));
        assert!(
            payload
                .contains("<pre>digraph { n0 -&gt; n1; n0 [label=&quot;{ a | b }&quot;]; }</pre>")
        );
        assert!(payload.ends_with("EVCXR_END_CONTENT"));
    }

    #[test]
    fn draw_graph_is_svg_when_dot_exists_else_the_dot_text() {
        let x = Var::param(Tensor::from_vec(vec![2.0], &[]));
        let y = &x * &x;
        let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
        match y.draw_graph_named(&[(&x, "x")]) {
            GraphView::Svg(svg) => {
                assert!(has_dot);
                assert!(svg.evcxr_payload().contains("image/svg+xml\n<svg"));
                assert!(svg.0.contains(">x<"), "the name is drawn: {}", svg.0);
            }
            GraphView::Dot(dot) => {
                assert!(!has_dot);
                assert_eq!(dot, y.to_dot_named(&[(&x, "x")]));
            }
        }
    }
}
