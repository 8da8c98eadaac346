//! A bitmap backend whose text sits on one baseline.
//!
//! plotters 0.3.7 rasterises bitmap text glyph by glyph but places each glyph's
//! *bounding box* at the pen position: it ignores the box's left side bearing and
//! hangs every glyph from half the font size instead of standing it on the baseline.
//! In a monospaced font a `.` is a small box in the middle of a wide cell, so `1.5`
//! came out as `1· 5` (the dot raised and pushed left, a gap after it). SVG output is
//! not affected: there the viewer draws the text.
//!
//! [`BaselineBitmap`] wraps plotters' [`BitMapBackend`], passes every drawing call
//! through, and draws text itself with the correct metrics:
//!
//! ```text
//! pen x  += advance(c) + kern(prev, c)           (the layout plotters measures)
//! glyph   = outline of c placed at (pen x, baseline)
//! pixel   = glyph.px_bounds().min + (x, y)        for each covered (x, y)
//! baseline = box height / 2 + cap height / 2      (digits centred on a tick)
//! ```
//! then the anchor offset and rotation of the text style, as plotters' default does.
//! Read next: `style.rs` (the font it uses).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    text_anchor::{HPos, VPos},
};

use super::style::FONT_BYTES;

/// plotters' [`BitMapBackend`] with text drawn on a common baseline.
pub(super) struct BaselineBitmap<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> BaselineBitmap<'a> {
    /// A bitmap of `size` pixels that is written to `path` when presented.
    pub(super) fn new(path: &'a std::path::Path, size: (u32, u32)) -> Self {
        let font = FontRef::try_from_slice(FONT_BYTES).unwrap_or_else(|_| {
            panic!("internal error: the bundled font is not a valid TTF; this is a bug")
        });
        BaselineBitmap {
            inner: BitMapBackend::new(path, size),
            font,
        }
    }
}

type DrawResult<E> = Result<(), DrawingErrorKind<E>>;

impl DrawingBackend for BaselineBitmap<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> DrawResult<Self::ErrorType> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> DrawResult<Self::ErrorType> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> DrawResult<Self::ErrorType> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> DrawResult<Self::ErrorType> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> DrawResult<Self::ErrorType> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> DrawResult<Self::ErrorType> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> DrawResult<Self::ErrorType> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> DrawResult<Self::ErrorType> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (iw, ih): (u32, u32),
        src: &[u8],
    ) -> DrawResult<Self::ErrorType> {
        self.inner.blit_bitmap(pos, (iw, ih), src)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> DrawResult<Self::ErrorType> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // The box plotters lays the text out in (it places axes and legends by it).
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let font = self.font.as_scaled(PxScale::from(style.size() as f32));
        let cap_height = font
            .outline_glyph(font.scaled_glyph('H'))
            .map_or(font.ascent(), |g| g.px_bounds().height());
        let baseline = height as f32 / 2.0 + cap_height / 2.0;
        let transform = style.transform();
        let (w, h) = self.get_size();
        let mut pen_x = 0.0f32;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                pen_x += font.kern(p, id);
            }
            previous = Some(id);
            let glyph = id.with_scale_and_position(font.scale(), point(pen_x, baseline));
            pen_x += font.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // a space
            };
            let bounds = outline.px_bounds();
            let mut covered = Vec::new();
            outline.draw(|x, y, coverage| covered.push((x, y, coverage)));
            for (x, y, coverage) in covered {
                let local_x = bounds.min.x as i32 + x as i32 + dx;
                let local_y = bounds.min.y as i32 + y as i32 + dy;
                let (tx, ty) = transform.transform(local_x, local_y);
                let (px, py) = (pos.0 + tx, pos.1 + ty);
                if px >= 0 && px < w as i32 && py >= 0 && py < h as i32 {
                    let shade = BackendColor {
                        alpha: color.alpha * f64::from(coverage),
                        rgb: color.rgb,
                    };
                    self.inner.draw_pixel((px, py), shade)?;
                }
            }
        }
        Ok(())
    }
}
