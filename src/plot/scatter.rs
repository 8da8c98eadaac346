//! Scatter plots of 2-d points, optionally with a text label beside each point and
//! coloured groups: word vectors projected to two dimensions (PCA), embeddings of
//! digits coloured by class.
//!
//! ```text
//!   y │   • king   • queen
//!     │                        • paris
//!     │  • man  • woman          • rome
//!     └──────────────────────────────── x
//! ```
//! Read next: `bars.rs`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    DrawResult, Figure, Spec, axis_ticks, color, draw_legend, fail, finite_bounds, font, padded,
};

/// A scatter plot's spec.
#[derive(Clone, Debug)]
pub(super) struct Scatter {
    title: String,
    points: Vec<(f64, f64)>,
    labels: Option<Vec<String>>,
    /// The group of each point, and the groups' names (set by `Figure::groups`).
    groups: Option<(Vec<usize>, Vec<String>)>,
}

/// Radius of a point, in pixels.
const RADIUS: i32 = 4;

/// Scatter plot of `points`, with `labels[i]` written beside point `i` when labels
/// are given. Colour the points by group with [`Figure::groups`]. Points with a
/// non-finite coordinate are left out.
///
/// # Panics
/// If `labels` does not have one label per point.
///
/// # Examples
/// ```
/// let words: Vec<String> = ["king", "queen", "man", "woman"].map(String::from).to_vec();
/// let xy = [(1.0, 2.0), (1.5, 2.1), (0.9, 0.5), (1.4, 0.6)];
/// let fig = ferrograd::plot::scatter("word vectors (PCA)", &xy, Some(&words))
///     .groups(&[0, 0, 1, 1], &["royal", "common"]);
/// fig.save_png(std::env::temp_dir().join("ferrograd-doc-scatter.png")).unwrap();
/// assert!(fig.svg().contains("queen"));
/// ```
#[track_caller]
pub fn scatter(title: &str, points: &[(f64, f64)], labels: Option<&[String]>) -> Figure {
    if let Some(labels) = labels
        && labels.len() != points.len()
    {
        fail(
            "scatter",
            format!("got {} labels for {} points", labels.len(), points.len()),
            "pass one label per point, or None",
        );
    }
    let spec = Scatter {
        title: title.into(),
        points: points.to_vec(),
        labels: labels.map(<[String]>::to_vec),
        groups: None,
    };
    Figure::new(Spec::Scatter(spec), (640, 480))
}

impl Scatter {
    /// Check and store the groups (see [`Figure::groups`]).
    #[track_caller]
    pub(super) fn set_groups(&mut self, group_of: &[usize], names: &[&str]) {
        if group_of.len() != self.points.len() {
            fail(
                "groups",
                format!(
                    "got {} group indices for {} points",
                    group_of.len(),
                    self.points.len()
                ),
                "pass the group of every point, in the order of the points",
            );
        }
        if let Some(&bad) = group_of.iter().find(|&&g| g >= names.len()) {
            fail(
                "groups",
                format!("group {bad} has no name: {} names given", names.len()),
                "pass one name per group; groups are numbered from 0",
            );
        }
        let names = names.iter().map(|n| n.to_string()).collect();
        self.groups = Some((group_of.to_vec(), names));
    }

    /// The indices of the drawable (finite) points, of group `g` if one is given.
    fn members(&self, g: Option<usize>) -> Vec<usize> {
        let in_group = |i: &usize| match (&self.groups, g) {
            (Some((of, _)), Some(g)) => of[*i] == g,
            _ => true,
        };
        let finite = |i: &usize| self.points[*i].0.is_finite() && self.points[*i].1.is_finite();
        (0..self.points.len())
            .filter(in_group)
            .filter(finite)
            .collect()
    }
}

/// Draw the axes, the points of each group, the labels and the legend.
pub(super) fn draw<DB: DrawingBackend>(s: &Scatter, area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (x_lo, x_hi) = finite_bounds(s.points.iter().map(|p| p.0)).unwrap_or((0.0, 1.0));
    let (y_lo, y_hi) = finite_bounds(s.points.iter().map(|p| p.1)).unwrap_or((0.0, 1.0));
    let mut x_range = padded(x_lo, x_hi, 0.08);
    if s.labels.is_some() {
        // room for the labels of the rightmost points
        x_range.end += (x_range.end - x_range.start) * 0.12;
    }
    let y_range = padded(y_lo, y_hi, 0.08);
    let (x_ticks, y_ticks) = (
        axis_ticks(x_range.end - x_range.start),
        axis_ticks(y_range.end - y_range.start),
    );
    let mut chart = ChartBuilder::on(area)
        .caption(&s.title, font(20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x_range, y_range)?;
    chart
        .configure_mesh()
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .label_style(font(13))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;

    let names = s.groups.as_ref().map(|(_, names)| names.clone());
    for g in 0..names.as_ref().map_or(1, Vec::len) {
        let c = color(g);
        let dots = s
            .members(Some(g))
            .into_iter()
            .map(|i| Circle::new(s.points[i], RADIUS, c.filled()));
        let drawn = chart.draw_series(dots)?;
        if let Some(names) = &names {
            drawn
                .label(names[g].as_str())
                .legend(move |p| Circle::new(p, RADIUS, c.filled()));
        }
    }
    if let Some(labels) = &s.labels {
        chart.draw_series(s.members(None).into_iter().map(|i| {
            EmptyElement::at(s.points[i])
                + Text::new(labels[i].clone(), (RADIUS + 2, -RADIUS - 14), font(13))
        }))?;
    }
    if names.is_some() {
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::tests::{has_text, temp_file};

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn points_and_labels() {
        let labels = words(&["a", "b", "c"]);
        let pts = [(0.0, 0.0), (1.0, 2.0), (f64::NAN, 1.0)];
        let fig = scatter("Embeddings", &pts, Some(&labels));
        let svg = fig.svg();
        assert!(has_text(svg, "Embeddings"));
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "the NaN point is left out"
        );
        assert!(has_text(svg, "a") && has_text(svg, "b"));
        assert!(!has_text(svg, "c"));
    }

    #[test]
    fn groups_have_colours_and_a_legend() {
        let pts = [(0.0, 0.0), (1.0, 1.0), (2.0, 0.5), (3.0, 3.0)];
        let fig = scatter("g", &pts, None).groups(&[0, 1, 1, 2], &["x", "y", "z"]);
        let svg = fig.svg();
        assert_eq!(svg.matches("<circle").count(), 4 + 3); // points + legend markers
        // group 1's points in the second palette colour, plus its legend marker
        assert_eq!(svg.matches("fill=\"#FF7F0E\"").count(), 2 + 1, "{svg}");
        assert!(has_text(svg, "z"));
        let png = temp_file("scatter.png");
        fig.save_png(&png).unwrap();
        assert!(
            std::fs::read(&png)
                .unwrap()
                .starts_with(b"\x89PNG\r\n\x1a\n")
        );
        std::fs::remove_file(png).unwrap();
    }

    #[test]
    #[should_panic(expected = "scatter: got 1 labels for 2 points. Hint: pass one label per point")]
    fn label_count_must_match() {
        let _ = scatter("s", &[(0.0, 0.0), (1.0, 1.0)], Some(&words(&["a"])));
    }

    #[test]
    #[should_panic(expected = "groups: got 1 group indices for 2 points")]
    fn group_count_must_match() {
        let _ = scatter("s", &[(0.0, 0.0), (1.0, 1.0)], None).groups(&[0], &["a"]);
    }

    #[test]
    #[should_panic(expected = "groups: group 2 has no name: 2 names given")]
    fn groups_need_names() {
        let _ = scatter("s", &[(0.0, 0.0), (1.0, 1.0)], None).groups(&[0, 2], &["a", "b"]);
    }
}
