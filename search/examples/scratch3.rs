use tensor::Tensor;
fn cpu() -> f64 {
    #[repr(C)]
    struct Ts {
        s: i64,
        ns: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(c: i32, t: *mut Ts) -> i32;
    }
    let mut t = Ts { s: 0, ns: 0 };
    unsafe { clock_gettime(3, &mut t) };
    t.s as f64 + t.ns as f64 * 1e-9
}
fn main() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        for &(m, k, n, tr) in &[
            (1024, 784, 100, true),
            (100, 784, 1024, true),
            (1024, 128, 1000, true),
            (1000, 128, 1024, true),
            (1024, 784, 4096, true),
        ] {
            let a = Tensor::randn(&[m, k]);
            let b = if tr {
                Tensor::randn(&[n, k])
            } else {
                Tensor::randn(&[k, n])
            };
            let mut best = f64::INFINITY;
            for _ in 0..5 {
                let c = cpu();
                let out = if tr { a.matmul(&b.t()) } else { a.matmul(&b) };
                std::hint::black_box(out);
                best = best.min(cpu() - c);
            }
            println!(
                "{m}x{k}x{n} bT={tr}: {:.1} GFLOP/s",
                2.0 * (m * k * n) as f64 / best / 1e9
            );
        }
    });
}
