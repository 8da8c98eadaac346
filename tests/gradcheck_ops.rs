//! One table of gradient checks for every differentiable op (minitorch's MathTest,
//! tinygrad's helper_test_op): each row names the op, gives its inputs and the
//! closure that applies it. Rows marked `broadcast` feed operands of different
//! shapes; rows marked `strided` feed a non-contiguous view (a transpose or a slice).
//! All run in f64 at PyTorch's default tolerances (see `autograd::gradcheck`).

use ferrograd::autograd::ops::embedding_bag::BagMode;
use ferrograd::prelude::*;
use ferrograd::tensor::conv::{ConvOptions, Padding, PoolOptions};

type OpFn = Box<dyn Fn(&[Var]) -> Var>;

struct Case {
    name: &'static str,
    inputs: Vec<Tensor>,
    op: OpFn,
}

fn case(name: &'static str, inputs: Vec<Tensor>, op: impl Fn(&[Var]) -> Var + 'static) -> Case {
    Case {
        name,
        inputs,
        op: Box::new(op),
    }
}

/// Deterministic values in (−2, 2), none within 0.05 of 0 (kinks of relu/abs) and
/// all distinct (no ties for max).
fn values(shape: &[usize], salt: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let data = (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            let sign = if (state >> 7) & 1 == 0 { 1.0 } else { -1.0 };
            sign * (0.1 + 1.8 * u) + 1e-3 * i as f64
        })
        .collect();
    Tensor::from_vec_f64(data, shape)
}

fn positive(shape: &[usize], salt: u64) -> Tensor {
    values(shape, salt).abs().add_scalar(0.2)
}

fn index(values: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec_i64(values.to_vec(), shape)
}

fn mask(values: &[bool], shape: &[usize]) -> Tensor {
    Tensor::from_vec_bool(values.to_vec(), shape)
}

fn cases() -> Vec<Case> {
    let v = values;
    vec![
        // ---- elementwise binary
        case("add", vec![v(&[3, 4], 1), v(&[3, 4], 2)], |x| &x[0] + &x[1]),
        case("add broadcast", vec![v(&[3, 4], 1), v(&[4], 2)], |x| {
            &x[0] + &x[1]
        }),
        case("add strided", vec![v(&[4, 3], 1), v(&[3, 4], 2)], |x| {
            &x[0].t() + &x[1]
        }),
        case(
            "sub broadcast",
            vec![v(&[2, 1, 3], 3), v(&[4, 1], 4)],
            |x| &x[0] - &x[1],
        ),
        case("mul broadcast", vec![v(&[3, 4], 5), v(&[3, 1], 6)], |x| {
            &x[0] * &x[1]
        }),
        case("mul strided", vec![v(&[4, 3], 5), v(&[3, 4], 6)], |x| {
            &x[0].t() * &x[1]
        }),
        case(
            "div broadcast",
            vec![v(&[3, 4], 7), positive(&[4], 8)],
            |x| &x[0] / &x[1],
        ),
        case("maximum broadcast", vec![v(&[3, 4], 9), v(&[4], 10)], |x| {
            x[0].maximum(&x[1])
        }),
        case(
            "minimum broadcast",
            vec![v(&[3, 4], 11), v(&[3, 1], 12)],
            |x| x[0].minimum(&x[1]),
        ),
        case("scalar ops", vec![v(&[5], 13)], |x| {
            2.0 - &(&(&x[0] * 3.0) + 1.0) / 4.0
        }),
        case("scalar divided by var", vec![positive(&[5], 14)], |x| {
            1.5 / &x[0]
        }),
        // ---- elementwise unary
        case("neg", vec![v(&[3, 4], 15)], |x| -&x[0]),
        case("exp", vec![v(&[3, 4], 16)], |x| x[0].exp()),
        case("ln", vec![positive(&[3, 4], 17)], |x| x[0].log()),
        case("sqrt", vec![positive(&[3, 4], 18)], |x| x[0].sqrt()),
        case("powf", vec![positive(&[3, 4], 19)], |x| x[0].pow(2.5)),
        case("powf negative", vec![positive(&[3, 4], 19)], |x| {
            x[0].pow(-1.5)
        }),
        case("abs", vec![v(&[3, 4], 20)], |x| x[0].abs()),
        case("tanh", vec![v(&[3, 4], 21)], |x| x[0].tanh()),
        case("sigmoid", vec![v(&[3, 4], 22)], |x| x[0].sigmoid()),
        case("relu", vec![v(&[3, 4], 23)], |x| x[0].relu()),
        case("relu strided", vec![v(&[4, 6], 23)], |x| {
            x[0].narrow(1, 1, 3).relu()
        }),
        case("leaky_relu", vec![v(&[3, 4], 24)], |x| x[0].leaky_relu(0.1)),
        case("elu", vec![v(&[3, 4], 25)], |x| x[0].elu(1.3)),
        case("gelu erf", vec![v(&[3, 4], 26)], |x| x[0].gelu()),
        case("gelu tanh", vec![v(&[3, 4], 27)], |x| x[0].gelu_tanh()),
        case("silu", vec![v(&[3, 4], 28)], |x| x[0].silu()),
        case("softplus", vec![v(&[3, 4], 29)], |x| x[0].softplus()),
        case("clamp", vec![v(&[3, 4], 30)], |x| x[0].clamp(-0.5, 0.7)),
        // ---- reductions
        case("sum all", vec![v(&[3, 4], 31)], |x| x[0].sum()),
        case("sum dim keepdim", vec![v(&[3, 4, 2], 32)], |x| {
            x[0].sum_dim(1, true)
        }),
        case("sum dims strided", vec![v(&[4, 3, 2], 33)], |x| {
            x[0].permute(&[2, 0, 1]).sum_dims(&[0, -1], false)
        }),
        case("mean all", vec![v(&[3, 4], 34)], |x| x[0].mean()),
        case("mean dim", vec![v(&[3, 4], 35)], |x| {
            x[0].mean_dim(-1, false)
        }),
        case("var unbiased", vec![v(&[3, 4], 36)], |x| {
            x[0].var_dim(1, true, false)
        }),
        case("var biased all", vec![v(&[3, 4], 37)], |x| x[0].var(false)),
        case("std", vec![v(&[3, 4], 38)], |x| x[0].std_dim(0, true, true)),
        case("max_dim", vec![v(&[3, 4], 39)], |x| {
            x[0].max_dim(1, false).0
        }),
        case("max_dim strided", vec![v(&[4, 3], 39)], |x| {
            x[0].t().max_dim(0, true).0
        }),
        case("min_dim", vec![v(&[3, 4], 40)], |x| {
            x[0].min_dim(0, false).0
        }),
        case("max all", vec![v(&[3, 4], 41)], |x| x[0].max()),
        case("logsumexp", vec![v(&[3, 4], 42)], |x| {
            x[0].logsumexp(-1, false)
        }),
        case("softmax", vec![v(&[3, 4], 43)], |x| x[0].softmax(-1)),
        case("softmax strided", vec![v(&[4, 3], 43)], |x| {
            x[0].t().softmax(0)
        }),
        case("log_softmax", vec![v(&[3, 4], 44)], |x| x[0].log_softmax(1)),
        case("cumsum", vec![v(&[3, 4], 95)], |x| x[0].cumsum(-1)),
        case("cumsum strided", vec![v(&[4, 3], 96)], |x| {
            x[0].t().cumsum(0)
        }),
        case("sort descending", vec![v(&[3, 4], 97)], |x| {
            x[0].sort(1, true).0
        }),
        case("topk strided", vec![v(&[5, 3], 98)], |x| {
            x[0].t().topk(2, -1, true, true).0
        }),
        case("topk smallest unsorted", vec![v(&[3, 5], 99)], |x| {
            x[0].topk(3, 0, false, false).0
        }),
        case("log_softmax_gather", vec![v(&[3, 4], 44)], |x| {
            x[0].log_softmax_gather(&index(&[2, 0, 3], &[3]))
        }),
        // ---- movement
        case("reshape", vec![v(&[3, 4], 45)], |x| x[0].reshape(&[2, 6])),
        case("reshape strided", vec![v(&[4, 3], 45)], |x| {
            x[0].t().reshape(&[12])
        }),
        case("flatten", vec![v(&[2, 3, 2], 46)], |x| x[0].flatten(1, -1)),
        case("permute", vec![v(&[2, 3, 4], 47)], |x| {
            x[0].permute(&[2, 0, 1])
        }),
        case("transpose", vec![v(&[2, 3, 4], 48)], |x| {
            x[0].transpose(0, -1)
        }),
        case("broadcast_to", vec![v(&[3, 1], 49)], |x| {
            x[0].broadcast_to(&[2, 3, 4])
        }),
        case("unsqueeze squeeze", vec![v(&[3, 4], 50)], |x| {
            x[0].unsqueeze(1).mul_scalar(2.0).squeeze(1)
        }),
        case("narrow", vec![v(&[5, 4], 51)], |x| x[0].narrow(0, 1, 3)),
        case("select", vec![v(&[5, 4], 52)], |x| x[0].select(1, 2)),
        case("cat", vec![v(&[2, 3], 53), v(&[4, 3], 54)], |x| {
            Var::cat(&[x[0].clone(), x[1].clone()], 0)
        }),
        case("cat strided", vec![v(&[3, 2], 53), v(&[3, 4], 54)], |x| {
            Var::cat(&[x[0].t(), x[1].t()], 0)
        }),
        case("stack", vec![v(&[2, 3], 55), v(&[2, 3], 56)], |x| {
            Var::stack(&[x[0].clone(), x[1].clone()], 1)
        }),
        case("split", vec![v(&[5, 3], 57)], |x| {
            let parts = x[0].split(2, 0);
            &parts[0].sum() * &parts[2].sum()
        }),
        case("chunk", vec![v(&[4, 6], 58)], |x| {
            let parts = x[0].chunk(3, 1);
            &(&parts[0] * &parts[1]) + &parts[2]
        }),
        // ---- linear algebra
        case("matmul 2d", vec![v(&[3, 4], 59), v(&[4, 5], 60)], |x| {
            x[0].matmul(&x[1])
        }),
        case(
            "matmul strided",
            vec![v(&[4, 3], 59), v(&[5, 4], 60)],
            |x| x[0].t().matmul(&x[1].t()),
        ),
        case("matmul vec·mat", vec![v(&[4], 61), v(&[4, 3], 62)], |x| {
            x[0].matmul(&x[1])
        }),
        case("matmul mat·vec", vec![v(&[3, 4], 63), v(&[4], 64)], |x| {
            x[0].matmul(&x[1])
        }),
        case("matmul dot", vec![v(&[4], 65), v(&[4], 66)], |x| {
            x[0].matmul(&x[1])
        }),
        case(
            "matmul batched broadcast",
            vec![v(&[2, 1, 3, 4], 67), v(&[3, 4, 2], 68)],
            |x| x[0].matmul(&x[1]),
        ),
        case(
            "matmul batch · one matrix",
            vec![v(&[2, 3, 4], 90), v(&[4, 2], 91)],
            |x| x[0].matmul(&x[1]),
        ),
        case(
            "linear",
            vec![v(&[2, 3, 4], 92), v(&[5, 4], 93), v(&[5], 94)],
            |x| x[0].linear(&x[1], Some(&x[2])),
        ),
        // ---- convolution and pooling (strided: a transposed image)
        case(
            "conv2d stride, padding, bias",
            vec![v(&[2, 3, 6, 5], 100), v(&[4, 3, 3, 2], 101), v(&[4], 102)],
            |x| {
                x[0].conv2d(
                    &x[1],
                    Some(&x[2]),
                    &ConvOptions::default().stride([2, 1]).padding(1),
                )
            },
        ),
        case(
            "conv2d dilation, groups, strided",
            vec![v(&[1, 4, 6, 7], 103), v(&[6, 2, 2, 3], 104)],
            |x| {
                let opts = ConvOptions::default()
                    .dilation([2, 1])
                    .groups(2)
                    .padding(Padding::Same);
                x[0].transpose(2, 3).conv2d(&x[1], None, &opts)
            },
        ),
        case(
            "conv1d stride, padding, dilation",
            vec![v(&[2, 3, 10], 105), v(&[2, 3, 3], 106), v(&[2], 107)],
            |x| {
                x[0].conv1d(
                    &x[1],
                    Some(&x[2]),
                    &ConvOptions::default().stride(2).padding(2).dilation(2),
                )
            },
        ),
        case("max_pool2d padding", vec![v(&[2, 2, 5, 6], 108)], |x| {
            x[0].max_pool2d(&PoolOptions::new(3).stride(2).padding(1))
        }),
        case("max_pool1d overlapping", vec![v(&[2, 3, 7], 109)], |x| {
            x[0].max_pool1d(&PoolOptions::new(3).stride(1))
        }),
        case("avg_pool2d padding", vec![v(&[2, 2, 5, 6], 110)], |x| {
            x[0].avg_pool2d(&PoolOptions::new([3, 2]).stride(2).padding([1, 0]))
        }),
        case("adaptive_avg_pool2d", vec![v(&[2, 2, 5, 7], 111)], |x| {
            x[0].adaptive_avg_pool2d([3, 2])
        }),
        // ---- indexing
        case("index_select", vec![v(&[5, 3], 69)], |x| {
            x[0].index_select(0, &index(&[4, 0, 4, 2], &[4]))
        }),
        case("gather", vec![v(&[3, 4], 70)], |x| {
            x[0].gather(1, &index(&[0, 3, 1, 1, 2, 0], &[3, 2]))
        }),
        case("scatter_add", vec![v(&[3, 4], 71), v(&[2, 4], 72)], |x| {
            x[0].scatter_add(0, &index(&[2, 0, 1, 2, 0, 0, 2, 1], &[2, 4]), &x[1])
        }),
        case(
            "where_cond broadcast",
            vec![v(&[3, 4], 73), v(&[4], 74)],
            |x| Var::where_cond(&mask(&[true, false, false, true], &[4]), &x[0], &x[1]),
        ),
        case("masked_fill", vec![v(&[3, 4], 75)], |x| {
            x[0].masked_fill(&mask(&[false, true, true], &[3, 1]), -1.0)
        }),
        case("embedding", vec![v(&[6, 3], 76)], |x| {
            Var::embedding(&x[0], &index(&[1, 5, 1, 0], &[2, 2]), false)
        }),
        case("embedding sparse", vec![v(&[6, 3], 77)], |x| {
            Var::embedding(&x[0], &index(&[2, 2, 4], &[3]), true)
        }),
        case(
            "embedding_dot sparse",
            vec![v(&[5, 3], 79), v(&[4, 3], 80)],
            |x| {
                Var::embedding_dot(
                    &x[0],
                    &index(&[4, 0, 4], &[3]),
                    &x[1],
                    &index(&[1, 3, 3], &[3]),
                    true,
                )
            },
        ),
        case(
            "embedding_bag mean, padding, sparse",
            vec![v(&[5, 3], 81)],
            |x| {
                let bags = index(&[4, 0, 2, 2, 1, 2], &[3, 2]);
                Var::embedding_bag(&x[0], &bags, BagMode::Mean, Some(2), true)
            },
        ),
        case("dropout mask multiply (eval)", vec![v(&[3, 4], 78)], |x| {
            x[0].dropout(0.5, false)
        }),
    ]
}

#[test]
fn every_op_passes_gradcheck_in_f64() {
    let mut failures = Vec::new();
    let all = cases();
    for c in &all {
        let report = gradcheck(|vars| (c.op)(vars), &c.inputs);
        if !report.passed() {
            failures.push(format!("[{}] {report}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    assert!(all.len() >= 70, "the table shrank to {} rows", all.len());
}
