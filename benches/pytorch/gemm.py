"""The reference columns of BENCHMARKS.md's GEMM table: PyTorch's sgemm (MKL in the
x86 wheels) and numpy's (OpenBLAS in the PyPI wheels) on the cases of
benches/matmul.rs, f32, measured the way that bench measures ours. Not run in CI.

    ../venv-ref/bin/python benches/pytorch/gemm.py --threads 1   # GFLOP per CPU-second
    ../venv-ref/bin/python benches/pytorch/gemm.py --threads 2   # GFLOP per wall-second

flops of [B, m, k] · [k, n] = 2·B·m·k·n; best of the runs (at least 5, and at least
0.3 s of runs per case), the output preallocated (`out=`) as the Rust libraries'
buffers are. Cases named `T…` multiply a transposed view of A (a weight gradient
`gᵀ · x`); run it beside `cargo bench --bench matmul -- table` in one sitting.
"""
import argparse
import os
import time

CASES = [  # name, batch, m, k, n, A transposed — as CASES in benches/matmul.rs
    ("32", 1, 32, 32, 32, False), ("64", 1, 64, 64, 64, False),
    ("128", 1, 128, 128, 128, False), ("256", 1, 256, 256, 256, False),
    ("512", 1, 512, 512, 512, False), ("1024", 1, 1024, 1024, 1024, False),
    ("2048", 1, 2048, 2048, 2048, False),
    ("1024x256x256", 1, 1024, 256, 256, False), ("1024x256x1024", 1, 1024, 256, 1024, False),
    ("1024x1024x256", 1, 1024, 1024, 256, False), ("1024x256x8000", 1, 1024, 256, 8000, False),
    ("1024x8000x256", 1, 1024, 8000, 256, False), ("T8000x1024x256", 1, 8000, 1024, 256, True),
    ("1120x256x10000", 1, 1120, 256, 10000, False), ("1120x10000x256", 1, 1120, 10000, 256, False),
    ("T10000x1120x256", 1, 10000, 1120, 256, True), ("128x(32x64x32)", 128, 32, 64, 32, False),
]


def best_gflops(run, flops, clock):
    run()  # warm up (and let the library pick its kernels)
    best, spent, count = float("inf"), 0.0, 0
    while count < 5 or spent < 0.3:
        start = clock()
        run()
        seconds = clock() - start
        best, spent, count = min(best, seconds), spent + seconds, count + 1
    return flops / best / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)  # read when numpy loads
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    # one thread: the CPU time of the process (= the thread's); two: wall time
    clock = time.process_time if args.threads == 1 else time.perf_counter
    print(f"torch {torch.__version__} (BLAS: MKL {torch.backends.mkl.is_available()}), "
          f"numpy {np.__version__} (OpenBLAS), "
          f"{args.threads} thread(s), f32 GFLOP per {'CPU' if args.threads == 1 else 'wall'}-second")
    print(f"| case | MKL@{args.threads} | OpenBLAS@{args.threads} |\n|---|---|---|")
    for name, batch, m, k, n, a_transposed in CASES:
        lead = (batch,) if batch > 1 else ()
        a = torch.rand(*lead, k, m).transpose(-1, -2) if a_transposed else torch.rand(*lead, m, k)
        b = torch.rand(*lead, k, n)
        out = torch.empty(*lead, m, n)
        flops = 2.0 * batch * m * k * n
        mkl = best_gflops(lambda: torch.matmul(a, b, out=out), flops, clock)
        a_np, b_np, out_np = a.numpy(), b.numpy(), out.numpy()
        blas = best_gflops(lambda: np.matmul(a_np, b_np, out=out_np), flops, clock)
        print(f"| {name} | {mkl:.1f} | {blas:.1f} |", flush=True)


if __name__ == "__main__":
    main()
