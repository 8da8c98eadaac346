//! The project's table of bad calls: each must panic with a message that starts with
//! the op's name and mentions the shapes or values at fault — never an ndarray or
//! slice panic from deep inside, never a process abort. Rows for tensor ops first,
//! then the shapes too large to exist or to allocate, the random generators, and
//! the layers and losses above.

use std::panic::{AssertUnwindSafe, catch_unwind};

use autograd::Var;
use nn::loss::{binary_cross_entropy, cross_entropy};
use nn::{Conv1d, Conv2d, Forward, MaxPool2d};
use tensor::conv::ConvOptions;
use tensor::random::with_default_generator;
use tensor::{DType, Generator, Tensor, set_rng_state};

fn t(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape)
}

fn idx(values: &[i64]) -> Tensor {
    Tensor::from_vec_i64(values.to_vec(), &[values.len()])
}

fn mask(shape: &[usize]) -> Tensor {
    Tensor::zeros_dtype(shape, DType::Bool)
}

/// (the call, the op name the message must start with, fragments it must contain)
type BadCall = (Box<dyn Fn()>, &'static str, &'static [&'static str]);

fn bad_calls() -> Vec<BadCall> {
    vec![
        (
            Box::new(|| drop(t(&[32, 64]).matmul(&t(&[65, 10])))),
            "matmul",
            &["[32, 64]", "[65, 10]", "64 and 65"],
        ),
        (
            Box::new(|| drop(t(&[2, 3, 4]).matmul(&t(&[5, 4, 2])))),
            "matmul",
            &["[2, 3, 4]", "[5, 4, 2]"],
        ),
        (
            Box::new(|| drop(t(&[]).matmul(&t(&[3])))),
            "matmul",
            &["[]", "[3]"],
        ),
        (
            Box::new(|| drop(&t(&[2, 3]) + &t(&[4]))),
            "add",
            &["[2, 3]", "[4]"],
        ),
        (
            Box::new(|| drop(&t(&[2, 3]) * &t(&[3, 2]))),
            "mul",
            &["[2, 3]", "[3, 2]"],
        ),
        (
            Box::new(|| drop(&t(&[2]) - &t(&[2]).to_dtype(DType::F64))),
            "sub",
            &["f32", "f64"],
        ),
        (
            Box::new(|| drop(Tensor::from_vec(vec![1.0; 5], &[2, 3]))),
            "from_vec",
            &["5", "[2, 3]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).reshape(&[4, 2]))),
            "reshape",
            &["[2, 3]", "[4, 2]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).permute(&[0, 0]))),
            "permute",
            &["[0, 0]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).permute(&[0]))),
            "permute",
            &["[2, 3]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).transpose(0, 2))),
            "transpose",
            &["dim 2", "[2, 3]"],
        ),
        (Box::new(|| drop(t(&[2, 3, 4]).t())), "t", &["[2, 3, 4]"]),
        (
            Box::new(|| drop(t(&[2, 3]).unsqueeze(4))),
            "unsqueeze",
            &["dim 4", "[2, 3]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).broadcast_to(&[4, 3, 2]))),
            "broadcast_to",
            &["[2, 3]", "[4, 3, 2]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).sum_to(&[4]))),
            "sum_to",
            &["[2, 3]", "[4]"],
        ),
        (
            Box::new(|| drop(t(&[5, 3]).narrow(0, 3, 4))),
            "narrow",
            &["[5, 3]"],
        ),
        (
            Box::new(|| drop(Tensor::cat(&[t(&[2, 3]), t(&[2, 4])], 0))),
            "cat",
            &["[2, 3]", "[2, 4]"],
        ),
        (
            Box::new(|| drop(Tensor::stack(&[t(&[2, 3]), t(&[3, 2])], 0))),
            "stack",
            &["[2, 3]", "[3, 2]"],
        ),
        (Box::new(|| drop(Tensor::cat(&[], 0))), "cat", &[]),
        (
            Box::new(|| drop(t(&[5, 3]).index_select(0, &idx(&[1, 7])))),
            "index_select",
            &["7", "5"],
        ),
        (
            Box::new(|| drop(t(&[3, 4]).gather(1, &idx(&[0, 1, 2])))),
            "gather",
            &["[3, 4]", "[3]"],
        ),
        (
            Box::new(|| {
                let index = Tensor::full_dtype(&[1, 4], 3.0, DType::I64);
                drop(t(&[3, 4]).scatter_add(0, &index, &t(&[1, 4])))
            }),
            "scatter_add",
            &["3"],
        ),
        (
            Box::new(|| drop(Tensor::one_hot(&idx(&[0, 4]), 3))),
            "one_hot",
            &["4", "3"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).masked_fill(&mask(&[4]), 1.0))),
            "masked_fill",
            &["[4]", "[2, 3]"],
        ),
        (
            Box::new(|| drop(Tensor::where_cond(&mask(&[2]), &t(&[3]), &t(&[1])))),
            "where_cond",
            &["[2]", "[3]"],
        ),
        // Dtypes: indices are i64, masks bool, gradients float; no silent promotion.
        (
            Box::new(|| drop(t(&[5, 3]).index_select(0, &Tensor::from_vec(vec![1.0], &[1])))),
            "index_select",
            &["must be an i64 tensor", "got f32 [1]"],
        ),
        (
            Box::new(|| drop(t(&[3, 4]).gather(1, &t(&[3, 1])))),
            "gather",
            &["i64", "f32 [3, 1]"],
        ),
        (
            Box::new(|| {
                let logits = Var::new(t(&[2, 3]));
                drop(cross_entropy(
                    &logits,
                    &Tensor::from_vec(vec![0.0, 2.0], &[2]),
                ))
            }),
            "cross_entropy",
            &[
                "a float target holds class probabilities",
                "[2, 3], got [2]",
                "i64",
            ],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).masked_fill(&t(&[2, 3]), 1.0))),
            "masked_fill",
            &["bool", "f32 [2, 3]"],
        ),
        (
            Box::new(|| drop(Tensor::where_cond(&idx(&[1, 0]), &t(&[2]), &t(&[2])))),
            "where_cond",
            &["bool", "i64 [2]"],
        ),
        (
            Box::new(|| drop(&idx(&[1, 2]) + &t(&[2]))),
            "add",
            &["i64", "f32"],
        ),
        (
            Box::new(|| drop(&mask(&[2]) * &mask(&[2]))),
            "mul",
            &["bool"],
        ),
        (
            Box::new(|| drop(&Var::param(t(&[2])) * &Var::new(idx(&[1, 2])))),
            "mul",
            &["f32", "i64"],
        ),
        (
            Box::new(|| drop(Var::param(idx(&[1, 2])))),
            "requires_grad",
            &["only float tensors can have gradients", "i64 [2]"],
        ),
        (
            Box::new(|| drop(Var::new(mask(&[3])).requires_grad())),
            "requires_grad",
            &["bool [3]"],
        ),
        (
            Box::new(|| Var::param(t(&[2])).cast_leaf(DType::I64)),
            "cast_leaf",
            &["i64", "only floats have gradients"],
        ),
        (
            Box::new(|| drop(idx(&[1, 2]).exp())),
            "exp",
            &["float", "i64 [2]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).sum_dim(2, false))),
            "sum_dim",
            &["dim 2", "[2, 3]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).softmax(-3))),
            "softmax",
            &["dim -3", "[2, 3]"],
        ),
        (
            Box::new(|| drop(t(&[2, 0]).max_dim(1, false))),
            "max_dim",
            &["[2, 0]"],
        ),
        (
            Box::new(|| {
                let _ = t(&[2, 3]).item();
            }),
            "item",
            &["[2, 3]"],
        ),
        (
            Box::new(|| {
                let _ = t(&[2, 3]).size(5);
            }),
            "size",
            &["dim 5"],
        ),
        (
            Box::new(|| drop(t(&[2]).clamp(1.0, 0.0))),
            "clamp",
            &["1", "0"],
        ),
        (
            Box::new(|| drop(Tensor::arange(0.0, 1.0, -0.5))),
            "arange",
            &["-0.5"],
        ),
        (
            Box::new(|| {
                let _ = t(&[2]).array::<f64>();
            }),
            "array",
            &["f64", "f32"],
        ),
        (Box::new(|| drop(t(&[4, 3]).chunk(0, 0))), "chunk", &["0"]),
        (Box::new(|| drop(t(&[4, 3]).split(0, 0))), "split", &["0"]),
        // Element counts past 2⁶³ (a plain product wraps: 2³² · 2³² = 0 in release
        // builds), and valid sizes too big for memory (an error, not an abort).
        (
            Box::new(|| drop(Tensor::zeros(&[1 << 22, 1 << 22]))),
            "zeros",
            &["cannot allocate 70368744177664 bytes", "[4194304, 4194304]"],
        ),
        (
            Box::new(|| drop(Tensor::ones(&[1 << 32, 1 << 32]))),
            "ones",
            &["[4294967296, 4294967296]", "more elements than any tensor"],
        ),
        (
            Box::new(|| drop(Tensor::from_vec(vec![], &[1 << 32, 1 << 32]))),
            "from_vec",
            &["[4294967296, 4294967296]"],
        ),
        (
            Box::new(|| drop(t(&[2, 3]).reshape(&[1 << 32, 1 << 32]))),
            "reshape",
            &["[4294967296, 4294967296]"],
        ),
        (
            Box::new(|| drop(&t(&[1 << 33, 1, 0]) + &t(&[1, 1 << 33, 0]))),
            "add",
            &["[8589934592, 8589934592, 0]"],
        ),
        (
            Box::new(|| drop(Tensor::randn(&[1 << 22, 1 << 22]))),
            "randn",
            &["cannot allocate", "[4194304, 4194304]"],
        ),
        (
            Box::new(|| drop(Tensor::eye(1 << 33))),
            "eye",
            &["[8589934592, 8589934592]"],
        ),
        (
            Box::new(|| drop(Tensor::arange(0.0, 1e30, 1.0))),
            "arange",
            &["[18446744073709551615]"],
        ),
        // Random numbers.
        (
            Box::new(|| drop(Tensor::randint(5, 5, &[3]))),
            "randint",
            &["5..5", "[3]"],
        ),
        (
            Box::new(|| drop(Tensor::randperm(1 << 25))),
            "randperm",
            &["33554432"],
        ),
        (
            Box::new(|| set_rng_state(&t(&[3]))),
            "Generator.set_state",
            &["f32", "[3]"],
        ),
        (
            Box::new(|| {
                Generator::new().set_state(&Tensor::from_vec_f64(vec![0.0, -1.0, 0.0, 0.0], &[4]));
            }),
            "Generator.set_state",
            &["-1"],
        ),
        (
            Box::new(|| {
                let _ = Generator::new().below(0);
            }),
            "Generator.below",
            &["0..0"],
        ),
        (
            Box::new(|| with_default_generator(|_| drop(Tensor::rand(&[2])))),
            "with_default_generator",
            &["already in use"],
        ),
        // Layers and losses.
        (
            Box::new(|| {
                let p = Var::new(Tensor::from_vec(vec![0.5, 0.25, -0.5], &[3]));
                drop(binary_cross_entropy(&p, &t(&[3])));
            }),
            "binary_cross_entropy",
            &["-0.5", "index [2]", "shape [3]", "[0, 1]"],
        ),
        // Convolution and pooling: the three misuses of issue 21, op and layer.
        (
            Box::new(|| drop(t(&[2, 3, 4, 4]).conv2d(&t(&[8, 3, 5, 5]), None, &conv()))),
            "conv2d",
            &[
                "[2, 3, 4, 4]",
                "[8, 3, 5, 5]",
                "kernel 5×5",
                "padded input 4×4",
            ],
        ),
        (
            Box::new(|| drop(Conv2d::new(3, 8, 5).forward(&Var::new(t(&[2, 3, 4, 4]))))),
            "Conv2d",
            &[
                "Conv2d(3, 8, kernel_size=[5, 5]",
                "[2, 3, 4, 4]",
                "padded input 4×4",
            ],
        ),
        (
            Box::new(|| drop(Conv2d::new(6, 4, 3).groups(4))),
            "Conv2d",
            &["Conv2d(6, 4", "groups=4", "divisible by groups"],
        ),
        (
            Box::new(|| drop(t(&[1, 6, 5, 5]).conv2d(&t(&[4, 2, 3, 3]), None, &conv().groups(4)))),
            "conv2d",
            &[
                "[1, 6, 5, 5]",
                "[4, 2, 3, 3]",
                "not both divisible by groups = 4",
            ],
        ),
        (
            Box::new(|| drop(Conv1d::new(4, 6, 3).forward(&Var::new(t(&[5, 4]))))),
            "Conv1d",
            &["Conv1d(4, 6, kernel_size=3", "input [5, 4]", "[B, C_in, L]"],
        ),
        (
            Box::new(|| drop(MaxPool2d::new(2).forward(&Var::new(t(&[8, 28, 28]))))),
            "MaxPool2d",
            &[
                "MaxPool2d(kernel_size=[2, 2]",
                "[8, 28, 28]",
                "[B, C, H, W]",
            ],
        ),
    ]
}

fn conv() -> ConvOptions {
    ConvOptions::default()
}

#[test]
fn every_bad_call_panics_with_the_op_and_the_shapes() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // keep the expected panics quiet
    let calls = bad_calls();
    let mut problems = Vec::new();
    for (i, (call, op, fragments)) in calls.iter().enumerate() {
        let message = match catch_unwind(AssertUnwindSafe(call)) {
            Ok(()) => {
                problems.push(format!("call {i} ({op}) did not panic"));
                continue;
            }
            Err(payload) => payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        };
        if !message.starts_with(&format!("{op}: ")) {
            problems.push(format!(
                "call {i}: expected a message starting with `{op}: `, got `{message}`"
            ));
        }
        for fragment in *fragments {
            if !message.contains(fragment) {
                problems.push(format!(
                    "call {i} ({op}): `{fragment}` missing from `{message}`"
                ));
            }
        }
    }
    std::panic::set_hook(previous);
    assert!(calls.len() >= 50);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
