//! Plots for notebooks and examples: loss curves, attention heatmaps, word-vector
//! scatter plots, bar charts of distributions and activation histograms, drawn with
//! [plotters](https://docs.rs/plotters/0.3.7).
//!
//! Every function returns a [`Figure`], which holds a description of the plot (its
//! "spec": the data and the options) and the SVG text rendered from it:
//! ```text
//!  line_plot / xy_plot / loss_curve ─┐
//!  heatmap / scatter / bar_chart ────┤
//!  histogram ────────────────────────┴─▶ Figure { spec, svg }
//!                                          ├─ evcxr_display()  the SVG inline in a notebook
//!                                          ├─ save_svg(path)   the SVG text
//!                                          └─ save_png(path)   the spec drawn again, on a bitmap
//! ```
//! One generic function, `draw::<DB: DrawingBackend>(spec, area)`, draws a spec on
//! any plotters backend, so the SVG and the PNG of a figure come from the same code.
//!
//! Text: an SVG only names a font (`font-family="monospace"`) and the browser draws
//! it. A PNG has to rasterise the glyphs itself, and must not depend on the fonts of
//! the machine, so the DejaVu Sans Mono file in `data/fonts/` is compiled into the
//! library and registered once with plotters (under the family name `"monospace"`).
//!
//! In a notebook, end a cell with the figure:
//! ```text
//! :dep ferrograd = { path = ".." }
//! ferrograd::plot::loss_curve(&losses)
//! ```
//! Read next: `style.rs` (font, colours, tick labels), then `lines.rs`, the simplest
//! plot, and `log_axis.rs`, `heatmap.rs`, `scatter.rs`, `bars.rs`, `histogram.rs`.

mod bars;
mod bitmap_text;
mod heatmap;
mod histogram;
mod lines;
mod log_axis;
mod scatter;
mod schedule;
mod style;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use tensor::error::{Error, ErrorKind};

pub use bars::bar_chart;
use bitmap_text::BaselineBitmap;
pub use heatmap::heatmap;
pub use histogram::histogram;
pub use lines::{ema, line_plot, loss_curve, xy_plot};
pub use scatter::scatter;
pub use schedule::lr_schedule;
pub use style::FONT_FAMILY;

use style::{axis_ticks, color, draw_legend, finite_bounds, font, padded, register_font, tick};

/// A figure's default size in pixels (width, height).
const DEFAULT_SIZE: (u32, u32) = (640, 420);

/// What a drawing function returns; any backend's error, boxed.
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// A finished plot: its spec and the SVG text drawn from it. Show it in a notebook by
/// ending a cell with it (evcxr calls [`Figure::evcxr_display`]), or save it with
/// [`Figure::save_svg`] / [`Figure::save_png`].
///
/// # Examples
/// ```
/// use ferrograd::plot;
/// let fig = plot::line_plot("accuracy", "epoch", "acc", &[("val", [0.6, 0.8, 0.9])]);
/// assert!(fig.evcxr_payload().starts_with("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg"));
/// let dir = std::env::temp_dir().join(format!("ferrograd-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap(); // a directory of this process's own
/// fig.save_svg(dir.join("acc.svg")).unwrap();
/// fig.with_size(320, 240).save_png(dir.join("acc.png")).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Figure {
    spec: Spec,
    size: (u32, u32),
    svg: String,
}

/// The data and options of one plot, enough to draw it again on any backend.
#[derive(Clone, Debug)]
enum Spec {
    Lines(lines::Lines),
    Heatmap(heatmap::Heatmap),
    Scatter(scatter::Scatter),
    Bars(bars::Bars),
    Histogram(histogram::Histogram),
}

/// Draw `spec` on `area`: the one drawing routine behind both SVG and PNG output.
fn draw<DB: DrawingBackend>(spec: &Spec, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    register_font();
    area.fill(&WHITE)?;
    match spec {
        Spec::Lines(s) => lines::draw(s, area),
        Spec::Heatmap(s) => heatmap::draw(s, area),
        Spec::Scatter(s) => scatter::draw(s, area),
        Spec::Bars(s) => bars::draw(s, area),
        Spec::Histogram(s) => histogram::draw(s, area),
    }?;
    area.present()?;
    Ok(())
}

impl Figure {
    /// A figure of the default size, rendered to SVG at once.
    fn new(spec: Spec, size: (u32, u32)) -> Figure {
        let mut figure = Figure {
            spec,
            size,
            svg: String::new(),
        };
        figure.render_svg();
        figure
    }

    /// Draw the spec again into `self.svg` (after an option changed).
    fn render_svg(&mut self) {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, self.size).into_drawing_area();
            // Writing into a String cannot fail and the font is compiled in, so an error
            // here is a mistake in this module.
            draw(&self.spec, &area).unwrap_or_else(|e| {
                panic!("internal error: drawing an SVG failed: {e}; this is a bug")
            });
        }
        self.svg = svg;
    }

    /// The SVG text of the figure.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The same figure drawn at `width` × `height` pixels.
    ///
    /// # Panics
    /// If a side is below 100 or above 4000 pixels.
    #[track_caller]
    pub fn with_size(mut self, width: u32, height: u32) -> Figure {
        if !(100..=4000).contains(&width) || !(100..=4000).contains(&height) {
            fail(
                "with_size",
                format!("a figure of {width} × {height} pixels is not drawable"),
                "use sides between 100 and 4000 pixels",
            );
        }
        self.size = (width, height);
        self.render_svg();
        self
    }

    /// The same figure with another title, e.g. one that says what was trained on
    /// what: `plot::loss_curve(&losses).with_title("MLP on sklearn digits: training loss")`.
    pub fn with_title(mut self, title: impl Into<String>) -> Figure {
        let title = title.into();
        match &mut self.spec {
            Spec::Lines(s) => s.title = title,
            Spec::Heatmap(s) => s.title = title,
            Spec::Scatter(s) => s.title = title,
            Spec::Bars(s) => s.title = title,
            Spec::Histogram(s) => s.title = title,
        }
        self.render_svg();
        self
    }

    /// The same line or scatter plot with the axes described as `x` and `y` (e.g.
    /// `"principal component 1"`).
    ///
    /// # Panics
    /// If the figure is a heatmap, a bar chart or a histogram (their axes are described
    /// when made).
    #[track_caller]
    pub fn with_axis_labels(mut self, x: &str, y: &str) -> Figure {
        match &mut self.spec {
            Spec::Lines(s) => (s.x_label, s.y_label) = (x.into(), y.into()),
            Spec::Scatter(s) => (s.x_label, s.y_label) = (x.into(), y.into()),
            _ => fail(
                "with_axis_labels",
                "only line and scatter plots take axis labels afterwards",
                "give a heatmap's, bar chart's or histogram's labels when you make it",
            ),
        }
        self.render_svg();
        self
    }

    /// The same line plot with a logarithmic y axis (base 10); points with y ≤ 0 are
    /// left out, since the log axis cannot show them.
    ///
    /// # Panics
    /// If the figure is not a line plot ([`line_plot`], [`xy_plot`], [`loss_curve`]).
    #[track_caller]
    pub fn log_y(mut self) -> Figure {
        match &mut self.spec {
            Spec::Lines(s) => s.log_y = true,
            _ => fail(
                "log_y",
                "only line plots have a log-scale option",
                "call .log_y() on line_plot, xy_plot or loss_curve",
            ),
        }
        self.render_svg();
        self
    }

    /// The same scatter plot with its points coloured by group, and a legend:
    /// point `i` belongs to group `group_of[i]`, named `names[group_of[i]]`.
    ///
    /// # Panics
    /// If the figure is not a [`scatter`] plot, `group_of` does not have one entry per
    /// point, or a group index is not below `names.len()`.
    #[track_caller]
    pub fn groups(mut self, group_of: &[usize], names: &[&str]) -> Figure {
        match &mut self.spec {
            Spec::Scatter(s) => s.set_groups(group_of, names),
            _ => fail(
                "groups",
                "only scatter plots have groups",
                "call .groups(..) on a figure made by plot::scatter",
            ),
        }
        self.render_svg();
        self
    }

    /// Show the figure in an evcxr notebook (prints [`Figure::evcxr_payload`]).
    pub fn evcxr_display(&self) {
        println!("{}", self.evcxr_payload());
    }

    /// What [`Figure::evcxr_display`] prints: the SVG between evcxr's markers, as
    /// `image/svg+xml`.
    pub fn evcxr_payload(&self) -> String {
        format!(
            "EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT",
            self.svg.trim_end()
        )
    }

    /// Write the SVG text to `path`, atomically ([`tensor::io::write_atomic`]: under a
    /// temporary name, then renamed), so a failure never leaves half a file behind.
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error naming the file if it cannot be written.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        tensor::io::write_atomic("save_svg", path.as_ref(), self.svg.as_bytes())
    }

    /// Draw the figure again on a bitmap and write it to `path` as a PNG image (the
    /// format does not depend on the file's extension). Written under a temporary
    /// name, then renamed.
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error naming the file if it cannot be drawn or written.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let tmp = temporary_path(path);
        let drawn = {
            let area = BaselineBitmap::new(&tmp, self.size).into_drawing_area();
            draw(&self.spec, &area)
        };
        drawn
            .map_err(|e| e.to_string())
            .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()))
            .map_err(|problem| {
                let _ = std::fs::remove_file(&tmp);
                tensor::io::file_error("save_png", path, format!("cannot save the plot: {problem}"))
            })
    }
}

/// `dir/.name.tmp.png` beside `path`: the same file system, so `rename` is atomic. The
/// `.png` ending tells the bitmap encoder which format to write.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or("plot".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.{}.tmp.png", std::process::id()))
}

/// Panic with a [`tensor::Error`]-style message: `op: problem. Hint: hint`.
#[track_caller]
fn fail(op: &'static str, problem: impl Into<String>, hint: &str) -> ! {
    Error::new(op, ErrorKind::Value, problem)
        .with_hint(hint)
        .raise()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unique file in the temporary directory.
    pub(super) fn temp_file(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ferrograd-plot-{}-{name}", std::process::id()))
    }

    #[test]
    fn evcxr_payload_wraps_the_svg_in_markers() {
        let fig = line_plot("markers", "x", "y", &[("a", [1.0, 2.0])]);
        let payload = fig.evcxr_payload();
        assert!(payload.starts_with("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg"));
        assert!(payload.ends_with("</svg>\nEVCXR_END_CONTENT"));
    }

    #[test]
    fn save_svg_and_png_write_files() {
        let fig = line_plot("saved", "step", "loss", &[("a", [3.0, 2.0, 1.5])]);
        let svg = temp_file("saved.svg");
        fig.save_svg(&svg).unwrap();
        assert_eq!(std::fs::read_to_string(&svg).unwrap(), fig.svg());
        let png = temp_file("saved.png");
        fig.save_png(&png).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        assert!(bytes.len() > 1000, "{} bytes", bytes.len());
        // no temporary file is left behind
        let tmp = temporary_path(&png);
        assert!(!tmp.exists());
        std::fs::remove_file(svg).unwrap();
        std::fs::remove_file(png).unwrap();
    }

    #[test]
    fn save_errors_name_the_file() {
        let fig = histogram("h", &[1.0, 2.0], 2);
        let path = temp_file("no-such-dir").join("h.png");
        let err = fig.save_png(&path).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Io);
        let expected = format!("save_png: {}: cannot save the plot: ", path.display());
        assert!(err.to_string().starts_with(&expected), "{err}");
        let err = fig.save_svg(path.with_extension("svg")).unwrap_err();
        assert!(
            err.to_string().starts_with("save_svg: ") && err.to_string().contains("h.svg"),
            "{err}"
        );
    }

    #[test]
    fn with_size_changes_the_svg_size() {
        let fig = histogram("h", &[1.0], 1).with_size(300, 200);
        assert!(
            fig.svg().contains("width=\"300\" height=\"200\""),
            "{}",
            fig.svg()
        );
    }

    #[test]
    #[should_panic(expected = "with_size: a figure of 0 × 200 pixels is not drawable")]
    fn with_size_rejects_empty_figures() {
        let _ = histogram("h", &[1.0], 1).with_size(0, 200);
    }

    #[test]
    #[should_panic(expected = "log_y: only line plots have a log-scale option")]
    fn log_y_only_on_line_plots() {
        let _ = histogram("h", &[1.0], 1).log_y();
    }

    #[test]
    #[should_panic(expected = "groups: only scatter plots have groups")]
    fn groups_only_on_scatter_plots() {
        let _ = histogram("h", &[1.0], 1).groups(&[0], &["a"]);
    }

    /// Whether the SVG draws `text` as one label (plotters writes `>\ntext\n</text>`).
    pub(super) fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">\n{text}\n</text>"))
    }
}
