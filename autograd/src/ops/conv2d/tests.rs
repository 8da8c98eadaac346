//! `conv2d` and `conv1d`: the fast forward and backward against the seven loops over a
//! table of shapes and options, gradchecks with stride, padding, dilation and groups,
//! and the misuse messages.

use super::*;
use crate::gradcheck::gradcheck;
use tensor::DType;
use tensor::conv::Padding;

/// (name, input shape, weight shape, options)
fn configs() -> Vec<(&'static str, [usize; 4], [usize; 4], ConvOptions)> {
    let o = ConvOptions::default;
    vec![
        ("3×3", [2, 3, 6, 5], [4, 3, 3, 3], o()),
        ("3×3 padding 1", [2, 3, 6, 5], [4, 3, 3, 3], o().padding(1)),
        (
            "5×3 stride [2, 1] padding [2, 0]",
            [3, 2, 9, 7],
            [5, 2, 5, 3],
            o().stride([2, 1]).padding([2, 0]),
        ),
        (
            "3×3 stride 3 (windows skip pixels)",
            [1, 2, 10, 8],
            [3, 2, 3, 3],
            o().stride(3),
        ),
        (
            "3×3 dilation 2 padding 2",
            [2, 2, 7, 7],
            [3, 2, 3, 3],
            o().dilation(2).padding(2),
        ),
        (
            "2×4 same (padding 0/1, 1/2)",
            [2, 3, 5, 6],
            [2, 3, 2, 4],
            o().padding(Padding::Same),
        ),
        (
            "3×2 same, dilation [1, 3]",
            [1, 2, 6, 9],
            [3, 2, 3, 2],
            o().padding(Padding::Same).dilation([1, 3]),
        ),
        (
            "groups 2",
            [2, 4, 5, 5],
            [6, 2, 3, 3],
            o().groups(2).padding(1),
        ),
        (
            "depthwise (groups = C)",
            [2, 3, 6, 6],
            [3, 1, 3, 3],
            o().groups(3).stride(2),
        ),
        ("1×1 (no im2col)", [3, 5, 4, 3], [2, 5, 1, 1], o()),
        ("1×1 stride 2", [2, 3, 5, 5], [4, 3, 1, 1], o().stride(2)),
        (
            "kernel = padded input",
            [2, 1, 3, 4],
            [2, 1, 5, 6],
            o().padding(1),
        ),
        (
            "1-d as H = 1",
            [2, 3, 1, 11],
            [4, 3, 1, 3],
            o().stride([1, 2]).padding([0, 1]),
        ),
        (
            "many images (rayon tasks)",
            [9, 2, 12, 12],
            [3, 2, 3, 3],
            o().padding(1),
        ),
    ]
}

fn randn64(shape: &[usize]) -> Tensor {
    Tensor::randn(shape).to_dtype(DType::F64)
}

fn assert_close(what: &str, a: &Tensor, b: &Tensor) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    let worst = (a - b).abs().max().item();
    assert!(worst <= 1e-12, "{what}: largest difference {worst:e}");
}

#[test]
fn fast_equals_the_seven_loops_forward_and_backward() {
    tensor::manual_seed(7);
    for (name, x_shape, w_shape, opts) in configs() {
        let (x, w, bias) = (randn64(&x_shape), randn64(&w_shape), randn64(&[w_shape[0]]));
        let y = x.conv2d(&w, Some(&bias), &opts);
        assert_close(name, &y, &reference::conv2d(&x, &w, Some(&bias), &opts));
        let g = randn64(y.shape());
        let (gx, gw) = kernel::backward(&g, &x, &w, &opts, true);
        let (rx, rw) = conv2d_backward_reference(&x, &w, &g, &opts);
        assert_close(&format!("{name} ∂x"), &gx.unwrap(), &rx);
        assert_close(&format!("{name} ∂w"), &gw, &rw);
        // without the input's gradient, the weight's is unchanged
        let (none, gw2) = kernel::backward(&g, &x, &w, &opts, false);
        assert!(none.is_none());
        assert_eq!(gw.to_vec::<f64>(), gw2.to_vec::<f64>(), "{name}");
    }
}

#[test]
fn gradcheck_with_stride_padding_dilation_and_groups() {
    let o = ConvOptions::default;
    for (x, w, opts) in [
        ([2, 2, 5, 4], [3, 2, 3, 2], o().stride([2, 1]).padding(1)),
        (
            [1, 4, 6, 6],
            [4, 2, 3, 3],
            o().dilation(2).padding([2, 1]).groups(2),
        ),
        (
            [2, 3, 4, 5],
            [3, 1, 2, 2],
            o().padding(Padding::Same).groups(3),
        ),
    ] {
        let (x, w, b) = (randn64(&x), randn64(&w), randn64(&[w[0]]));
        gradcheck(
            |v| v[0].conv2d(&v[1], Some(&v[2]), &opts),
            &[x.clone(), w.clone(), b],
        )
        .assert_passed();
        // a permuted (non-contiguous) input
        let xt = x.transpose(2, 3).contiguous().transpose(2, 3);
        gradcheck(|v| v[0].conv2d(&v[1], None, &opts), &[xt, w]).assert_passed();
    }
}

#[test]
fn conv1d_gradcheck_and_definition() {
    let opts = ConvOptions::default().stride(2).padding(1).dilation(2);
    let (x, w, b) = (randn64(&[2, 3, 9]), randn64(&[4, 3, 3]), randn64(&[4]));
    gradcheck(
        |v| v[0].conv1d(&v[1], Some(&v[2]), &opts),
        &[x.clone(), w.clone(), b.clone()],
    )
    .assert_passed();
    let y = Var::new(x.clone()).conv1d(&Var::new(w.clone()), Some(&Var::new(b.clone())), &opts);
    assert_eq!(y.shape(), vec![2, 4, 4]); // ⌊(9 + 2 − 4 − 1)/2⌋ + 1
    let two_d = opts.as_1d("test").unwrap();
    let expected = reference::conv2d(&x.unsqueeze(2), &w.unsqueeze(2), Some(&b), &two_d);
    assert_eq!(y.value().to_vec::<f64>().len(), expected.numel());
    let diff = (&y.value() - &expected.squeeze(2)).abs().max().item();
    assert!(diff < 1e-12, "{diff}");
}

#[test]
fn an_input_without_gradient_gets_none() {
    let (x, w) = (
        Var::new(Tensor::ones(&[1, 1, 3, 3])),
        Var::param(Tensor::ones(&[1, 1, 2, 2])),
    );
    x.conv2d(&w, None, &ConvOptions::default()).sum().backward();
    assert!(x.grad().is_none());
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![4.; 4]);
}

#[test]
#[should_panic(
    expected = "conv2d: input f32 [1, 2, 5, 5], weight f32 [3, 2, 3, 3], bias f32 [2]: expected a bias [3]"
)]
fn a_wrong_bias_names_all_shapes() {
    let x = Var::new(Tensor::zeros(&[1, 2, 5, 5]));
    x.conv2d(
        &Var::new(Tensor::zeros(&[3, 2, 3, 3])),
        Some(&Var::new(Tensor::zeros(&[2]))),
        &ConvOptions::default(),
    );
}

#[test]
#[should_panic(expected = "conv1d: input [2, 5], weight [3, 2, 3]: expected an input [B, C_in, L]")]
fn conv1d_of_a_2d_input_panics() {
    Var::new(Tensor::zeros(&[2, 5])).conv1d(
        &Var::new(Tensor::zeros(&[3, 2, 3])),
        None,
        &ConvOptions::default(),
    );
}
