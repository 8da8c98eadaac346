"""PyTorch side of `benches/conv.rs`: the same Conv2d layers, forward + backward
(`y = conv(x); y.backward(g)`, gradients set to None before each step), medians of
wall and thread CPU time over REPEATS steps (default 15) after 3 warm-up steps, at 1
and 2 threads. On x86 CPUs PyTorch runs these convolutions with oneDNN (mkldnn).

    ../venv-ref/bin/python benches/pytorch/conv.py        (PyTorch from PyPI; not in CI)
"""
import torch
import torch.nn as nn

from train_step import REPEATS, median_ms  # the same timing loop as the training steps

# (name, input shape, out channels, kernel, padding, input needs a gradient)
CASES = [
    ("LeNet c1 [64,1,28,28]→6 5×5 p2", (64, 1, 28, 28), 6, 5, 2, False),
    ("LeNet c2 [64,6,14,14]→16 5×5", (64, 6, 14, 14), 16, 5, 0, True),
    ("MNIST c2 [64,32,12,12]→64 5×5", (64, 32, 12, 12), 64, 5, 0, True),
    ("ResNet [64,32,28,28]→64 3×3 p1", (64, 32, 28, 28), 64, 3, 1, True),
]


def conv_ms(shape, out_channels, kernel, padding, input_grad):
    torch.manual_seed(0)
    conv = nn.Conv2d(shape[1], out_channels, kernel, padding=padding)
    x = torch.randn(shape, requires_grad=input_grad)
    g = torch.randn(conv(x).shape)

    def step():
        conv.zero_grad(set_to_none=True)
        x.grad = None
        conv(x).backward(g)

    return median_ms(step)


if __name__ == "__main__":
    print(f"Conv2d forward + backward, f32, torch {torch.__version__}, mkldnn {torch.backends.mkldnn.is_available()}, "
          f"median of {REPEATS} steps: wall ms (cpu ms of the calling thread)")
    print(f"| {'case':<32} | {'1 thread':>15} | {'2 threads':>15} |")
    print("|---|---|---|")
    for name, *case in CASES:
        results = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            results.append(conv_ms(*case))
        (w1, c1), (w2, c2) = results
        print(f"| {name:<32} | {w1:6.2f} ({c1:6.2f}) | {w2:6.2f} ({c2:6.2f}) |")
