"""PyTorch side of `examples/mnist_cnn.rs`: the same data split, model, augmentation,
optimizer and schedule, for the epoch time and the accuracy.

    ../venv-ref/bin/python examples/mnist_cnn_pytorch.py [--epochs 12] [--threads 1]

The split and the batch order use ferrograd's seeded permutation (`data::permutation`,
re-implemented below: `Generator` is SplitMix64), so both train on the same 8,000
images in the same order; the
random shifts and the initial weights come from each library's own generator.
Prints one line per epoch, the median epoch time (wall and process CPU) and, last, the
test accuracy.
"""
import argparse
import gzip
import math
import pathlib
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "mnist"
BATCH, LR, SEED, SHIFT = 64, 2e-3, 0, 2


MASK, GAMMA = 2**64 - 1, 0x9E3779B97F4A7C15


def permutation(n, seed):
    """ferrograd's `data::permutation`: Fisher-Yates driven by a `Generator` seeded with
    `seed` (SplitMix64), each swap partner drawn by `Generator::below` (Lemire's
    multiply-and-reject, no modulo bias)."""
    def mix(z):
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    order, state = list(range(n)), seed
    for i in range(n - 1, 0, -1):
        bound = i + 1
        while True:
            state = (state + GAMMA) & MASK
            product = mix(state) * bound
            low = product & MASK
            if low >= bound or low >= (-bound & MASK) % bound:
                break
        j = product >> 64
        order[i], order[j] = order[j], order[i]
    return order


def load():
    images = np.frombuffer(gzip.open(DATA / "mnist10k-images-idx3-ubyte.gz").read()[16:], np.uint8)
    labels = np.frombuffer(gzip.open(DATA / "mnist10k-labels-idx1-ubyte.gz").read()[8:], np.uint8)
    x = torch.tensor(images.reshape(-1, 1, 28, 28), dtype=torch.float32) / 255.0
    return x, torch.tensor(labels, dtype=torch.int64)


def model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(1024, 128), nn.ReLU(),
        nn.Dropout(0.25), nn.Linear(128, 10),
    )


def shifted(images):
    """Each image moved by a random whole number of pixels in -SHIFT..=SHIFT per axis."""
    padded = F.pad(images, (SHIFT,) * 4)
    out = torch.empty_like(images)
    shifts = torch.randint(0, 2 * SHIFT + 1, (images.shape[0], 2))
    for k, (dy, dx) in enumerate(shifts.tolist()):
        out[k] = padded[k, :, dy:dy + 28, dx:dx + 28]
    return out


def warmup_cosine(step, warmup, total, lr=LR, min_lr=LR / 50):
    if step < warmup:
        return lr * step / warmup
    if step >= total:
        return min_lr
    progress = (step - warmup) / (total - warmup)
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


def accuracy(net, x, y):
    net.eval()
    with torch.no_grad():
        correct = sum((net(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum().item() for i in range(0, len(y), 500))
    net.train()
    return correct / len(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    x, y = load()
    order = permutation(len(y), SEED)
    test, train = order[:2000], order[2000:]
    x_train, y_train, x_test, y_test = x[train], y[train], x[test], y[test]
    net = model()
    opt = torch.optim.AdamW(net.parameters(), LR, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(train) / BATCH)
    total, step, walls, cpus = args.epochs * steps_per_epoch, 0, [], []
    print(f"torch {torch.__version__}, {args.threads} thread(s), {len(train)} train, {len(test)} test")
    for epoch in range(args.epochs):
        start, cpu_start, loss_sum = time.perf_counter(), time.process_time(), 0.0
        epoch_order = permutation(len(train), SEED + epoch)
        for first in range(0, len(train), BATCH):
            rows = epoch_order[first:first + BATCH]
            loss = F.cross_entropy(net(shifted(x_train[rows])), y_train[rows])
            opt.zero_grad()
            loss.backward()
            for group in opt.param_groups:
                group["lr"] = warmup_cosine(step, steps_per_epoch, total)
            opt.step()
            loss_sum += loss.item()
            step += 1
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
        print(f"epoch {epoch + 1:>2}  loss {loss_sum / steps_per_epoch:.4f}  "
              f"test accuracy {100 * accuracy(net, x_test, y_test):.2f}%  ({walls[-1]:.1f} s)")
    print(f"median epoch: {statistics.median(walls):.1f} s wall, {statistics.median(cpus):.1f} s CPU")
    print(f"test accuracy: {100 * accuracy(net, x_test, y_test):.2f}%")


if __name__ == "__main__":
    main()
