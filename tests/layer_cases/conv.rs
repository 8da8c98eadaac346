//! Cases for the convolution and pooling layers: Conv1d, Conv2d (stride, padding,
//! dilation, groups, no bias), and the parameter-free MaxPool1d/2d, AvgPool2d,
//! AdaptiveAvgPool2d and Flatten after a convolution (so that something is trained),
//! in a small CNN; BatchNorm2d and GroupNorm on the feature maps of a convolution.

use ferrograd::nn::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv1d, Conv2d, Flatten, GroupNorm, Linear,
    MaxPool1d, MaxPool2d, ReLU, Sequential, Tanh,
};
use ferrograd::prelude::*;
use ferrograd::tensor::conv::Padding;

use super::{LayerCase, input, layer_case};

pub fn cases() -> Vec<LayerCase> {
    vec![
        layer_case(
            "Conv2d stride 2, padding 1",
            Conv2d::new(2, 3, 3).stride(2).padding(1),
            vec![input(&[2, 2, 5, 6], 40)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Conv2d groups 2, dilation 2, same, no bias",
            Conv2d::new(4, 2, [2, 3])
                .groups(2)
                .dilation(2)
                .padding(Padding::Same)
                .bias(false),
            vec![input(&[1, 4, 6, 6], 41)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Conv1d stride 2, padding 1",
            Conv1d::new(3, 4, 3).stride(2).padding(1),
            vec![input(&[2, 3, 9], 42)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "CNN: Conv2d → ReLU → MaxPool2d → Flatten → Linear",
            Sequential::new()
                .add(Conv2d::new(1, 3, 3).padding(1))
                .add(ReLU)
                .add(MaxPool2d::new(2))
                .add(Flatten::new())
                .add(Linear::new(3 * 3 * 3, 2)),
            vec![input(&[2, 1, 6, 7], 43)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Conv2d → AvgPool2d → AdaptiveAvgPool2d",
            Sequential::new()
                .add(Conv2d::new(2, 3, 2))
                .add(Tanh)
                .add(AvgPool2d::new(2).stride(1).padding(1))
                .add(AdaptiveAvgPool2d::new([2, 3])),
            vec![input(&[2, 2, 5, 4], 44)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Conv2d → BatchNorm2d → ReLU → Conv2d → GroupNorm",
            Sequential::new()
                .add(Conv2d::new(2, 4, 3).padding(1))
                .add(BatchNorm2d::new(4))
                .add(ReLU)
                .add(Conv2d::new(4, 4, 3))
                .add(GroupNorm::new(2, 4)),
            vec![input(&[2, 2, 5, 5], 214)],
            |m, x| m.forward(&x[0]),
        ),
        layer_case(
            "Conv1d → MaxPool1d",
            Sequential::new()
                .add(Conv1d::new(2, 3, 2))
                .add(MaxPool1d::new(3).stride(2).padding(1)),
            vec![input(&[2, 2, 8], 45)],
            |m, x| m.forward(&x[0]),
        ),
    ]
}
