//! The fast convolution ([`super::lowered`]) against its definition
//! ([`super::reference`]) on f32 and strided inputs, "same" padding, the pooling
//! kernels, and the messages of the shape checks. The table of shapes and options
//! that checks the fast forward and backward against the seven loops is in autograd's
//! `ops/conv2d/tests.rs`, where both directions exist.

use super::*;
use crate::DType;
use crate::tensor::Tensor;

fn randn64(shape: &[usize]) -> Tensor {
    Tensor::randn(shape).to_dtype(DType::F64)
}

fn assert_close(what: &str, a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    let (a, b) = (a.to_vec::<f64>(), b.to_vec::<f64>());
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(worst <= tol, "{what}: largest difference {worst:e}");
}

#[test]
fn f32_and_strided_inputs_agree_with_the_definition() {
    crate::manual_seed(8);
    // a permuted (non-contiguous) input and weight
    let x = Tensor::randn(&[2, 6, 5, 3])
        .permute(&[0, 3, 1, 2])
        .narrow(1, 0, 2); // [2, 2, 6, 5]
    let w = Tensor::randn(&[3, 3, 2, 4]).permute(&[3, 2, 0, 1]); // [4, 2, 3, 3]
    let opts = ConvOptions::default().padding(1);
    let y = x.conv2d(&w, None, &opts);
    assert_close("f32", &y, &reference::conv2d(&x, &w, None, &opts), 1e-4);
}

#[test]
fn same_padding_keeps_the_size_and_pads_the_extra_zero_after() {
    // width 4, kernel 2: one zero in all, after the row (PyTorch's rule)
    let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[1, 1, 1, 4]);
    let w = Tensor::from_vec(vec![1., 10.], &[1, 1, 1, 2]);
    let y = x.conv2d(&w, None, &ConvOptions::default().padding(Padding::Same));
    assert_eq!(y.to_vec::<f32>(), vec![21., 32., 43., 4.]);
}

#[test]
fn misuse_names_the_op_and_the_shapes() {
    let conv = |x: &[usize], w: &[usize], opts: ConvOptions| {
        Tensor::zeros(x)
            .try_conv2d(&Tensor::zeros(w), None, &opts)
            .unwrap_err()
            .to_string()
    };
    let o = ConvOptions::default;
    let e = conv(&[3, 8, 8], &[4, 3, 3, 3], o());
    assert!(
        e.starts_with(
            "conv2d: input [3, 8, 8], weight [4, 3, 3, 3]: expected an input [B, C_in, H, W]"
        ),
        "{e}"
    );
    let e = conv(&[1, 3, 4, 4], &[4, 3, 5, 5], o().padding(0));
    assert!(
        e.contains("the kernel 5×5 (dilated: 5×5) is larger than the padded input 4×4"),
        "{e}"
    );
    let e = conv(&[1, 3, 4, 4], &[4, 3, 3, 3], o().dilation(2));
    assert!(
        e.contains("(dilated: 5×5) is larger than the padded input 4×4"),
        "{e}"
    );
    let e = conv(&[1, 6, 4, 4], &[4, 2, 3, 3], o().groups(4));
    assert!(
        e.contains("6 input and 4 output channels are not both divisible by groups = 4"),
        "{e}"
    );
    let e = conv(&[1, 5, 4, 4], &[4, 3, 3, 3], o());
    assert!(
        e.contains("the weight expects 3 input channels (3 per group × 1 groups), the input has 5"),
        "{e}"
    );
    let e = conv(
        &[1, 3, 4, 4],
        &[4, 3, 3, 3],
        o().stride(2).padding(Padding::Same),
    );
    assert!(
        e.contains("padding \"same\" needs stride 1, got stride [2, 2]"),
        "{e}"
    );
    // 1-d: one value per option, lengths in the message
    let e = ConvGeometry::new("conv1d", &[2, 3, 4], &[4, 3, 5], &o())
        .unwrap_err()
        .to_string();
    assert!(e.contains("input [2, 3, 4], weight [4, 3, 5]: the kernel 5 (dilated: 5) is larger than the padded input 4"), "{e}");
    let e = ConvGeometry::new("conv1d", &[2, 3, 9], &[4, 3, 3], &o().stride([2, 1]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv1d: a 1-d convolution takes one stride, got [2, 1]"),
        "{e}"
    );
    let e = PoolOptions::new(3)
        .geometry("max_pool1d", &[2, 3, 2])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("input [2, 3, 2]: the window 3 (dilation 1) is larger than the padded input 2"),
        "{e}"
    );
    let e = Tensor::zeros(&[1, 3, 4, 4])
        .try_conv2d(
            &Tensor::zeros(&[4, 3, 3, 3]),
            Some(&Tensor::zeros(&[3])),
            &o(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bias [3] does not fit weight [4, 3, 3, 3]: expected [4]"),
        "{e}"
    );
}

#[test]
fn average_pooling_is_a_depthwise_convolution_with_constant_weights() {
    crate::manual_seed(9);
    for opts in [
        PoolOptions::new(2),
        PoolOptions::new([3, 2]).stride([2, 1]).padding([1, 0]),
    ] {
        let x = randn64(&[2, 3, 7, 6]);
        let (w, conv) = pooling::averaging_conv(&opts, 3, DType::F64);
        assert_close(
            "avg_pool2d",
            &x.avg_pool2d(&opts),
            &reference::conv2d(&x, &w, None, &conv),
            1e-12,
        );
    }
}

#[test]
fn average_pooling_without_the_padding_divides_by_the_taps_inside() {
    // [[1, 2], [3, 4]], 2×2 windows at stride 2 with padding 1: each window holds one pixel
    let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[1, 1, 2, 2]);
    let opts = PoolOptions::new(2).padding(1);
    assert_eq!(
        x.avg_pool2d(&opts).to_vec::<f32>(),
        vec![0.25, 0.5, 0.75, 1.0]
    );
    let y = x.avg_pool2d(&opts.count_include_pad(false));
    assert_eq!(y.to_vec::<f32>(), vec![1., 2., 3., 4.]);
}

#[test]
fn max_pooling_finds_each_windows_max_and_where_it_is() {
    crate::manual_seed(10);
    let x = randn64(&[2, 2, 7, 8]);
    let xs = x.to_vec::<f64>();
    for opts in [
        PoolOptions::new(2),
        PoolOptions::new(3).stride(2).padding(1),
        PoolOptions::new([2, 3])
            .stride(1)
            .dilation([2, 1])
            .padding([1, 1]),
    ] {
        let (planes, h, w) = opts.geometry("test", x.shape()).unwrap();
        let (y, at) = x.max_pool2d(&opts);
        let (ys, ats) = (y.to_vec::<f64>(), at.to_vec::<f64>());
        for p in 0..planes {
            for (k, (i, j)) in (0..h.output)
                .flat_map(|i| (0..w.output).map(move |j| (i, j)))
                .enumerate()
            {
                // brute force: every tap of the window, the padding left out
                let taps = (0..h.kernel).flat_map(|a| (0..w.kernel).map(move |b| (a, b)));
                let inside = taps.filter_map(|(a, b)| Some((h.source(i, a)?, w.source(j, b)?)));
                let best = inside
                    .map(|(ih, iw)| (xs[p * 56 + ih * 8 + iw], ih * 8 + iw))
                    .fold((f64::NEG_INFINITY, 0), |m, v| if v.0 > m.0 { v } else { m });
                let out = p * h.output * w.output + k;
                assert_eq!(
                    (ys[out], ats[out] as usize),
                    best,
                    "{opts:?} plane {p} ({i}, {j})"
                );
            }
        }
    }
}

#[test]
fn pooling_misuse_names_the_op_and_the_shapes() {
    let e = std::panic::catch_unwind(|| Tensor::zeros(&[3, 4, 4]).max_pool2d(&PoolOptions::new(2)))
        .unwrap_err();
    let e = e.downcast_ref::<String>().unwrap();
    assert!(
        e.starts_with("max_pool2d: expected an input [B, C, H, W], got shape [3, 4, 4]"),
        "{e}"
    );
    let e = PoolOptions::new(2)
        .geometry("max_pool1d", &[3, 4])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("expected an input [B, C, H, W] (1-d: [B, C, L]), got shape [3, 4]"),
        "{e}"
    );
    let opts = PoolOptions::new(2).padding(2);
    let e = opts
        .geometry("max_pool2d", &[1, 1, 4, 4])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("padding 2×2 is more than half the kernel_size 2×2"),
        "{e}"
    );
    let e = PoolOptions::new(5)
        .geometry("avg_pool2d", &[1, 1, 4, 6])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "input [1, 1, 4, 6]: the window 5×5 (dilation 1×1) is larger than the padded input 4×6"
        ),
        "{e}"
    );
}
