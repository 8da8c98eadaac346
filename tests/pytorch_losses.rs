//! Every loss against PyTorch 2 (float64, CPU), on the fixtures written by
//! `tests/fixtures/fixtures_losses.py`: same inputs, same options, compare the loss
//! and the gradient of `(loss · w).sum()` with respect to every input.
//!
//! ```text
//! tolerance: |ferrograd − PyTorch| ≤ 1e-9 · max(1, max |PyTorch|)   (f64 on both sides)
//! largest deviation seen: 6.5e-16 (focal_no_alpha_sum); the run prints it
//! ```
//! Cases with `no_grad` in the fixture compare values only: `binary_cross_entropy`
//! at probabilities exactly 0 and 1, where PyTorch's backward uses its own clamp
//! ((x − y) / max(x(1 − x), 1e-12)) rather than the derivative of the clamped loss.
//! torchvision is absent from the reference venv; the script copies its
//! `sigmoid_focal_loss` verbatim. The multi-class focal loss and InfoNCE are
//! written there from torch ops (there is no torch function for them).

use autograd::Var;
use nn::checkpoint::{StateDict, load_file};
use nn::loss::*;
use tensor::Tensor;

fn fixtures() -> StateDict {
    let path = format!(
        "{}/tests/fixtures/losses.safetensors",
        env!("CARGO_MANIFEST_DIR")
    );
    load_file(&path)
        .unwrap_or_else(|e| panic!("{e}; regenerate with tests/fixtures/fixtures_losses.py"))
}

type Loss = fn(&[Var], &Tensor) -> Var;
type BoxedLoss = Box<dyn Fn(&[Var], &Tensor) -> Var>;

fn ce(options: CrossEntropyOptions) -> impl Fn(&[Var], &Tensor) -> Var {
    move |x, t| cross_entropy_with(&x[0], t, &options)
}

fn w5() -> Option<Tensor> {
    Some(Tensor::from_vec_f64(vec![0.5, 1.0, 2.0, 1.5, 0.25], &[5]))
}

fn ce_opts(weight: bool, smoothing: f64, reduction: Reduction) -> CrossEntropyOptions {
    CrossEntropyOptions {
        weight: if weight { w5() } else { None },
        label_smoothing: smoothing,
        reduction,
        ..Default::default()
    }
}

/// The cases of `CASES` in fixtures_losses.py, with the same options.
fn cases() -> Vec<(&'static str, BoxedLoss)> {
    use Reduction::{Mean, None as Keep, Sum};
    let plain: Vec<(&str, Loss)> = vec![
        ("ce_basic", |x, t| cross_entropy(&x[0], t)),
        ("ce_1d", |x, t| cross_entropy(&x[0], t)),
        ("ce_probs", |x, t| cross_entropy(&x[0], t)),
        ("ce_extreme", |x, t| cross_entropy(&x[0], t)),
        ("nll_basic", |x, t| nll_loss(&x[0], t)),
        ("nll_weight_ignore", |x, t| {
            let o = NllLossOptions {
                weight: w5(),
                ..Default::default()
            };
            nll_loss_with(&x[0], t, &o)
        }),
        ("nll_sum", |x, t| {
            let o = NllLossOptions {
                reduction: Sum,
                ..Default::default()
            };
            nll_loss_with(&x[0], t, &o)
        }),
        ("bce_basic", |x, t| binary_cross_entropy(&x[0], t)),
        ("bce_weight_sum", |x, t| {
            let weight = Some(Tensor::from_vec_f64(vec![0.2, 0.7, 1.3, 0.9], &[4]));
            binary_cross_entropy_with(
                &x[0],
                t,
                &BceOptions {
                    weight,
                    reduction: Sum,
                },
            )
        }),
        ("bce_extreme", |x, t| {
            binary_cross_entropy_with(
                &x[0],
                t,
                &BceOptions {
                    weight: None,
                    reduction: Keep,
                },
            )
        }),
        ("bcel_basic", |x, t| {
            binary_cross_entropy_with_logits(&x[0], t)
        }),
        ("bcel_pos_weight", |x, t| {
            let o = BceWithLogitsOptions {
                weight: Some(Tensor::from_vec_f64(vec![1.0, 0.5, 2.0, 1.0], &[4])),
                pos_weight: Some(Tensor::from_vec_f64(vec![3.0, 1.0, 0.5, 2.0], &[4])),
                reduction: Keep,
            };
            binary_cross_entropy_with_logits_with(&x[0], t, &o)
        }),
        ("bcel_extreme", |x, t| {
            let o = BceWithLogitsOptions {
                reduction: Sum,
                ..Default::default()
            };
            binary_cross_entropy_with_logits_with(&x[0], t, &o)
        }),
        ("mse", |x, _| mse_loss(&x[0], &x[1], Mean)),
        ("mse_none", |x, _| mse_loss(&x[0], &x[1], Keep)),
        ("l1_sum", |x, _| l1_loss(&x[0], &x[1], Sum)),
        ("huber", |x, _| huber_loss(&x[0], &x[1], 1.0, Mean)),
        ("huber_delta", |x, _| huber_loss(&x[0], &x[1], 0.5, Keep)),
        ("smooth_l1", |x, _| smooth_l1_loss(&x[0], &x[1], 1.0, Mean)),
        ("smooth_l1_beta", |x, _| {
            smooth_l1_loss(&x[0], &x[1], 0.5, Sum)
        }),
        ("smooth_l1_beta0", |x, _| {
            smooth_l1_loss(&x[0], &x[1], 0.0, Mean)
        }),
        ("kl_batchmean", |x, _| {
            kl_div(&x[0], &x[1], KlDivReduction::BatchMean, false)
        }),
        ("kl_mean", |x, _| {
            kl_div(&x[0], &x[1], KlDivReduction::Mean, false)
        }),
        ("kl_none", |x, _| {
            kl_div(&x[0], &x[1], KlDivReduction::None, false)
        }),
        ("kl_log_target_sum", |x, _| {
            kl_div(&x[0], &x[1], KlDivReduction::Sum, true)
        }),
        ("margin_ranking", |x, t| {
            margin_ranking_loss(&x[0], &x[1], t, 0.3, Mean)
        }),
        ("hinge_embedding", |x, t| {
            hinge_embedding_loss(&x[0], t, 1.5, Keep)
        }),
        ("cosine_embedding", |x, t| {
            cosine_embedding_loss(&x[0], &x[1], t, -0.2, Mean)
        }),
        ("cosine_embedding_sum", |x, t| {
            cosine_embedding_loss(&x[0], &x[1], t, 0.1, Sum)
        }),
        ("triplet", |x, _| triplet_margin_loss(&x[0], &x[1], &x[2])),
        ("triplet_swap_p3", |x, _| {
            let o = TripletMarginOptions {
                margin: 2.0,
                p: 3.0,
                swap: true,
                reduction: Keep,
                ..Default::default()
            };
            triplet_margin_loss_with(&x[0], &x[1], &x[2], &o)
        }),
        ("focal_default", |x, t| sigmoid_focal_loss(&x[0], t)),
        ("focal_mean", |x, t| {
            let o = SigmoidFocalOptions {
                alpha: 0.4,
                gamma: 1.5,
                reduction: Mean,
            };
            sigmoid_focal_loss_with(&x[0], t, &o)
        }),
        ("focal_no_alpha_sum", |x, t| {
            let o = SigmoidFocalOptions {
                alpha: -1.0,
                gamma: 3.0,
                reduction: Sum,
            };
            sigmoid_focal_loss_with(&x[0], t, &o)
        }),
        ("focal_extreme", |x, t| {
            let o = SigmoidFocalOptions {
                reduction: Sum,
                ..Default::default()
            };
            sigmoid_focal_loss_with(&x[0], t, &o)
        }),
        ("softmax_focal", |x, t| softmax_focal_loss(&x[0], t)),
        ("softmax_focal_alpha_none", |x, t| {
            let o = SoftmaxFocalOptions {
                alpha: Some(vec![0.1, 0.2, 0.3, 0.2, 0.2]),
                gamma: 1.0,
                reduction: Keep,
                ..Default::default()
            };
            softmax_focal_loss_with(&x[0], t, &o)
        }),
        ("ranknet", |x, t| ranknet_loss(&x[0], &x[1], t, Mean)),
        ("pairwise_hinge", |x, _| {
            pairwise_hinge_loss(&x[0], &x[1], 0.5, Sum)
        }),
        ("info_nce_inbatch_cosine", |x, _| {
            info_nce(&x[0], &x[1], None, 0.1, Similarity::Cosine)
        }),
        ("info_nce_inbatch_dot", |x, _| {
            info_nce(&x[0], &x[1], None, 0.5, Similarity::Dot)
        }),
        ("info_nce_explicit_cosine", |x, _| {
            info_nce(&x[0], &x[1], Some(&x[2]), 0.2, Similarity::Cosine)
        }),
        ("info_nce_explicit_dot", |x, _| {
            info_nce(&x[0], &x[1], Some(&x[2]), 1.0, Similarity::Dot)
        }),
    ];
    let mut all: Vec<(&'static str, BoxedLoss)> = plain
        .into_iter()
        .map(|(n, f)| (n, Box::new(f) as BoxedLoss))
        .collect();
    let with_options = [
        ("ce_weight", ce_opts(true, 0.0, Mean)),
        ("ce_ignore_weight", ce_opts(true, 0.0, Mean)),
        ("ce_smooth", ce_opts(false, 0.1, Mean)),
        ("ce_smooth_weight_ignore", ce_opts(true, 0.2, Mean)),
        ("ce_smooth_weight_ignore_sum", ce_opts(true, 0.2, Sum)),
        ("ce_smooth_weight_ignore_none", ce_opts(true, 0.2, Keep)),
        ("ce_spatial", ce_opts(true, 0.1, Mean)),
        ("ce_spatial_none", ce_opts(false, 0.0, Keep)),
        ("ce_probs_weight_smooth", ce_opts(true, 0.3, Mean)),
        ("ce_probs_sum", ce_opts(false, 0.0, Sum)),
    ];
    for (name, options) in with_options {
        all.push((name, Box::new(ce(options))));
    }
    all
}

/// Largest |a − e| / max(1, max |e|) over the elements.
fn deviation(what: &str, actual: &Tensor, expected: &Tensor) -> f64 {
    assert_eq!(actual.shape(), expected.shape(), "{what}: shape");
    let (a, e) = (actual.to_vec::<f64>(), expected.to_vec::<f64>());
    let scale = e.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(&e)
        .map(|(a, e)| (a - e).abs() / scale)
        .fold(0.0, f64::max)
}

#[test]
fn every_loss_matches_pytorch() {
    let fx = fixtures();
    let cases = cases();
    let mut failures = Vec::new();
    let mut worst = (0.0f64, "");
    let mut checked = 0;
    for (name, loss) in &cases {
        let get = |key: String| fx.get(&key).cloned();
        let mut inputs = Vec::new();
        while let Some(t) = get(format!("{name}.in.{}", inputs.len())) {
            inputs.push(Var::param(t));
        }
        assert!(!inputs.is_empty(), "fixture has no case {name}");
        let target = get(format!("{name}.target")).unwrap_or_else(|| Tensor::zeros(&[]));
        let out = loss(&inputs, &target);
        let mut compare = |what: String, actual: &Tensor, expected: &Tensor| {
            let d = deviation(&what, actual, expected);
            if d > worst.0 {
                worst = (d, name);
            }
            if d.is_nan() || d > 1e-9 {
                failures.push(format!(
                    "{what}: deviation {d:e}\n  ferrograd {actual:?}\n  PyTorch   {expected:?}"
                ));
            }
        };
        compare(
            format!("{name}.out"),
            &out.value(),
            &fx[&format!("{name}.out")],
        );
        out.backward_with(&fx[&format!("{name}.w")]);
        if get(format!("{name}.no_grad")).is_none() {
            for (i, x) in inputs.iter().enumerate() {
                let grad = x.grad().unwrap_or_else(|| Tensor::zeros_like(&x.value()));
                compare(
                    format!("{name}.grad.{i}"),
                    &grad,
                    &fx[&format!("{name}.grad.{i}")],
                );
            }
        } else {
            for x in &inputs {
                assert!(
                    x.grad()
                        .unwrap()
                        .to_vec::<f64>()
                        .iter()
                        .all(|g| g.is_finite()),
                    "{name}: gradient not finite"
                );
            }
        }
        checked += 1;
    }
    let fixture_cases = fx.keys().filter(|k| k.ends_with(".out")).count();
    assert_eq!(checked, fixture_cases, "every fixture case has a row here");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "{checked} loss cases match PyTorch; largest deviation {:e} ({})",
        worst.0, worst.1
    );
}
