//! im2col: copy every window of an image into one column of a matrix, so that the
//! convolution becomes a matrix product; col2im: add such a matrix back into an image
//! (its adjoint, for the input's gradient). PyTorch calls them `F.unfold` / `F.fold`.
//!
//! ```text
//! x: [C, H, W] (one image)   →   cols: [C·kH·kW, H_out·W_out]
//!   row (c, p, q)     one kernel tap: channel c, kernel row p, kernel column q
//!   column (i, j)     one output position
//!   cols[(c, p, q), (i, j)] = x[c, i·s_h + p·d_h − pad_h, j·s_w + q·d_w − pad_w]   (0 in the padding)
//!
//! then  y[o, (i, j)] = Σ_(c,p,q) w[o, (c, p, q)] · cols[(c, p, q), (i, j)]     y = W · cols
//! and   col2im(W^T · g_y) = ∂L/∂x                 (each cols entry adds back to its pixel)
//! ```
//! Each pixel is copied up to kH·kW times, so `cols` is about kH·kW times the image
//! (3×3: 9×); the convolution does one image at a time so that it stays in cache.
//!
//! A row of `cols` is one tap `(c, p, q)` over every output position. Walking it
//! output row by output row, the sources of one output row are one input row read
//! with step `s_w`: with `s_w = 1` a plain copy. The positions that fall in the padding
//! are known per tap ([`WindowAxis::inside`]) and filled with zeros without a test
//! per element.
//! Read next: [`super::lowered`].

use crate::dtype::Float;

use super::WindowAxis;

/// Fill `cols` (`[channels·kH·kW, H_out·W_out]`, row-major) with the windows of the
/// image `x` (`[channels, H, W]`, row-major).
pub fn im2col<T: Float>(
    x: &[T],
    channels: usize,
    height: &WindowAxis,
    width: &WindowAxis,
    cols: &mut [T],
) {
    let plane = height.input * width.input;
    let positions = height.output * width.output;
    debug_assert!(
        x.len() >= channels * plane
            && cols.len() == channels * height.kernel * width.kernel * positions
    );
    let mut rows = cols.chunks_exact_mut(positions);
    for c in 0..channels {
        let image = &x[c * plane..(c + 1) * plane];
        for p in 0..height.kernel {
            for q in 0..width.kernel {
                let row = rows
                    .next()
                    .expect("internal error: im2col row count; this is a bug");
                let inside = width.inside(q);
                for (i, out) in row.chunks_exact_mut(width.output).enumerate() {
                    let Some(ih) = height.source(i, p) else {
                        out.fill(T::zero());
                        continue;
                    };
                    out[..inside.start].fill(T::zero());
                    out[inside.end..].fill(T::zero());
                    let line = &image[ih * width.input..(ih + 1) * width.input];
                    let first = inside.start * width.stride + q * width.dilation - width.pad_before;
                    let out = &mut out[inside.clone()];
                    if width.stride == 1 {
                        out.copy_from_slice(&line[first..first + out.len()]);
                    } else {
                        for (o, &v) in out
                            .iter_mut()
                            .zip(line[first..].iter().step_by(width.stride))
                        {
                            *o = v;
                        }
                    }
                }
            }
        }
    }
}

/// Add the columns `cols` (`[channels·kH·kW, H_out·W_out]`) back into the image
/// `x` (`[channels, H, W]`): each entry onto the pixel [`im2col`] copied it from;
/// entries from the padding are dropped. `x` is added to, not overwritten.
pub fn col2im<T: Float>(
    cols: &[T],
    channels: usize,
    height: &WindowAxis,
    width: &WindowAxis,
    x: &mut [T],
) {
    let plane = height.input * width.input;
    let positions = height.output * width.output;
    debug_assert!(
        x.len() >= channels * plane
            && cols.len() == channels * height.kernel * width.kernel * positions
    );
    let mut rows = cols.chunks_exact(positions);
    for c in 0..channels {
        let image = &mut x[c * plane..(c + 1) * plane];
        for p in 0..height.kernel {
            for q in 0..width.kernel {
                let row = rows
                    .next()
                    .expect("internal error: col2im row count; this is a bug");
                let inside = width.inside(q);
                for (i, out) in row.chunks_exact(width.output).enumerate() {
                    let Some(ih) = height.source(i, p) else {
                        continue;
                    };
                    let line = &mut image[ih * width.input..(ih + 1) * width.input];
                    let first = inside.start * width.stride + q * width.dilation - width.pad_before;
                    let out = &out[inside.clone()];
                    if width.stride == 1 {
                        for (d, &v) in line[first..first + out.len()].iter_mut().zip(out) {
                            *d = *d + v;
                        }
                    } else {
                        for (d, &v) in line[first..].iter_mut().step_by(width.stride).zip(out) {
                            *d = *d + v;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_hold_the_windows_with_zeros_in_the_padding() {
        // x = [[1, 2, 3], [4, 5, 6]], 2×2 kernel, padding 1 on the width only, stride [1, 2]
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let height = WindowAxis::new(2, 2, 1, 1, [0, 0]).unwrap();
        let width = WindowAxis::new(3, 2, 2, 1, [1, 1]).unwrap();
        assert_eq!((height.output, width.output), (1, 2)); // ⌊(3 + 2 − 2)/2⌋ + 1
        let mut cols = [f64::NAN; 4 * 2];
        im2col(&x, 1, &height, &width, &mut cols);
        // windows: columns [−1, 0] and [1, 2] of the padded rows ·123· and ·456·
        assert_eq!(cols, [0., 2., 1., 3., 0., 5., 4., 6.]);
        // col2im adds every entry back onto its pixel: pixel (0, 1) appears once
        let mut back = [0.0; 6];
        col2im(&cols, 1, &height, &width, &mut back);
        assert_eq!(back, x);
    }

    #[test]
    fn inside_is_where_source_is_some() {
        for (n, k, s, d, pad) in [
            (7, 3, 2, 1, [1, 1]),
            (5, 2, 3, 2, [2, 0]),
            (4, 4, 1, 1, [0, 3]),
        ] {
            let axis = WindowAxis::new(n, k, s, d, pad).unwrap();
            for tap in 0..k {
                let expected: Vec<usize> = (0..axis.output)
                    .filter(|&o| axis.source(o, tap).is_some())
                    .collect();
                assert_eq!(
                    axis.inside(tap).collect::<Vec<_>>(),
                    expected,
                    "{axis:?} tap {tap}"
                );
            }
        }
    }
}
