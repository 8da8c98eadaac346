"""The gpt example's models and recipe in PyTorch (not run in CI), for the speed and
loss comparison in examples/gpt/results/README.md.

    ../venv-ref/bin/python examples/gpt/reference.py --model gpt --threads 1
    ../venv-ref/bin/python examples/gpt/reference.py --model llama --threads 2 --max-iters 200

The modules are those of tests/fixtures/fixtures_lm.py (nanoGPT's GPT, Hugging Face's
LLaMA, the same parameter names as ferrograd's), imported, not copied. The recipe is
nanoGPT's `shakespeare_char` on CPU, as `examples/gpt/train.rs`:

    characters as tokens (65), first 90 % train / last 10 % validation
    B = 12, T = 64, 4 layers, 4 heads, C = 128, dropout 0, no bias
    AdamW(lr 1e-3, betas (0.9, 0.99)), weight decay 0.1 on 2-d parameters only
    100 warmup steps, cosine to 1e-4 at the last step, gradient clip 1.0
    validation: mean of 20 random batches every --eval-interval steps, and the
    whole validation split (consecutive windows of T) at the end

It prints the training time per step (batches drawn outside the timer), the final
validation losses and the sampling speed (tokens/s, no KV cache: the reference modules
re-read the cropped context each step, as nanoGPT's `generate` does).
"""
import argparse
import math
import pathlib
import sys
import time

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
from fixtures_lm import GPT, Llama  # noqa: E402


def build(kind, vocab):
    if kind == "gpt":
        model = GPT(vocab, 64, 4, 4, 128, bias=False)
    else:
        model = Llama(vocab, 4, 4, 2, 128, 384, 10000.0)
    # nanoGPT's init: N(0, 0.02) for matrices, N(0, 0.02/√(2L)) for the projections
    # into the residual stream, zero biases; norms stay at 1.
    for name, p in model.named_parameters():
        if p.dim() == 2:
            residual = name.endswith(("o_proj.weight", "c_proj.weight", "down_proj.weight"))
            std = 0.02 / math.sqrt(2 * 4) if residual else 0.02
            torch.nn.init.normal_(p, 0.0, std)
    return model


def lr_at(step, args):
    """Linear warmup over `warmup` steps (step 1-based), cosine to min_lr at the last."""
    if step < args.warmup:
        return args.lr * step / args.warmup
    progress = min(1.0, (step - args.warmup) / max(1, args.max_iters - args.warmup))
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * progress))


def get_batch(data, b, t, generator):
    ix = torch.randint(len(data) - t, (b,), generator=generator)
    x = torch.stack([data[i:i + t] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + t] for i in ix])
    return x, y


def loss_of(model, x, y):
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


@torch.no_grad()
def full_loss(model, data, t, b):
    n = (len(data) - 1) // t
    total, count = 0.0, 0
    for start in range(0, n, 4 * b):
        idx = range(start, min(n, start + 4 * b))
        x = torch.stack([data[i * t:i * t + t] for i in idx])
        y = torch.stack([data[i * t + 1:i * t + 1 + t] for i in idx])
        total += loss_of(model, x, y).item() * x.numel()
        count += x.numel()
    return total / count


@torch.no_grad()
def sample_speed(model, tokens, block):
    idx = torch.zeros((1, 1), dtype=torch.long)
    start = time.perf_counter()
    for _ in range(tokens):
        logits = model(idx[:, -block:])[:, -1, :] / 0.8
        nxt = torch.multinomial(F.softmax(logits, dim=-1), 1)
        idx = torch.cat([idx, nxt], dim=1)
    return tokens / (time.perf_counter() - start), idx[0].tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["gpt", "llama"], default="gpt")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-iters", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-interval", type=int, default=250)
    ap.add_argument("--eval-iters", type=int, default=20)
    ap.add_argument("--sample-tokens", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1337)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    text = (ROOT / "data" / "tinyshakespeare" / "input.txt").read_text()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    cut = int(0.9 * len(data))
    train, val = data[:cut], data[cut:]
    model = build(args.model, len(chars))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.99))
    gen, val_gen = torch.Generator().manual_seed(args.seed), torch.Generator().manual_seed(args.seed + 1)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.model}: {n_params} parameters, {args.threads} thread(s)")
    train_seconds = 0.0
    for step in range(1, args.max_iters + 1):
        model.train()
        x, y = get_batch(train, 12, 64, gen)
        start = time.perf_counter()
        loss = loss_of(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args)
        opt.step()
        train_seconds += time.perf_counter() - start
        if step % args.eval_interval == 0 or step == args.max_iters:
            model.eval()
            with torch.no_grad():
                v = sum(loss_of(model, *get_batch(val, 12, 64, val_gen)).item()
                        for _ in range(args.eval_iters)) / args.eval_iters
            print(f"step {step}: train loss {loss.item():.4f}, val loss {v:.4f}, "
                  f"{1e3 * train_seconds / step:.1f} ms/step", flush=True)
    model.eval()
    print(f"full validation loss {full_loss(model, val, 64, 12):.4f}")
    print(f"{args.max_iters} steps: {1e3 * train_seconds / args.max_iters:.1f} ms/step "
          f"({train_seconds:.1f} s of training)")
    speed, ids = sample_speed(model, args.sample_tokens, 64)
    print(f"sampling: {speed:.0f} tokens/s (no KV cache)")
    print("".join(chars[i] for i in ids))


if __name__ == "__main__":
    main()
