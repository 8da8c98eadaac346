//! How plots look: the bundled font, the colour palette, number labels, and axis
//! ranges that leave a margin around the data.
//!
//! ```text
//! tick(0.30000000000000004) = "0.3"    tick(200.0) = "200"    tick(1.5e-5) = "1.5e-5"
//! padded(0, 10, 0.1) = -1..11          padded(2, 2, 0.1) = 1.5..2.5
//! ```
//! Read next: `lines.rs`, the first plot that uses them.

use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// The font family used for all text; the bundled font is registered under it.
pub const FONT_FAMILY: &str = "monospace";

/// DejaVu Sans Mono (see `data/fonts/README.md` for its source and licence).
pub(super) const FONT_BYTES: &[u8] = include_bytes!("../../data/fonts/DejaVuSansMono.ttf");

/// Register the bundled font with plotters, once per process.
pub(super) fn register_font() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).unwrap_or_else(
            |_| panic!("internal error: the bundled font is not a valid TTF; this is a bug"),
        );
    });
}

/// The text style of all labels: the bundled font at `size` pixels, black.
pub(super) fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&BLACK)
}

/// Matplotlib's ten default colours ("tab10"), so plots look familiar.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The `i`-th colour of the palette (it repeats after ten).
pub(super) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Draw the legend of `chart`'s labelled series at `position`: the house font on a
/// translucent white box with a grey border.
pub(super) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> super::DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .label_font(font(13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(position)
        .draw()?;
    Ok(())
}

/// The smallest and largest finite value, or `None` if there is none.
pub(super) fn finite_bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// `lo..hi` widened by `frac` of its length on each side (by 0.5 if it is a point),
/// so that points on the edge are not drawn on the axis.
pub(super) fn padded(lo: f64, hi: f64, frac: f64) -> Range<f64> {
    if hi > lo {
        let pad = (hi - lo) * frac;
        lo - pad..hi + pad
    } else {
        lo - 0.5..hi + 0.5
    }
}

/// A tick or colour-bar label: 5 significant digits at most, trailing zeros cut
/// (`0.3`, `12`, `2.1022`), and e-notation outside `[1e-4, 1e6)` (`1.5e-5`).
pub(super) fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() {
        return if a == 0.0 { "0".into() } else { v.to_string() };
    }
    let cut = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if (1e-4..1e6).contains(&a) {
        let decimals = (4 - a.log10().floor() as i32).clamp(0, 9) as usize;
        cut(&format!("{v:.decimals$}"))
    } else {
        let s = format!("{v:.3e}");
        let (mantissa, exp) = s.split_once('e').expect("{:e} always has an exponent");
        format!("{}e{exp}", cut(mantissa))
    }
}

/// The tick formatter for an axis spanning `span`: a tick that is zero up to rounding
/// (|v| < 1e-9·span, such as the -1.1e-16 that steps of 0.1 land on) prints as `0`.
pub(super) fn axis_ticks(span: f64) -> impl Fn(&f64) -> String {
    move |v| {
        if v.abs() < span.abs() * 1e-9 {
            "0".into()
        } else {
            tick(*v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.30000000000000004), "0.3");
        assert_eq!(tick(200.0), "200");
        assert_eq!(tick(-2.10224), "-2.1022");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(tick(1.5e-5), "1.5e-5");
        assert_eq!(tick(2.5e7), "2.5e7");
    }

    #[test]
    fn a_rounding_error_at_zero_prints_as_zero() {
        let ticks = axis_ticks(2.0);
        assert_eq!(ticks(&-1.1102230246251565e-16), "0");
        assert_eq!(ticks(&0.2), "0.2");
        // on a tiny axis, tiny ticks are real values
        assert_eq!(axis_ticks(1e-12)(&2e-13), "2e-13");
    }

    #[test]
    fn helpers() {
        assert_eq!(
            finite_bounds([3.0, f64::NAN, -1.0, f64::INFINITY]),
            Some((-1.0, 3.0))
        );
        assert_eq!(finite_bounds([f64::NAN]), None);
        assert_eq!(padded(0.0, 10.0, 0.1), -1.0..11.0);
        assert_eq!(padded(2.0, 2.0, 0.1), 1.5..2.5);
        assert_eq!(color(11), color(1));
    }
}
