//! Conv1d/Conv2d, MaxPool1d/2d, AvgPool2d, AdaptiveAvgPool2d and a small CNN against
//! PyTorch 2 (float32, CPU), on the fixtures written by
//! `tests/fixtures/fixtures_conv.py`: same weights (loaded with `load_state_dict`),
//! same inputs; compare the output, the gradients of `(output · w).sum()` with respect
//! to the input and every parameter, and max pooling's indices.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ 1e-5 · max(1, max |PyTorch|)   (f32 on both sides)
//! ```
//! The largest deviation of each case is printed (`-- --nocapture`).

mod pytorch_fixture;

use ferrograd::nn::{
    AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, Flatten, Linear, MaxPool, MaxPool1d, MaxPool2d,
    ReLU, Sequential,
};
use ferrograd::prelude::*;
use ferrograd::tensor::conv::Padding;
use pytorch_fixture::{check, fixture, outputs};

/// A layer with one float input `x`.
fn check_layer<M: Forward>(file: &str, module: &M) -> f64 {
    check(file, module, |m, x| {
        outputs([("output", m.forward(&x.vars["x"]))])
    })
}

#[test]
fn conv2d_matches_pytorch_over_a_table_of_options() {
    let cases = [
        ("conv_conv2d_3x3", Conv2d::new(3, 4, 3)),
        (
            "conv_conv2d_stride2_pad1",
            Conv2d::new(2, 5, 3).stride(2).padding(1),
        ),
        (
            "conv_conv2d_rect_stride_pad",
            Conv2d::new(3, 2, [5, 3]).stride([2, 1]).padding([2, 0]),
        ),
        (
            "conv_conv2d_dilation_groups_nobias",
            Conv2d::new(4, 6, 3)
                .dilation(2)
                .groups(2)
                .padding(2)
                .bias(false),
        ),
        (
            "conv_conv2d_same_even_kernel",
            Conv2d::new(2, 3, [2, 4])
                .padding(Padding::Same)
                .dilation([1, 2]),
        ),
        (
            "conv_conv2d_depthwise",
            Conv2d::new(3, 3, 3).groups(3).stride([2, 1]),
        ),
        ("conv_conv2d_1x1", Conv2d::new(5, 2, 1)),
    ];
    for (file, conv) in &cases {
        check_layer(file, conv);
    }
}

#[test]
fn conv1d_matches_pytorch() {
    check_layer(
        "conv_conv1d_stride_pad",
        &Conv1d::new(3, 4, 3).stride(2).padding(1),
    );
    let same = Conv1d::new(2, 3, 4).padding(Padding::Same).dilation(2);
    check_layer("conv_conv1d_same_dilation", &same);
    check_layer("conv_conv1d_groups", &Conv1d::new(4, 2, 5).groups(2));
}

/// A max-pooling layer: output and gradient, then its indices against PyTorch's.
fn check_max_pool<const S: usize>(file: &str, pool: &MaxPool<S>) {
    check_layer(file, pool);
    let data = fixture(file);
    let (_, indices) = pool.forward_with_indices(&Var::new(data["input.x"].clone()));
    assert_eq!(
        indices.to_vec::<i64>(),
        data["indices.output"].to_vec::<i64>(),
        "{file}: indices"
    );
}

#[test]
fn max_pooling_matches_pytorch_with_indices() {
    check_max_pool("conv_maxpool2d", &MaxPool2d::new(2));
    let strided = MaxPool2d::new(3).stride([2, 1]).padding(1).dilation([1, 2]);
    check_max_pool("conv_maxpool2d_stride_pad_dilation", &strided);
    check_max_pool("conv_maxpool1d", &MaxPool1d::new(3).stride(2).padding(1));
}

#[test]
fn average_pooling_matches_pytorch() {
    check_layer("conv_avgpool2d", &AvgPool2d::new(3).stride(2).padding(1));
    let exclude = AvgPool2d::new([2, 3])
        .stride(1)
        .padding(1)
        .count_include_pad(false);
    check_layer("conv_avgpool2d_exclude_pad", &exclude);
    check_layer("conv_adaptive_avgpool2d", &AdaptiveAvgPool2d::new([3, 2]));
}

/// PyTorch's `SmallCnn` has its layers under `net.`: the same chain, one level down.
struct SmallCnn {
    net: Sequential,
}

impl Module for SmallCnn {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        self.net.visit_params(&format!("{prefix}net."), f);
    }
}

impl Forward for SmallCnn {
    fn forward(&self, x: &Var) -> Var {
        self.net.forward(x)
    }
}

#[test]
fn a_small_cnn_matches_pytorch() {
    let net = Sequential::new()
        .add(Conv2d::new(1, 4, 3).padding(1))
        .add(ReLU)
        .add(MaxPool2d::new(2))
        .add(Conv2d::new(4, 6, 3).groups(2))
        .add(Flatten::new())
        .add(Linear::new(6 * 2 * 2, 3));
    check_layer("conv_small_cnn", &SmallCnn { net });
}
