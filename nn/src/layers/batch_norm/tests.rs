//! Tests of `BatchNorm1d` / `BatchNorm2d`: batch statistics and running-statistic
//! updates in training, running statistics in evaluation, and gradchecks of both.

use super::*;
use autograd::gradcheck_with_params;
use tensor::DType;

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
    }
}

/// `[B = 2, C = 2, L = 2]`: channel 0 holds {1, 3, 5, 7}, channel 1 holds {0, 0, 2, −2}.
fn batch() -> Tensor {
    Tensor::from_vec(vec![1.0, 3.0, 0.0, 0.0, 5.0, 7.0, 2.0, -2.0], &[2, 2, 2])
}

fn values(v: &Option<Var>) -> Vec<f64> {
    v.as_ref().expect("buffer").value().to_vec()
}

#[test]
fn training_uses_batch_statistics_and_updates_the_running_ones() {
    for dtype in [DType::F32, DType::F64] {
        let bn = BatchNorm1d::new(2).eps(0.0);
        bn.to_dtype(dtype);
        let y: Vec<f64> = bn
            .forward(&Var::new(batch().to_dtype(dtype)))
            .value()
            .to_vec();
        // channel 0: μ 4, σ² (9 + 1 + 1 + 9)/4 = 5 → (x − 4)/√5
        // channel 1: μ 0, σ² (0 + 0 + 4 + 4)/4 = 2 → x/√2
        let (a, b) = (5f64.sqrt(), 2f64.sqrt());
        let expected = [
            -3.0 / a,
            -1.0 / a,
            0.0,
            0.0,
            1.0 / a,
            3.0 / a,
            2.0 / b,
            -2.0 / b,
        ];
        close(&y, &expected, 1e-6);
        // running_mean = 0.9·0 + 0.1·[4, 0]; running_var = 0.9·1 + 0.1·[20/3, 8/3] (÷ n − 1)
        close(&values(&bn.running_mean), &[0.4, 0.0], 1e-6);
        close(
            &values(&bn.running_var),
            &[0.9 + 2.0 / 3.0, 0.9 + 0.8 / 3.0],
            1e-6,
        );
        assert_eq!(values(&bn.num_batches_tracked), [1.0]);
    }
}

#[test]
fn eval_uses_the_running_statistics_and_leaves_them_alone() {
    let mut bn = BatchNorm1d::new(2).eps(0.0);
    bn.running_mean
        .as_ref()
        .unwrap()
        .set_value(Tensor::from_vec(vec![1.0, -1.0], &[2]));
    bn.running_var
        .as_ref()
        .unwrap()
        .set_value(Tensor::from_vec(vec![4.0, 0.25], &[2]));
    bn.weight
        .as_ref()
        .unwrap()
        .set_value(Tensor::from_vec(vec![2.0, 1.0], &[2]));
    bn.bias
        .as_ref()
        .unwrap()
        .set_value(Tensor::from_vec(vec![0.0, 10.0], &[2]));
    bn.eval();
    // channel 0: 2·(x − 1)/2 = x − 1; channel 1: (x + 1)/0.5 + 10 = 2x + 12
    let y: Vec<f64> = bn.forward(&Var::new(batch())).value().to_vec();
    close(&y, &[0.0, 2.0, 12.0, 12.0, 4.0, 6.0, 16.0, 8.0], 1e-6);
    close(&values(&bn.running_mean), &[1.0, -1.0], 0.0);
    assert_eq!(values(&bn.num_batches_tracked), [0.0]);
    // a single sample is fine in eval mode
    let one = bn.forward(&Var::new(Tensor::from_vec(vec![3.0, 0.0], &[1, 2])));
    close(&one.value().to_vec::<f64>(), &[2.0, 12.0], 1e-6);
}

#[test]
fn momentum_none_keeps_a_cumulative_average() {
    let bn = BatchNorm1d::new(1).momentum(None);
    // batch means 2 and 6, unbiased variances 2 and 8: averages 4 and 5
    bn.forward(&Var::new(Tensor::from_vec(vec![1.0, 3.0], &[2, 1])));
    bn.forward(&Var::new(Tensor::from_vec(vec![4.0, 8.0], &[2, 1])));
    close(&values(&bn.running_mean), &[4.0], 1e-6);
    close(&values(&bn.running_var), &[5.0], 1e-6);
    assert_eq!(values(&bn.num_batches_tracked), [2.0]);
}

#[test]
fn without_running_stats_eval_also_uses_the_batch() {
    let mut bn = BatchNorm1d::new(2).track_running_stats(false);
    assert!(bn.named_buffers().is_empty());
    let train: Vec<f64> = bn.forward(&Var::new(batch())).value().to_vec();
    bn.eval();
    assert_eq!(
        bn.forward(&Var::new(batch())).value().to_vec::<f64>(),
        train
    );
}

#[test]
fn batch_norm_2d_equals_1d_on_flattened_spatial_dims() {
    let x = Tensor::randn(&[3, 2, 2, 3]);
    let (bn1, bn2) = (BatchNorm1d::new(2), BatchNorm2d::new(2));
    let y1 = bn1.forward(&Var::new(x.reshape(&[3, 2, 6]))).value();
    let y2 = bn2.forward(&Var::new(x)).value();
    close(
        &y2.reshape(&[3, 2, 6]).to_vec::<f64>(),
        &y1.to_vec::<f64>(),
        1e-6,
    );
    close(&values(&bn2.running_var), &values(&bn1.running_var), 1e-6);
}

#[test]
fn state_dict_names_follow_pytorch() {
    let names: Vec<String> = BatchNorm2d::new(3).state_dict().into_keys().collect();
    let expected = [
        "bias",
        "num_batches_tracked",
        "running_mean",
        "running_var",
        "weight",
    ];
    assert_eq!(names, expected);
    assert_eq!(BatchNorm2d::new(3).num_parameters(), 6);
    assert!(BatchNorm2d::new(3).affine(false).parameters().is_empty());
    assert_eq!(BatchNorm2d::new(3).bias(false).num_parameters(), 3);
}

#[test]
fn gradcheck_in_training_and_in_eval_mode() {
    for training in [true, false] {
        let mut bn = BatchNorm2d::new(3);
        bn.to_dtype(DType::F64);
        bn.weight
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec_f64(vec![0.5, -1.0, 2.0], &[3]));
        bn.bias
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec_f64(vec![0.1, 0.2, 0.3], &[3]));
        bn.running_var
            .as_ref()
            .unwrap()
            .set_value(Tensor::from_vec_f64(vec![0.5, 2.0, 1.5], &[3]));
        bn.set_training(training);
        // [2, 2, 3, 2] permuted to [2, 3, 2, 2]: a non-contiguous input
        let x = Tensor::randn(&[2, 2, 3, 2]).to_dtype(DType::F64);
        gradcheck_with_params(
            |v| bn.forward(&v[0].permute(&[0, 2, 1, 3])),
            &[x],
            &bn.parameters(),
        )
        .assert_passed();
    }
}

#[test]
#[should_panic(
    expected = "BatchNorm: BatchNorm2d(num_features=3): expected an input [B, C, H, W] with C = 3, got shape [2, 3, 4]"
)]
fn wrong_rank_names_the_layer() {
    BatchNorm2d::new(3).forward(&Var::new(Tensor::ones(&[2, 3, 4])));
}

#[test]
#[should_panic(
    expected = "BatchNorm1d(num_features=3): expected an input [B, C] or [B, C, L] with C = 3, got shape [2, 4]"
)]
fn wrong_channel_count_is_reported() {
    BatchNorm1d::new(3).forward(&Var::new(Tensor::ones(&[2, 4])));
}

#[test]
#[should_panic(
    expected = "BatchNorm1d(num_features=2): expected more than 1 value per channel when training, got shape [1, 2]"
)]
fn a_single_value_per_channel_cannot_train() {
    BatchNorm1d::new(2).forward(&Var::new(Tensor::ones(&[1, 2])));
}
