//! Every optimizer and schedule against PyTorch, on the fixtures written by
//! `tests/fixtures/fixtures_optim.py` (PyTorch 2, float64 on CPU).
//!
//! ```text
//! fixture: init θ₀, gradients g₁..g₂₀ (seeded), θ₁..θ₂₀ after each torch step
//! here:    the same θ₀, p.set_grad(gₜ), opt.step(), compare θₜ to 1e-6 relative
//! ```

use autograd::{Gradient, RowGradient, Var};
use optim::schedule::{
    CosineAnnealing, ExponentialLR, LinearWarmup, MultiStepLR, Noam, PolynomialLR, Sequential,
    StepLR,
};
use optim::{Adagrad, Adam, AdamW, LrSchedule, Optimizer, ParamGroup, RMSprop, SGD, SparseAdam};
use tensor::Tensor;
use tensor::io::{StateDict, load_file};

const STEPS: usize = 20;

fn fixture(name: &str) -> StateDict {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    load_file(&path)
        .unwrap_or_else(|e| panic!("{e}; regenerate with tests/fixtures/fixtures_optim.py"))
}

fn get<'a>(fixtures: &'a StateDict, key: &str) -> &'a Tensor {
    fixtures
        .get(key)
        .unwrap_or_else(|| panic!("fixture has no tensor {key}"))
}

/// Assert `actual ≈ expected` to 1e-6 relative (the values are O(1), f64 on both sides).
#[track_caller]
fn assert_matches(what: &str, actual: &Tensor, expected: &Tensor) {
    assert_eq!(actual.shape(), expected.shape(), "{what}: shape");
    let (a, e) = (actual.to_vec::<f64>(), expected.to_vec::<f64>());
    for (i, (a, e)) in a.iter().zip(&e).enumerate() {
        let err = (a - e).abs() / e.abs().max(1e-3);
        assert!(
            err <= 1e-6,
            "{what}, element {i}: ferrograd {a} vs PyTorch {e} (relative error {err:e})"
        );
    }
}

type Make = fn(Vec<Var>) -> Box<dyn Optimizer>;

/// The cases of `CASES` in fixtures_optim.py, with the same hyperparameters.
const CASES: &[(&str, Make)] = &[
    ("sgd_plain", |p| Box::new(SGD::new(p, 0.1))),
    ("sgd_momentum", |p| Box::new(SGD::new(p, 0.1).momentum(0.9))),
    ("sgd_nesterov", |p| {
        Box::new(SGD::new(p, 0.1).momentum(0.9).nesterov(true))
    }),
    ("sgd_weight_decay", |p| {
        Box::new(SGD::new(p, 0.1).momentum(0.9).weight_decay(0.01))
    }),
    ("sgd_dampening", |p| {
        Box::new(SGD::new(p, 0.1).momentum(0.9).dampening(0.5))
    }),
    ("adam", |p| Box::new(Adam::new(p, 0.01))),
    ("adam_amsgrad", |p| {
        Box::new(Adam::new(p, 0.01).amsgrad(true))
    }),
    ("adam_weight_decay", |p| {
        Box::new(Adam::new(p, 0.01).weight_decay(0.1))
    }),
    ("adam_betas_eps", |p| {
        Box::new(Adam::new(p, 0.01).betas((0.8, 0.9)).eps(1e-3))
    }),
    ("adamw", |p| Box::new(AdamW::new(p, 0.01))),
    ("adamw_amsgrad", |p| {
        Box::new(AdamW::new(p, 0.01).weight_decay(0.1).amsgrad(true))
    }),
    ("rmsprop", |p| Box::new(RMSprop::new(p, 0.01))),
    ("rmsprop_centered_momentum", |p| {
        Box::new(RMSprop::new(p, 0.01).momentum(0.9).centered(true))
    }),
    ("rmsprop_weight_decay", |p| {
        Box::new(RMSprop::new(p, 0.01).weight_decay(0.1))
    }),
    ("adagrad", |p| Box::new(Adagrad::new(p, 0.1))),
    ("adagrad_options", |p| {
        Box::new(
            Adagrad::new(p, 0.1)
                .lr_decay(0.01)
                .weight_decay(0.1)
                .initial_accumulator_value(0.1),
        )
    }),
];

#[test]
fn every_optimizer_matches_pytorch_for_20_steps() {
    let fx = fixture("optim_updates.safetensors");
    let grads = get(&fx, "grads");
    for (name, make) in CASES {
        let p = Var::param(get(&fx, "init").clone());
        let mut opt = make(vec![p.clone()]);
        let expected = get(&fx, &format!("{name}.params"));
        for t in 0..STEPS {
            p.set_grad(Some(Gradient::Dense(grads.select(0, t))));
            opt.step();
            assert_matches(
                &format!("{name} step {}", t + 1),
                &p.value(),
                &expected.select(0, t),
            );
        }
    }
}

#[test]
fn parameter_groups_and_set_lr_match_pytorch_lambda_lr() {
    let fx = fixture("optim_updates.safetensors");
    type MakeGroups = fn(Var, Var) -> Box<dyn Optimizer>;
    let cases: [(&str, f64, MakeGroups); 2] = [
        ("groups_adamw", 0.01, |w, b| {
            let groups = vec![
                ParamGroup::new(vec![w]),
                ParamGroup::new(vec![b]).lr(0.05).weight_decay(0.0),
            ];
            Box::new(AdamW::with_groups(groups, 0.01))
        }),
        ("groups_sgd", 0.1, |w, b| {
            let groups = vec![
                ParamGroup::new(vec![w]).weight_decay(0.1),
                ParamGroup::new(vec![b]).lr(0.2),
            ];
            Box::new(SGD::with_groups(groups, 0.1).momentum(0.9))
        }),
    ];
    for (name, lr, make) in cases {
        let w = Var::param(get(&fx, "groups.w.init").clone());
        let b = Var::param(get(&fx, "groups.b.init").clone());
        let mut opt = make(w.clone(), b.clone());
        // LambdaLR(lambda t: 0.95**t): every group's initial lr times 0.95ᵗ
        let schedule = move |t: usize| lr * 0.95f64.powf(t as f64);
        for t in 0..STEPS {
            opt.set_lr(schedule.lr(t));
            w.set_grad(Some(Gradient::Dense(
                get(&fx, "groups.w.grads").select(0, t),
            )));
            b.set_grad(Some(Gradient::Dense(
                get(&fx, "groups.b.grads").select(0, t),
            )));
            opt.step();
            let expected_w = get(&fx, &format!("{name}.w.params")).select(0, t);
            let expected_b = get(&fx, &format!("{name}.b.params")).select(0, t);
            assert_matches(&format!("{name} w step {}", t + 1), &w.value(), &expected_w);
            assert_matches(&format!("{name} b step {}", t + 1), &b.value(), &expected_b);
        }
    }
}

/// The sparse gradient of step `t`: 4 looked-up rows of the [6, 3] table (may repeat).
fn sparse_grad(fx: &StateDict, t: usize) -> RowGradient {
    let indices = get(fx, "sparse.indices").select(0, t).to_vec::<f64>();
    RowGradient {
        indices: indices.iter().map(|&i| i as usize).collect(),
        rows: get(fx, "sparse.values").select(0, t),
        num_rows: 6,
    }
}

#[test]
fn sparse_adam_and_sparse_sgd_match_pytorch_and_leave_other_rows_alone() {
    let fx = fixture("optim_updates.safetensors");
    let cases: [(&str, Make); 2] = [
        ("sparse_adam", |p| Box::new(SparseAdam::new(p, 0.01))),
        ("sparse_sgd", |p| Box::new(SGD::new(p, 0.1))),
    ];
    for (name, make) in cases {
        let table = Var::param(get(&fx, "sparse.init").clone());
        let mut opt = make(vec![table.clone()]);
        for t in 0..STEPS {
            let grad = sparse_grad(&fx, t);
            let before = table.value().to_vec::<f64>();
            let touched = grad.indices.clone();
            table.set_grad(Some(Gradient::Rows(grad)));
            opt.step();
            let after = table.value().to_vec::<f64>();
            for row in (0..6).filter(|r| !touched.contains(r)) {
                let bits = |v: &[f64]| {
                    v[row * 3..row * 3 + 3]
                        .iter()
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>()
                };
                assert_eq!(
                    bits(&after),
                    bits(&before),
                    "{name} step {}: untouched row {row} changed",
                    t + 1
                );
            }
            let expected = get(&fx, &format!("{name}.params")).select(0, t);
            assert_matches(&format!("{name} step {}", t + 1), &table.value(), &expected);
        }
    }
}

#[test]
fn schedules_match_pytorch() {
    let fx = fixture("optim_schedules.safetensors");
    let cases: Vec<(&str, Box<dyn LrSchedule>)> = vec![
        ("noam_lambda", Box::new(Noam::new(512, 10))),
        (
            "cosine",
            Box::new(CosineAnnealing::new(0.1, 10).eta_min(0.001)),
        ),
        (
            "linear_then_cosine",
            Box::new(
                Sequential::new(LinearWarmup::new(0.1, 5).start_factor(0.1))
                    .then(5, CosineAnnealing::new(0.1, 15)),
            ),
        ),
        (
            "linear",
            Box::new(LinearWarmup::new(0.1, 4).start_factor(0.25)),
        ),
        ("step", Box::new(StepLR::new(0.1, 3, 0.5))),
        (
            "multistep",
            Box::new(MultiStepLR::new(0.1, vec![2, 5, 9], 0.1)),
        ),
        ("exponential", Box::new(ExponentialLR::new(0.1, 0.9))),
        (
            "polynomial",
            Box::new(PolynomialLR::new(0.1, 10).power(2.0)),
        ),
    ];
    for (name, schedule) in cases {
        let expected = get(&fx, name).to_vec::<f64>();
        for (step, e) in expected.iter().enumerate() {
            let lr = schedule.lr(step);
            assert!(
                (lr - e).abs() <= 1e-9 * e.abs() + 1e-15,
                "{name} at step {step}: ferrograd {lr} vs PyTorch {e}"
            );
        }
    }
}
