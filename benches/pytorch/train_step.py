"""PyTorch side of `benches/train_step.rs`: the same four models, batch 32, forward +
loss + backward + optimizer step, medians of wall and thread CPU time over 15 steps
(REPEATS in the environment) after 3 warm-up steps, at THREADS threads (default 1).

    python benches/pytorch/train_step.py [lstm transformer ..]   (PyTorch from PyPI; not in CI)
"""
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

THREADS = int(os.environ.get("THREADS", "1"))
torch.set_num_threads(THREADS)
torch.manual_seed(0)
WARMUP, REPEATS = 3, int(os.environ.get("REPEATS", "15"))


def median_ms(step):
    """(wall, CPU of this thread) medians in ms; at 1 thread all the work is on this thread."""
    for _ in range(WARMUP):
        step()
    walls, cpus = [], []
    for _ in range(REPEATS):
        start, cpu_start = time.perf_counter(), time.thread_time()
        step()
        walls.append((time.perf_counter() - start) * 1e3)
        cpus.append((time.thread_time() - cpu_start) * 1e3)
    return statistics.median(walls), statistics.median(cpus)


def mlp():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x, y = torch.randn(32, 784), torch.arange(32) % 10

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return median_ms(step)


class LstmLm(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10000, 128)
        self.lstm = nn.LSTM(128, 256, batch_first=True)
        self.out = nn.Linear(256, 10000)

    def forward(self, x):
        h, _ = self.lstm(self.emb(x))
        return self.out(h)


def lstm_lm():
    model = LstmLm()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x, y = torch.randint(0, 10000, (32, 35)), torch.randint(0, 10000, (32, 35))

    def step():
        loss = F.cross_entropy(model(x).reshape(-1, 10000), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return median_ms(step)


class Seq2Seq(nn.Module):
    def __init__(self, vocab=8000, d=256):
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
        pe = torch.zeros(64, d)
        pos = torch.arange(64).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-torch.log(torch.tensor(10000.0)) / d))
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe)
        self.transformer = nn.Transformer(d, 4, 3, 3, 1024, 0.1, batch_first=True)
        self.out = nn.Linear(d, vocab)
        self.d = d

    def forward(self, src, tgt):
        s = self.src_emb(src) * self.d**0.5 + self.pe[: src.shape[1]]
        t = self.tgt_emb(tgt) * self.d**0.5 + self.pe[: tgt.shape[1]]
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        return self.out(self.transformer(s, t, tgt_mask=mask))


def transformer():
    model = Seq2Seq()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    src, tgt, y = (torch.randint(0, 8000, (32, 32)) for _ in range(3))

    def step():
        loss = F.cross_entropy(model(src, tgt).reshape(-1, 8000), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return median_ms(step)


def word2vec(sparse):
    vocab, dim, pairs, k = 50000, 100, 1024, 5
    inp, out = nn.Embedding(vocab, dim, sparse=sparse), nn.Embedding(vocab, dim, sparse=sparse)
    nn.init.uniform_(inp.weight, -0.005, 0.005)
    nn.init.zeros_(out.weight)
    params = list(inp.parameters()) + list(out.parameters())
    opt = torch.optim.SparseAdam(params, 1e-3) if sparse else torch.optim.Adam(params, 1e-3)
    c, o, n = torch.randint(0, vocab, (pairs,)), torch.randint(0, vocab, (pairs,)), torch.randint(0, vocab, (pairs, k))

    def step():
        v = inp(c)
        pos = (v * out(o)).sum(-1)
        neg = (out(n) * v.unsqueeze(1)).sum(-1)
        loss = (-F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return median_ms(step)


if __name__ == "__main__":
    filters = [a.lower() for a in sys.argv[1:]]
    print(f"training step, batch 32, {THREADS} thread(s), median of {REPEATS} steps after {WARMUP}, torch {torch.__version__}")
    print(f"{'model':<44} {'wall ms':>10} {'cpu ms':>10}")
    for name, fn in [
        ("MLP 784-256-256-10, Adam", mlp),
        ("LSTM LM 10k/128/256, seq 35, Adam", lstm_lm),
        ("Transformer 3+3, d 256, seq 32, Adam", transformer),
        ("word2vec SGNS, dense Adam", lambda: word2vec(False)),
        ("word2vec SGNS, sparse rows + SparseAdam", lambda: word2vec(True)),
    ]:
        if filters and not any(f in name.lower() for f in filters):
            continue
        wall, cpu = fn()
        print(f"{name:<44} {wall:10.2f} {cpu:10.2f}")
