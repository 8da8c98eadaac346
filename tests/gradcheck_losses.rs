//! Every loss, gradchecked in f64 with respect to each of its float inputs, for every
//! option that changes the math (weights, ignore_index, label smoothing, pos_weight,
//! reductions, log_target, swap, p, α, γ, similarity, explicit negatives).
//!
//! ```text
//! one row = (name, inputs, |vars| loss)     gradcheck: central differences, eps 1e-6,
//!                                           atol 1e-5, rtol 1e-3 (autograd::gradcheck)
//! ```
//! Inputs are drawn once from a fixed seed; labels and options are constants inside
//! the closures. Draws are continuous, so no input sits on a kink (|d| = δ in huber,
//! 0 in l1 and the hinges) except with probability zero.

use autograd::{Var, gradcheck};
use nn::loss::*;
use tensor::{Tensor, manual_seed};

type Row = (&'static str, Vec<Tensor>, Box<dyn Fn(&[Var]) -> Var>);

fn t(values: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec_f64(values.to_vec(), shape)
}

fn randn(shape: &[usize]) -> Tensor {
    Tensor::randn(shape)
}

/// Uniform in `[lo, hi)`: probabilities away from 0 and 1, relevances > 0.
fn uniform(shape: &[usize], lo: f64, hi: f64) -> Tensor {
    Tensor::uniform(shape, lo, hi)
}

fn ce_row(name: &'static str, logits: Tensor, target: Tensor, options: CrossEntropyOptions) -> Row {
    (
        name,
        vec![logits],
        Box::new(move |v: &[Var]| cross_entropy_with(&v[0], &target, &options)),
    )
}

fn ce_options(weight: bool, smoothing: f64, reduction: Reduction) -> CrossEntropyOptions {
    CrossEntropyOptions {
        weight: weight.then(|| t(&[0.5, 1.0, 2.0, 1.5], &[4])),
        label_smoothing: smoothing,
        reduction,
        ..Default::default()
    }
}

fn classification_rows() -> Vec<Row> {
    use Reduction::{Mean, None as Keep, Sum};
    let y = Tensor::from_vec_i64(vec![1, 3, 0], &[3]);
    let y_ignore = Tensor::from_vec_i64(vec![1, -100, 2], &[3]);
    let probs = randn(&[3, 4]).softmax(1);
    let spatial_y = Tensor::from_vec_i64(vec![0, 3, -100, 2, 1, 1], &[2, 3]);
    let alpha = Some(vec![0.1, 0.4, 0.3, 0.2]);
    vec![
        ce_row(
            "cross_entropy",
            randn(&[3, 4]),
            y.clone(),
            ce_options(false, 0.0, Mean),
        ),
        ce_row(
            "cross_entropy weight",
            randn(&[3, 4]),
            y.clone(),
            ce_options(true, 0.0, Mean),
        ),
        ce_row(
            "cross_entropy weight ignore",
            randn(&[3, 4]),
            y_ignore.clone(),
            ce_options(true, 0.0, Mean),
        ),
        ce_row(
            "cross_entropy smoothing",
            randn(&[3, 4]),
            y.clone(),
            ce_options(false, 0.2, Mean),
        ),
        ce_row(
            "cross_entropy smoothing weight ignore",
            randn(&[3, 4]),
            y_ignore.clone(),
            ce_options(true, 0.2, Mean),
        ),
        ce_row(
            "cross_entropy smoothing weight ignore sum",
            randn(&[3, 4]),
            y_ignore.clone(),
            ce_options(true, 0.2, Sum),
        ),
        ce_row(
            "cross_entropy smoothing weight ignore none",
            randn(&[3, 4]),
            y_ignore.clone(),
            ce_options(true, 0.2, Keep),
        ),
        ce_row(
            "cross_entropy spatial [2, 4, 3]",
            randn(&[2, 4, 3]),
            spatial_y,
            ce_options(true, 0.1, Mean),
        ),
        ce_row(
            "cross_entropy 1-D",
            randn(&[4]),
            Tensor::from_vec_i64(vec![2], &[]),
            ce_options(false, 0.0, Mean),
        ),
        ce_row(
            "cross_entropy probabilities",
            randn(&[3, 4]),
            probs.clone(),
            ce_options(false, 0.0, Mean),
        ),
        ce_row(
            "cross_entropy probabilities weight smoothing",
            randn(&[3, 4]),
            probs.clone(),
            ce_options(true, 0.3, Mean),
        ),
        ce_row(
            "cross_entropy probabilities none",
            randn(&[3, 4]),
            probs,
            ce_options(false, 0.0, Keep),
        ),
        (
            "nll_loss",
            vec![randn(&[3, 4])],
            Box::new({
                let y = y.clone();
                move |v: &[Var]| nll_loss(&v[0], &y)
            }),
        ),
        (
            "nll_loss weight ignore none",
            vec![randn(&[3, 4])],
            Box::new({
                let y = y_ignore.clone();
                move |v: &[Var]| {
                    let o = NllLossOptions {
                        weight: Some(t(&[0.5, 1.0, 2.0, 1.5], &[4])),
                        reduction: Keep,
                        ..Default::default()
                    };
                    nll_loss_with(&v[0], &y, &o)
                }
            }),
        ),
        (
            "softmax_focal_loss",
            vec![randn(&[3, 4])],
            Box::new({
                let y = y.clone();
                move |v: &[Var]| softmax_focal_loss(&v[0], &y)
            }),
        ),
        (
            "softmax_focal_loss alpha gamma 0.5 ignore none",
            vec![randn(&[3, 4])],
            Box::new({
                let y = y_ignore.clone();
                move |v: &[Var]| {
                    let o = SoftmaxFocalOptions {
                        alpha: alpha.clone(),
                        gamma: 0.5,
                        reduction: Keep,
                        ..Default::default()
                    };
                    softmax_focal_loss_with(&v[0], &y, &o)
                }
            }),
        ),
        (
            "softmax_focal_loss gamma 0 sum",
            vec![randn(&[3, 4])],
            Box::new(move |v: &[Var]| {
                let o = SoftmaxFocalOptions {
                    gamma: 0.0,
                    reduction: Sum,
                    ..Default::default()
                };
                softmax_focal_loss_with(&v[0], &y, &o)
            }),
        ),
    ]
}

fn binary_rows() -> Vec<Row> {
    use Reduction::{Mean, None as Keep, Sum};
    let y = uniform(&[3, 4], 0.0, 1.0);
    let hard = t(
        &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0],
        &[3, 4],
    );
    let y1 = y.clone();
    let y2 = y.clone();
    let h1 = hard.clone();
    let h2 = hard.clone();
    let h3 = hard.clone();
    vec![
        (
            "binary_cross_entropy",
            vec![uniform(&[3, 4], 0.05, 0.95)],
            Box::new(move |v: &[Var]| binary_cross_entropy(&v[0], &y1)),
        ),
        (
            "binary_cross_entropy weight sum",
            vec![uniform(&[3, 4], 0.05, 0.95)],
            Box::new(move |v: &[Var]| {
                let o = BceOptions {
                    weight: Some(t(&[0.2, 0.7, 1.3, 0.9], &[4])),
                    reduction: Sum,
                };
                binary_cross_entropy_with(&v[0], &h1, &o)
            }),
        ),
        (
            "binary_cross_entropy_with_logits",
            vec![randn(&[3, 4])],
            Box::new(move |v: &[Var]| binary_cross_entropy_with_logits(&v[0], &y2)),
        ),
        (
            "binary_cross_entropy_with_logits pos_weight weight none",
            vec![randn(&[3, 4])],
            Box::new(move |v: &[Var]| {
                let o = BceWithLogitsOptions {
                    weight: Some(t(&[1.0, 0.5, 2.0, 1.0], &[4])),
                    pos_weight: Some(t(&[3.0, 1.0, 0.5, 2.0], &[4])),
                    reduction: Keep,
                };
                binary_cross_entropy_with_logits_with(&v[0], &h2, &o)
            }),
        ),
        (
            "sigmoid_focal_loss",
            vec![randn(&[3, 4])],
            Box::new(move |v: &[Var]| sigmoid_focal_loss(&v[0], &h3)),
        ),
        (
            "sigmoid_focal_loss no alpha gamma 1.5 mean soft labels",
            vec![randn(&[3, 4])],
            Box::new(move |v: &[Var]| {
                let o = SigmoidFocalOptions {
                    alpha: -1.0,
                    gamma: 1.5,
                    reduction: Mean,
                };
                sigmoid_focal_loss_with(&v[0], &y, &o)
            }),
        ),
        (
            "sigmoid_focal_loss gamma 0 sum",
            vec![randn(&[3, 4])],
            Box::new(move |v: &[Var]| {
                let o = SigmoidFocalOptions {
                    gamma: 0.0,
                    reduction: Sum,
                    ..Default::default()
                };
                sigmoid_focal_loss_with(&v[0], &hard, &o)
            }),
        ),
    ]
}

fn regression_rows() -> Vec<Row> {
    use Reduction::{Mean, None as Keep, Sum};
    let two = || vec![Tensor::randn(&[3, 4]).mul_scalar(2.0), randn(&[3, 4])];
    let kl_inputs = || vec![randn(&[3, 4]).log_softmax(1), uniform(&[3, 4], 0.1, 1.0)];
    vec![
        (
            "mse_loss",
            two(),
            Box::new(|v: &[Var]| mse_loss(&v[0], &v[1], Mean)),
        ),
        (
            "mse_loss none",
            two(),
            Box::new(|v: &[Var]| mse_loss(&v[0], &v[1], Keep)),
        ),
        (
            "l1_loss sum",
            two(),
            Box::new(|v: &[Var]| l1_loss(&v[0], &v[1], Sum)),
        ),
        (
            "huber_loss",
            two(),
            Box::new(|v: &[Var]| huber_loss(&v[0], &v[1], 1.0, Mean)),
        ),
        (
            "huber_loss delta 0.5 none",
            two(),
            Box::new(|v: &[Var]| huber_loss(&v[0], &v[1], 0.5, Keep)),
        ),
        (
            "smooth_l1_loss",
            two(),
            Box::new(|v: &[Var]| smooth_l1_loss(&v[0], &v[1], 1.0, Mean)),
        ),
        (
            "smooth_l1_loss beta 0.5 sum",
            two(),
            Box::new(|v: &[Var]| smooth_l1_loss(&v[0], &v[1], 0.5, Sum)),
        ),
        (
            "smooth_l1_loss beta 0",
            two(),
            Box::new(|v: &[Var]| smooth_l1_loss(&v[0], &v[1], 0.0, Mean)),
        ),
        (
            "kl_div batchmean",
            kl_inputs(),
            Box::new(|v: &[Var]| kl_div(&v[0], &v[1], KlDivReduction::BatchMean, false)),
        ),
        (
            "kl_div mean",
            kl_inputs(),
            Box::new(|v: &[Var]| kl_div(&v[0], &v[1], KlDivReduction::Mean, false)),
        ),
        (
            "kl_div sum",
            kl_inputs(),
            Box::new(|v: &[Var]| kl_div(&v[0], &v[1], KlDivReduction::Sum, false)),
        ),
        (
            "kl_div none",
            kl_inputs(),
            Box::new(|v: &[Var]| kl_div(&v[0], &v[1], KlDivReduction::None, false)),
        ),
        (
            "kl_div log_target",
            vec![randn(&[3, 4]), randn(&[3, 4])],
            Box::new(|v: &[Var]| kl_div(&v[0], &v[1], KlDivReduction::BatchMean, true)),
        ),
    ]
}

fn ranking_rows() -> Vec<Row> {
    use Reduction::{Mean, None as Keep, Sum};
    let pm1 = t(&[1.0, -1.0, -1.0, 1.0, 1.0, -1.0], &[6]);
    let (pm1_a, pm1_b, pm1_c) = (
        pm1.clone(),
        pm1.clone(),
        t(&[1.0, -1.0, 1.0, -1.0, -1.0], &[5]),
    );
    let preference = t(&[0.0, 0.5, 1.0, 1.0, 0.0, 0.5], &[6]);
    let triple = || vec![randn(&[4, 3]), randn(&[4, 3]), randn(&[4, 3])];
    vec![
        (
            "margin_ranking_loss",
            vec![randn(&[6]), randn(&[6])],
            Box::new(move |v: &[Var]| margin_ranking_loss(&v[0], &v[1], &pm1_a, 0.3, Mean)),
        ),
        (
            "hinge_embedding_loss",
            vec![uniform(&[6], 0.0, 3.0)],
            Box::new(move |v: &[Var]| hinge_embedding_loss(&v[0], &pm1_b, 1.5, Keep)),
        ),
        (
            "cosine_embedding_loss",
            vec![randn(&[5, 3]), randn(&[5, 3])],
            Box::new(move |v: &[Var]| cosine_embedding_loss(&v[0], &v[1], &pm1_c, -0.2, Sum)),
        ),
        (
            "cosine_embedding_loss 1-D",
            vec![randn(&[3]), randn(&[3])],
            Box::new(|v: &[Var]| cosine_embedding_loss(&v[0], &v[1], &t(&[1.0], &[]), 0.0, Mean)),
        ),
        (
            "triplet_margin_loss",
            triple(),
            Box::new(|v: &[Var]| triplet_margin_loss(&v[0], &v[1], &v[2])),
        ),
        (
            "triplet_margin_loss p 3 swap margin 2 none",
            triple(),
            Box::new(|v: &[Var]| {
                let o = TripletMarginOptions {
                    margin: 2.0,
                    p: 3.0,
                    swap: true,
                    reduction: Keep,
                    ..Default::default()
                };
                triplet_margin_loss_with(&v[0], &v[1], &v[2], &o)
            }),
        ),
        (
            "triplet_margin_loss p 1 sum",
            triple(),
            Box::new(|v: &[Var]| {
                let o = TripletMarginOptions {
                    margin: 3.0,
                    p: 1.0,
                    reduction: Sum,
                    ..Default::default()
                };
                triplet_margin_loss_with(&v[0], &v[1], &v[2], &o)
            }),
        ),
        (
            "ranknet_loss",
            vec![randn(&[6]), randn(&[6])],
            Box::new(move |v: &[Var]| ranknet_loss(&v[0], &v[1], &preference, Mean)),
        ),
        (
            "pairwise_hinge_loss",
            vec![randn(&[6]), randn(&[6])],
            Box::new(|v: &[Var]| pairwise_hinge_loss(&v[0], &v[1], 1.0, Sum)),
        ),
        (
            "info_nce in-batch cosine",
            vec![randn(&[4, 3]), randn(&[4, 3])],
            Box::new(|v: &[Var]| info_nce(&v[0], &v[1], None, 0.1, Similarity::Cosine)),
        ),
        (
            "info_nce in-batch dot",
            vec![randn(&[4, 3]), randn(&[4, 3])],
            Box::new(|v: &[Var]| info_nce(&v[0], &v[1], None, 0.5, Similarity::Dot)),
        ),
        (
            "info_nce negatives cosine",
            vec![randn(&[3, 4]), randn(&[3, 4]), randn(&[3, 5, 4])],
            Box::new(|v: &[Var]| info_nce(&v[0], &v[1], Some(&v[2]), 0.2, Similarity::Cosine)),
        ),
        (
            "info_nce negatives dot",
            vec![randn(&[3, 4]), randn(&[3, 4]), randn(&[3, 5, 4])],
            Box::new(|v: &[Var]| info_nce(&v[0], &v[1], Some(&v[2]), 1.0, Similarity::Dot)),
        ),
    ]
}

#[test]
fn every_loss_passes_gradcheck_in_f64() {
    manual_seed(7);
    let rows: Vec<Row> = [
        classification_rows(),
        binary_rows(),
        regression_rows(),
        ranking_rows(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut failures = Vec::new();
    for (name, inputs, loss) in &rows {
        let report = gradcheck(|v: &[Var]| loss(v), inputs);
        if !report.passed() {
            failures.push(format!("[{name}] {report}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} losses failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Logits of ±1e4 and probabilities of exactly 0 and 1, in both dtypes: every loss
/// that takes them gives a finite value and finite gradients.
#[test]
fn losses_are_finite_at_extreme_logits_and_probabilities() {
    use tensor::DType;
    let logits = [1e4, -1e4, 0.0, -1e4, 1e4, 1e4];
    let probabilities = [0.0, 1.0, 0.0, 1.0, 0.5, 1.0];
    let labels = t(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[2, 3]);
    let class = Tensor::from_vec_i64(vec![1, 0], &[2]);
    let smoothing = CrossEntropyOptions {
        label_smoothing: 0.1,
        weight: Some(t(&[1.0, 2.0, 0.5], &[3])),
        ..Default::default()
    };
    type Case<'a> = (&'static str, [f64; 6], Box<dyn Fn(&Var) -> Var + 'a>);
    let cases: Vec<Case> = vec![
        (
            "cross_entropy",
            logits,
            Box::new(|x| cross_entropy(x, &class)),
        ),
        (
            "cross_entropy smoothing weight",
            logits,
            Box::new(|x| cross_entropy_with(x, &class, &smoothing)),
        ),
        (
            "cross_entropy probabilities",
            logits,
            Box::new(|x| cross_entropy(x, &Tensor::one_hot(&class, 3).to_dtype(x.dtype()))),
        ),
        (
            "binary_cross_entropy",
            probabilities,
            Box::new(|x| binary_cross_entropy(x, &labels)),
        ),
        (
            "binary_cross_entropy_with_logits",
            logits,
            Box::new(|x| binary_cross_entropy_with_logits(x, &labels)),
        ),
        (
            "sigmoid_focal_loss",
            logits,
            Box::new(|x| sigmoid_focal_loss(x, &labels).sum()),
        ),
        (
            "softmax_focal_loss",
            logits,
            Box::new(|x| softmax_focal_loss(x, &class)),
        ),
        (
            "ranknet_loss",
            logits,
            Box::new(|x| ranknet_loss(x, &x.mul_scalar(-1.0), &labels, Reduction::Mean)),
        ),
        (
            "kl_div",
            logits,
            Box::new(|x| {
                kl_div(
                    &x.log_softmax(1),
                    &Var::new(labels.to_dtype(x.dtype())),
                    KlDivReduction::BatchMean,
                    false,
                )
            }),
        ),
        (
            "info_nce dot",
            logits,
            Box::new(|x| info_nce(x, &x.mul_scalar(0.5), None, 0.07, Similarity::Dot)),
        ),
    ];
    for dtype in [DType::F32, DType::F64] {
        for (name, values, loss) in &cases {
            let x = Var::param(t(values, &[2, 3]).to_dtype(dtype));
            let value = loss(&x);
            assert!(
                value.item().is_finite(),
                "{name} ({dtype}): loss {}",
                value.item()
            );
            value.backward();
            let grad = x.grad().expect("a gradient").to_vec::<f64>();
            assert!(
                grad.iter().all(|g| g.is_finite()),
                "{name} ({dtype}): gradient {grad:?}"
            );
        }
    }
}
