"""The reference side of `benches/search/main.rs`: faiss-cpu 1.15 (IndexFlat,
IndexIVFFlat, IndexHNSWFlat) and hnswlib 0.8 on the same .fvecs files, with the same
parameters, one thread, timed the same way (CPU seconds of this thread; the 1,000
queries as one batch; best of 3), appending to the same TSV file.

    /work/venv-ref/bin/python benches/search/reference.py mnist --sitting 1

It also checks the ground truth: faiss' exact top-10 must match the file's (made by
ferrograd's exact search) up to ties.
"""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import faiss  # noqa: E402
import hnswlib  # noqa: E402
import numpy as np  # noqa: E402

K, RUNS = 10, 3
DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "search-bench")

# the same as `params` in main.rs
EFS = [10, 20, 40, 80, 160, 320]
PARAMS = {
    "mnist": dict(m=16, efc=200, nlist=100, nprobes=[1, 2, 4, 8, 16, 32]),
    "word2vec": dict(m=16, efc=200, nlist=160, nprobes=[1, 2, 4, 8, 16, 32, 64]),
    "synthetic": dict(m=16, efc=100, nlist=1000, nprobes=[1, 2, 4, 8, 16, 32, 64]),
}


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    return raw.reshape(-1, dim + 1)[:, 1:].copy().view(dtype)


def timed(f):
    start = time.thread_time()
    r = f()
    return r, time.thread_time() - start


def recall(found, truth):
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name", choices=PARAMS)
    ap.add_argument("--sitting", type=int, default=1)
    a = ap.parse_args()
    faiss.omp_set_num_threads(1)
    p = PARAMS[a.name]
    base = read_vecs(os.path.join(DIR, f"{a.name}.base.fvecs"), np.float32)
    queries = read_vecs(os.path.join(DIR, f"{a.name}.query.fvecs"), np.float32)
    truth = read_vecs(os.path.join(DIR, f"{a.name}.truth.ivecs"), np.int32)[:, :K]
    n, dim = base.shape
    cosine = a.name == "word2vec"
    print(f"{a.name}: {n} base, {len(queries)} queries, dim {dim}, {'cosine' if cosine else 'L2'}, "
          f"sitting {a.sitting} (faiss {faiss.__version__}, hnswlib)")
    rows = []

    def unit(x):
        x = x.copy()
        faiss.normalize_L2(x)
        return x

    def measure(library, index, param, build, search):
        best_cpu = best_wall = float("inf")
        for _ in range(RUNS):
            wall = time.perf_counter()
            ids, cpu = timed(search)
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, cpu)
        r = recall(ids, truth)
        nq = len(queries)
        print(f"  {library:<8} {index:<24} {param:<10} build {build:8.2f} s  recall@10 {r:.4f}  "
              f"{nq / best_cpu:9.1f} q/CPU-s  {nq / best_wall:9.1f} q/s")
        rows.append(f"{a.sitting}\t{library}\t{index}\t{param}\t{build:.3f}\t{r:.4f}\t{nq / best_cpu:.1f}\t{nq / best_wall:.1f}")
        return ids

    metric = faiss.METRIC_INNER_PRODUCT if cosine else faiss.METRIC_L2
    prep = unit if cosine else (lambda x: x)

    # exact
    def build_flat():
        index = faiss.IndexFlat(dim, metric)
        index.add(prep(base))
        return index
    flat, build = timed(build_flat)
    ids = measure("faiss", "Flat", "-", build, lambda: flat.search(prep(queries), K)[1])
    agree = recall(ids, truth)
    print(f"  ground truth check: faiss' exact top-10 contains {100 * agree:.2f}% of the file's")
    del flat

    # IVF
    def build_ivf():
        quantizer = faiss.IndexFlat(dim, metric)
        index = faiss.IndexIVFFlat(quantizer, dim, p["nlist"], metric)
        index.cp.niter = 20  # as ferrograd's Ivf::train
        if cosine:
            index.cp.spherical = True
        x = prep(base)
        index.train(x)
        index.add(x)
        return index, quantizer
    (ivf, _quantizer), build = timed(build_ivf)
    for nprobe in p["nprobes"]:
        ivf.nprobe = nprobe
        measure("faiss", f"IVF{p['nlist']}", f"nprobe={nprobe}", build, lambda: ivf.search(prep(queries), K)[1])
    del ivf

    hnsw_name = f"HNSW(M={p['m']},efC={p['efc']})"

    # faiss HNSW
    def build_faiss_hnsw():
        index = faiss.IndexHNSWFlat(dim, p["m"], metric)
        index.hnsw.efConstruction = p["efc"]
        index.add(prep(base))
        return index
    fh, build = timed(build_faiss_hnsw)
    for ef in EFS:
        fh.hnsw.efSearch = ef
        measure("faiss", hnsw_name, f"ef={ef}", build, lambda: fh.search(prep(queries), K)[1])
    del fh

    # hnswlib
    def build_hnswlib():
        index = hnswlib.Index(space="cosine" if cosine else "l2", dim=dim)
        index.init_index(max_elements=n, ef_construction=p["efc"], M=p["m"], random_seed=100)
        index.set_num_threads(1)
        index.add_items(base, np.arange(n))
        return index
    hl, build = timed(build_hnswlib)
    for ef in EFS:
        hl.set_ef(ef)
        measure("hnswlib", hnsw_name, f"ef={ef}", build, lambda: hl.knn_query(queries, k=K, num_threads=1)[0])

    with open(os.path.join(DIR, f"{a.name}.tsv"), "a") as out:
        out.write("\n".join(rows) + "\n")
    print(f"appended to {os.path.join(DIR, a.name + '.tsv')}")


if __name__ == "__main__":
    main()
