//! Anomaly mode is per thread (as PyTorch's): on in one thread, it must not turn an
//! ordinary `log(0) = −∞` in another thread into a panic.

use std::sync::{Arc, Barrier};
use std::thread;

use autograd::{Var, detect_anomaly, is_anomaly_enabled};
use tensor::Tensor;

fn log_of_zero() -> f64 {
    let x = Var::param(Tensor::from_vec(vec![0.0], &[1]));
    let y = x.log().sum();
    y.backward();
    y.item()
}

#[test]
fn anomaly_mode_in_one_thread_leaves_another_alone() {
    // Both threads are alive at once: the first turns anomaly mode on and holds it
    // while the second computes log(0).
    let (on, done) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let watcher = {
        let (on, done) = (on.clone(), done.clone());
        thread::spawn(move || {
            let _anomaly = detect_anomaly();
            on.wait();
            done.wait();
            let caught = std::panic::catch_unwind(log_of_zero);
            (is_anomaly_enabled(), caught.is_err())
        })
    };
    let ordinary = thread::spawn(move || {
        on.wait();
        let enabled = is_anomaly_enabled();
        let value = log_of_zero();
        done.wait();
        (enabled, value)
    });
    let (enabled, value) = ordinary
        .join()
        .expect("log(0) panicked in the other thread");
    assert!(!enabled);
    assert_eq!(value, f64::NEG_INFINITY);
    let (watcher_enabled, watcher_panicked) = watcher.join().unwrap();
    assert!(
        watcher_enabled && watcher_panicked,
        "the watching thread still detects"
    );
}
