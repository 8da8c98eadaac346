use search::*;
use tensor::Tensor;
fn read(p: &str) -> (Vec<f32>, usize) {
    let b = std::fs::read(p).unwrap();
    let dim = i32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
    (
        b.chunks_exact(4 * (dim + 1))
            .flat_map(|r| r[4..].chunks_exact(4))
            .map(|v| f32::from_le_bytes(v.try_into().unwrap()))
            .collect(),
        dim,
    )
}
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
    let what = std::env::args().nth(1).unwrap_or("hnsw".into());
    let name = std::env::args().nth(2).unwrap_or("mnist".into());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let dir = "/work/wt/search/target/search-bench/";
        let (b, dim) = read(&format!("{dir}{name}.base.fvecs"));
        let (q, _) = read(&format!("{dir}{name}.query.fvecs"));
        let base = Tensor::from_vec(b.clone(), &[b.len() / dim, dim]);
        let queries = Tensor::from_vec(q.clone(), &[q.len() / dim, dim]);
        let metric = if name == "word2vec" {
            Metric::Cosine
        } else {
            Metric::L2
        };
        let t = std::time::Instant::now();
        match what.as_str() {
            "hnsw" | "build" => {
                let path = format!("/tmp/{name}.hnsw");
                let mut index = if what == "build" || !std::path::Path::new(&path).exists() {
                    let mut h = Hnsw::new(
                        dim,
                        metric,
                        HnswConfig {
                            m: 16,
                            ef_construction: 200,
                            ef_search: 10,
                        },
                    );
                    let c = cpu();
                    h.add(&base);
                    println!("build {:?} wall, {:.2} CPU-s", t.elapsed(), cpu() - c);
                    h.save(&path).unwrap();
                    h
                } else {
                    Hnsw::load(&path).unwrap()
                };
                for ef in [10, 40, 160] {
                    index.ef_search = ef;
                    let c = cpu();
                    let mut n = 0;
                    for _ in 0..10 {
                        n += index.search(&queries, 10).len();
                    }
                    println!("ef {ef}: {:.0} q/CPU-s", n as f64 / (cpu() - c));
                }
            }
            "flat" => {
                let mut f = Flat::new(dim, metric);
                f.add(&base);
                let c = cpu();
                for _ in 0..30 {
                    f.search(&queries, 10);
                }
                println!("flat {:.0} q/CPU-s", 30000.0 / (cpu() - c));
            }
            _ => {
                tensor::manual_seed(1);
                let c0 = cpu();
                let mut ivf = Ivf::new(dim, 100, metric);
                ivf.train(&base);
                ivf.add(&base);
                println!("ivf build {:?} wall {:.2} CPU-s", t.elapsed(), cpu() - c0);
                ivf.nprobe = 1;
                for np in [1, 8] {
                    ivf.nprobe = np;
                    let c = cpu();
                    for _ in 0..10 {
                        ivf.search(&queries, 10);
                    }
                    println!("ivf nprobe {np}: {:.0} q/CPU-s", 10000.0 / (cpu() - c));
                }
            }
        }
    });
}
