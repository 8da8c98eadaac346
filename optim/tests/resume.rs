//! Resuming training from a checkpoint gives bit-identical parameters.
//!
//! ```text
//! run A:  20 steps                                                     → θ_A
//! run B:  10 steps → save params (safetensors) + optimizer state
//!         fresh Vars ← params file, fresh optimizer ← state file
//!         10 more steps                                                → θ_B == θ_A, bit for bit
//! ```
//! The model is a linear regression `y = x·W + b` with a mean squared error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use autograd::Var;
use optim::schedule::WarmupCosine;
use optim::{Adagrad, Adam, AdamW, LrSchedule, Optimizer, ParamGroup, RMSprop, SGD};
use tensor::Tensor;
use tensor::io::{load_file, save_state_dict};

type Make = fn(&Var, &Var) -> Box<dyn Optimizer>;

/// Optimizers whose state must survive a save and load.
const OPTIMIZERS: &[(&str, Make)] = &[
    ("adam", |w, b| {
        Box::new(Adam::new(vec![w.clone(), b.clone()], 0.05))
    }),
    ("adamw_groups_amsgrad", |w, b| {
        let groups = vec![
            ParamGroup::new(vec![w.clone()]),
            ParamGroup::new(vec![b.clone()]).lr(0.1).weight_decay(0.0),
        ];
        Box::new(AdamW::with_groups(groups, 0.05).amsgrad(true))
    }),
    ("sgd_nesterov", |w, b| {
        Box::new(
            SGD::new(vec![w.clone(), b.clone()], 0.02)
                .momentum(0.9)
                .nesterov(true),
        )
    }),
    ("rmsprop_centered", |w, b| {
        Box::new(
            RMSprop::new(vec![w.clone(), b.clone()], 0.01)
                .momentum(0.5)
                .centered(true),
        )
    }),
    ("adagrad", |w, b| {
        Box::new(Adagrad::new(vec![w.clone(), b.clone()], 0.1).lr_decay(0.01))
    }),
];

/// Fixed data: x [16, 3] and y = x·W* + b* with W* = [[1, −2], [0.5, 0], [3, 1]], b* = [0.1, −0.3].
fn data() -> (Var, Var) {
    let x: Vec<f32> = (0..48).map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0).collect();
    let x = Tensor::from_vec(x, &[16, 3]);
    let w_true = Tensor::from_vec(vec![1.0, -2.0, 0.5, 0.0, 3.0, 1.0], &[3, 2]);
    let b_true = Tensor::from_vec(vec![0.1, -0.3], &[2]);
    let y = &x.matmul(&w_true) + &b_true;
    (Var::new(x), Var::new(y))
}

/// Train `steps` steps from step `start`, with a warmup-cosine schedule.
fn train(opt: &mut dyn Optimizer, w: &Var, b: &Var, start: usize, steps: usize) {
    let (x, y) = data();
    let base = opt.param_groups().initial_lr;
    let schedule = WarmupCosine::new(base, 5, 20).min_lr(base / 10.0);
    for step in start..start + steps {
        opt.zero_grad();
        let err = &(&x.matmul(w) + b) - &y;
        (&err * &err).mean().backward();
        opt.set_lr(schedule.lr(step));
        opt.step();
    }
}

fn fresh_params() -> (Var, Var) {
    let w = Var::param(Tensor::from_vec(
        vec![0.1, 0.2, -0.1, 0.0, 0.3, -0.2],
        &[3, 2],
    ));
    let b = Var::param(Tensor::zeros(&[2]));
    (w, b)
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ferrograd_resume_{}_{name}.safetensors",
        std::process::id()
    ))
}

fn bits(v: &Var) -> Vec<u32> {
    v.value()
        .to_vec::<f32>()
        .iter()
        .map(|x| x.to_bits())
        .collect()
}

#[test]
fn resumed_training_is_bit_identical() {
    for (name, make) in OPTIMIZERS {
        // run A: 20 steps in one go
        let (w_a, b_a) = fresh_params();
        let mut opt_a = make(&w_a, &b_a);
        train(opt_a.as_mut(), &w_a, &b_a, 0, 20);

        // run B: 10 steps, save, reload into new Vars and a new optimizer, 10 more
        let (w, b) = fresh_params();
        let mut opt = make(&w, &b);
        train(opt.as_mut(), &w, &b, 0, 10);
        let params = BTreeMap::from([
            ("weight".to_string(), w.value()),
            ("bias".to_string(), b.value()),
        ]);
        let (params_path, state_path) = (
            temp(&format!("{name}_params")),
            temp(&format!("{name}_optim")),
        );
        save_state_dict(&params, &params_path).unwrap();
        save_state_dict(&opt.state_dict(), &state_path).unwrap();
        drop((opt, w, b));

        let loaded = load_file(&params_path).unwrap();
        let (w_b, b_b) = (
            Var::param(loaded["weight"].clone()),
            Var::param(loaded["bias"].clone()),
        );
        let mut opt_b = make(&w_b, &b_b);
        opt_b
            .load_state_dict(&load_file(&state_path).unwrap())
            .unwrap();
        train(opt_b.as_mut(), &w_b, &b_b, 10, 10);

        assert_eq!(
            bits(&w_b),
            bits(&w_a),
            "{name}: weight differs after resuming"
        );
        assert_eq!(
            bits(&b_b),
            bits(&b_a),
            "{name}: bias differs after resuming"
        );
        assert_ne!(
            bits(&w_a),
            bits(&fresh_params().0),
            "{name}: training did not move the weight"
        );
        std::fs::remove_file(params_path).unwrap();
        std::fs::remove_file(state_path).unwrap();
    }
}

#[test]
fn save_and_load_methods_round_trip_and_name_the_file_on_mismatch() {
    let (w, b) = fresh_params();
    let mut opt = Adam::new(vec![w.clone(), b.clone()], 0.05);
    train(&mut opt, &w, &b, 0, 3);
    let path = temp("methods");
    opt.save(&path).unwrap();
    let mut again = Adam::new(vec![w.clone(), b.clone()], 0.05);
    again.load(&path).unwrap();
    assert_eq!(again.state_dict()["state.0.step"].item(), 3.0);
    assert_eq!(again.lr(), opt.lr());

    // a model with a different bias shape does not fit: the error names file and slot
    let other = Var::param(Tensor::zeros(&[5]));
    let err = Adam::new(vec![w, other], 0.05).load(&path).unwrap_err();
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("state.1.exp_avg: optimizer has shape [5], state dict has [2]"),
        "{message}"
    );
    std::fs::remove_file(path).unwrap();
}
