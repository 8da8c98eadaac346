//! A base-10 logarithmic axis for plotters, with ticks a reader expects.
//!
//! ```text
//! position(v) = (log₁₀ v − log₁₀ lo) / (log₁₀ hi − log₁₀ lo)      (0 at lo, 1 at hi)
//! ticks: 0.05  0.1  0.2  0.5  1  2        (1, 2, 5 × 10ᵏ; only 10ᵏ when crowded)
//! ```
//! Plotters' own log axis (`(lo..hi).log_scale()`) starts its ticks at the first
//! power of ten at or above `lo`, so a loss going from 2.3 down to 0.05 gets labels
//! at 1 and 2 only. This one labels the whole range.
//! Read next: `heatmap.rs`.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use super::tick;

/// A base-10 log axis over `lo..hi` (both > 0), ticked at 1, 2 and 5 × 10ᵏ.
/// Plotters' own log axis labels nothing below the first power of ten in its range,
/// which hides most of a loss curve that goes from 2.3 to 0.05.
#[derive(Clone)]
pub(super) struct LogAxis(pub(super) Range<f64>);

impl Ranged for LogAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    /// Linear in log10(v): `t = (log v − log lo) / (log hi − log lo)`.
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.0.start.log10(), self.0.end.log10());
        let t = (v.log10() - lo) / (hi - lo);
        let t = if t.is_finite() { t } else { 0.0 };
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    /// Powers of ten, then also 2× and 5× them if there is room; light grid lines on
    /// every integer multiple.
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let (lo, hi) = (self.0.start, self.0.end);
        let with = |multiples: &[f64]| -> Vec<f64> {
            let decades = lo.log10().floor() as i32..=hi.log10().ceil() as i32;
            decades
                .flat_map(|k| multiples.iter().map(move |m| m * 10f64.powi(k)))
                // a little slack: 10f64.powi(k) is not always exactly 10ᵏ
                .filter(|v| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9))
                .collect()
        };
        let max = hint.max_num_points();
        if hint.weight().allow_light_points() {
            let all = with(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
            return if all.len() <= max { all } else { Vec::new() };
        }
        for multiples in [&[1.0, 2.0, 5.0][..], &[1.0]] {
            let ticks = with(multiples);
            if ticks.len() <= max {
                return ticks;
            }
        }
        // very many decades: every n-th power of ten
        let ticks = with(&[1.0]);
        let step = ticks.len().div_ceil(max.max(1));
        ticks.into_iter().step_by(step).collect()
    }

    fn range(&self) -> Range<f64> {
        self.0.clone()
    }
}

impl ValueFormatter<f64> for LogAxis {
    fn format(value: &f64) -> String {
        tick(*value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::coord::ranged1d::{BoldPoints, LightPoints};

    #[test]
    fn maps_decades_evenly() {
        let axis = LogAxis(0.01..100.0);
        // 4 decades over 400 px: one decade per 100 px
        assert_eq!(axis.map(&0.01, (0, 400)), 0);
        assert_eq!(axis.map(&1.0, (0, 400)), 200);
        assert_eq!(axis.map(&10.0, (0, 400)), 300);
        assert_eq!(axis.map(&0.0, (0, 400)), 0); // not drawable: pinned to the edge
    }

    /// The ticks as their labels (10f64.powi(k) may be off in the last bit).
    fn labels(ticks: Vec<f64>) -> Vec<String> {
        ticks.into_iter().map(tick).collect()
    }

    #[test]
    fn ticks_cover_the_whole_range() {
        let axis = LogAxis(0.04..2.5);
        let all = ["0.05", "0.1", "0.2", "0.5", "1", "2"];
        assert_eq!(labels(axis.key_points(BoldPoints(10))), all);
        assert_eq!(labels(axis.key_points(BoldPoints(3))), ["0.1", "1"]);
        // 13 powers of ten, at most 4 labels: every 4th
        let wide = LogAxis(1e-6..1e6);
        let every_4th = ["1e-6", "0.01", "100", "1e6"];
        assert_eq!(labels(wide.key_points(BoldPoints(4))), every_4th);
        // light grid: 0.04..0.09, 0.1..0.9, 1, 2
        assert_eq!(axis.key_points(LightPoints::new(10, 100)).len(), 6 + 9 + 2);
        assert!(axis.key_points(LightPoints::new(10, 5)).is_empty());
    }
}
