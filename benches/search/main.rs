//! Vector search against the real tools: ferrograd's exact search, IVF and HNSW
//! beside faiss-cpu 1.15 (`IndexFlat`, `IndexIVFFlat`, `IndexHNSWFlat`) and hnswlib 0.8
//! (`reference.py` in this folder), on the same vectors and queries, one thread each.
//!
//! ```text
//! cargo bench --bench search -- prepare mnist        # also word2vec, synthetic [--n 1000000]
//! cargo bench --bench search -- run mnist --sitting 1     # ferrograd → target/search-bench/mnist.tsv
//! /work/venv-ref/bin/python benches/search/reference.py mnist --sitting 1   # faiss, hnswlib → same file
//! cargo bench --bench search -- report mnist         # table (median over sittings) + mnist.png
//! bash benches/search/run.sh mnist 3                 # all of it, the two sides alternating 3 times
//! ```
//! What is measured, per index and parameter: build time (CPU seconds of the one
//! thread: train + add), recall@10 against the exact top-10, and queries per CPU
//! second: the 1,000 queries searched as one batch (faiss' and hnswlib's own batch
//! calls; ferrograd's `search`), best of 3 runs. CPU time of the calling thread is the
//! figure on a shared machine, where wall time also counts other processes.
//! Data sets: `data.rs`. Parameters: [`params`].

#![allow(missing_docs)]

#[path = "../cpu_clock/mod.rs"]
mod cpu_clock;
mod data;
mod report;

use std::io::Write;

use ferrograd::prelude::*;
use ferrograd::search::{Flat, Hit, Hnsw, HnswConfig, Ivf, recall};

type Error = Box<dyn std::error::Error>;

/// Neighbours asked for (recall@10).
const K: usize = 10;
/// Timed runs of each search; the fastest counts.
const RUNS: usize = 3;

/// Index parameters of a data set, the same on both sides.
pub struct Params {
    pub m: usize,
    pub ef_construction: usize,
    pub efs: &'static [usize],
    pub nlist: usize,
    pub nprobes: &'static [usize],
}

/// HNSW: M = 16 everywhere (hnswlib's default), ef_construction 200 (100 for the
/// large set, to keep its build in minutes). IVF: nlist ≈ √N.
pub fn params(name: &str) -> Params {
    let efs = &[10, 20, 40, 80, 160, 320];
    match name {
        "mnist" => Params {
            m: 16,
            ef_construction: 200,
            efs,
            nlist: 100,
            nprobes: &[1, 2, 4, 8, 16, 32],
        },
        "word2vec" => Params {
            m: 16,
            ef_construction: 200,
            efs,
            nlist: 160,
            nprobes: &[1, 2, 4, 8, 16, 32, 64],
        },
        _ => Params {
            m: 16,
            ef_construction: 100,
            efs,
            nlist: 1000,
            nprobes: &[1, 2, 4, 8, 16, 32, 64],
        },
    }
}

fn main() -> Result<(), Error> {
    // Everything runs inside a one-thread pool, on its worker: the parallel loops of
    // the library then run on the thread whose CPU clock is read.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    pool.install(|| command().map_err(|e| e.to_string()))?;
    Ok(())
}

fn command() -> Result<(), Error> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let (Some(command), Some(name)) = (args.first(), args.get(1)) else {
        return Err("usage: search (prepare|run|report) (mnist|word2vec|synthetic); see the top of benches/search/main.rs".into());
    };
    match command.as_str() {
        "prepare" => data::prepare(name, flag("--n").map_or(Ok(1_000_000), |n| n.parse())?),
        "run" => run(name, flag("--sitting").map_or(Ok(1), |s| s.parse())?),
        "report" => report::report(name),
        other => Err(format!("unknown command {other}").into()),
    }
}

/// One result row of the TSV file shared with `reference.py`.
struct Row {
    index: String,
    param: String,
    build: f64,
    recall: f64,
    qps_cpu: f64,
    qps_wall: f64,
}

/// CPU seconds of this thread (wall seconds where there is no thread clock).
fn cpu_now() -> f64 {
    cpu_clock::thread_cpu_seconds().unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    })
}

/// `f()` and the CPU seconds it took.
fn timed<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let start = cpu_now();
    let r = f();
    (r, cpu_now() - start)
}

/// Search `RUNS` times; the results and the best queries per CPU second and per wall
/// second.
fn time_search(queries: usize, search: impl Fn() -> Vec<Vec<Hit>>) -> (Vec<Vec<Hit>>, f64, f64) {
    let (mut best_cpu, mut best_wall, mut found) = (f64::INFINITY, f64::INFINITY, Vec::new());
    for _ in 0..RUNS {
        let wall = std::time::Instant::now();
        let (hits, cpu) = timed(&search);
        best_wall = best_wall.min(wall.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu);
        found = hits;
    }
    (found, queries as f64 / best_cpu, queries as f64 / best_wall)
}

fn run(name: &str, sitting: usize) -> Result<(), Error> {
    let d = data::load(name)?;
    let p = params(name);
    let (n, dim, nq) = (d.base.shape()[0], d.base.shape()[1], d.queries.shape()[0]);
    println!(
        "{name}: {n} base, {nq} queries, dim {dim}, {:?}, sitting {sitting}",
        d.metric
    );
    let truth: Vec<Vec<Hit>> = (d.truth.iter())
        .map(|ids| ids[..K].iter().map(|&id| Hit { id, score: 0.0 }).collect())
        .collect();
    let mut rows = Vec::new();
    let mut measure =
        |index: String, param: String, build: f64, search: &dyn Fn() -> Vec<Vec<Hit>>| {
            let (found, qps_cpu, qps_wall) = time_search(nq, search);
            let row = Row {
                index,
                param,
                build,
                recall: recall(&found, &truth),
                qps_cpu,
                qps_wall,
            };
            println!(
                "  {:<24} {:<10} build {:>8.2} s  recall@10 {:.4}  {:>9.1} q/CPU-s  {:>9.1} q/s",
                row.index, row.param, row.build, row.recall, row.qps_cpu, row.qps_wall
            );
            rows.push(row);
        };

    let (flat, build) = timed(|| {
        let mut f = Flat::new(dim, d.metric);
        f.add(&d.base);
        f
    });
    measure("Flat".into(), "-".into(), build, &|| {
        flat.search(&d.queries, K)
    });
    drop(flat);

    manual_seed(1);
    let (mut ivf, build) = timed(|| {
        let mut ivf = Ivf::new(dim, p.nlist, d.metric);
        ivf.train(&d.base);
        ivf.add(&d.base);
        ivf
    });
    for &nprobe in p.nprobes {
        ivf.nprobe = nprobe;
        let ivf = &ivf;
        measure(
            format!("IVF{}", p.nlist),
            format!("nprobe={nprobe}"),
            build,
            &|| ivf.search(&d.queries, K),
        );
    }
    drop(ivf);

    let config = HnswConfig {
        m: p.m,
        ef_construction: p.ef_construction,
        ef_search: 10,
    };
    let (mut hnsw, build) = timed(|| {
        let mut h = Hnsw::new(dim, d.metric, config);
        h.add(&d.base);
        h
    });
    for &ef in p.efs {
        hnsw.ef_search = ef;
        let hnsw = &hnsw;
        measure(
            format!("HNSW(M={},efC={})", p.m, p.ef_construction),
            format!("ef={ef}"),
            build,
            &|| hnsw.search(&d.queries, K),
        );
    }

    let file = data::dir().join(format!("{name}.tsv"));
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)?;
    for r in rows {
        writeln!(
            out,
            "{sitting}\tferrograd\t{}\t{}\t{:.3}\t{:.4}\t{:.1}\t{:.1}",
            r.index, r.param, r.build, r.recall, r.qps_cpu, r.qps_wall
        )?;
    }
    println!("appended to {}", file.display());
    Ok(())
}
