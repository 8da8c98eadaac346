"""The translation example's model in PyTorch (not run in CI): the same architecture and
parameter names as `model.rs`, so it loads ferrograd's checkpoints as they are.

    # logits of ferrograd's checkpoint, recomputed here and compared (max |diff|)
    cargo run --release --example translate -- translate --count 8 \
        --dump-logits target/translate/logits.safetensors
    python examples/translate/reference.py --checkpoint target/translate/best.safetensors \
        --check target/translate/logits.safetensors

    # training speed on the same batches (token ids and shapes) as ferrograd's first steps
    cargo run --release --example translate -- train --max-tokens 2048 --dump-batches 60
    python examples/translate/reference.py --checkpoint target/translate/best.safetensors \
        --train-speed target/translate/batches.safetensors --lr 7e-4

    # the whole recipe in PyTorch, from ferrograd's initial weights on ferrograd's batches
    # (8 epochs × 282 = 2,256 batches), one checkpoint per epoch in ferrograd's format;
    # then ferrograd's `eval` scores each (same decoding for both frameworks)
    cargo run --release --example translate -- train --epochs 8 --max-tokens 2048 \
        --warmup 400 --lr 7e-4 --dump-batches 100000 --out target/translate-torch
    python examples/translate/reference.py --checkpoint target/translate-torch/init.safetensors \
        --train target/translate-torch/batches.safetensors --warmup 400 --lr 7e-4
    cargo run --release --example translate -- eval --split val --count 200 \
        --checkpoint target/translate-torch/epoch7.safetensors --bpe target/translate-torch/bpe.txt

    # greedy output identical to ferrograd's, and beam-search speed, on test2016
    cargo run --release --example translate -- eval --dump-ids target/translate/greedy.safetensors
    python examples/translate/reference.py --checkpoint target/translate/best.safetensors \
        --decode target/translate/greedy.safetensors --beam 4

A checkpoint holds `config.*` scalars (the model's shape) and `model.*` tensors:
`embed.weight` (or `src_embed.weight` / `tgt_embed.weight`), `pos.weight` (learned
positions) or the `pos.pe` buffer (sinusoids, [max_len, 1, C]), `transformer.*`
(nn.Transformer's names, batch_first) and `out.weight` / `out.bias` when the output
layer is not tied. Read next: `model.rs`, whose equations this repeats.
"""

import argparse
import math
import time

import torch
from safetensors.torch import load_file, save_file
from torch import nn

PAD, BOS, EOS = 0, 1, 2


class Seq2Seq(nn.Module):
    """x = dropout(E[ids]·√C + P[positions]) → nn.Transformer → h·Eᵀ (tied) or Linear."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        d, v = c["d_model"], c["vocab"]
        sharing = c["sharing"]  # 0 none, 1 embeddings, 2 all
        if sharing == 0:
            self.src_embed = nn.Embedding(v, d)
            self.tgt_embed = nn.Embedding(v, d)
        else:
            self.embed = nn.Embedding(v, d)
        self.pos = nn.Module()
        if c["learned_positions"]:
            self.pos.weight = nn.Parameter(torch.zeros(c["max_len"], d))
        else:
            self.pos.register_buffer("pe", torch.zeros(c["max_len"], 1, d))
        self.transformer = nn.Transformer(
            d_model=d,
            nhead=c["heads"],
            num_encoder_layers=c["encoder_layers"],
            num_decoder_layers=c["decoder_layers"],
            dim_feedforward=c["ffn"],
            dropout=c["dropout"],
            batch_first=True,
            norm_first=bool(c["pre_norm"]),
        )
        self.out = nn.Linear(d, v) if sharing != 2 else None
        self.dropout = nn.Dropout(c["dropout"])

    def positions(self, t):
        table = self.pos.weight if self.c["learned_positions"] else self.pos.pe[:, 0, :]
        return table[:t]

    def embed_tokens(self, table, ids):
        x = table(ids) * math.sqrt(self.c["d_model"]) + self.positions(ids.shape[1])
        return self.dropout(x)

    def forward(self, src, tgt_in):
        src_table = self.embed if self.c["sharing"] else self.src_embed
        tgt_table = self.embed if self.c["sharing"] else self.tgt_embed
        src_pad, tgt_pad = src == PAD, tgt_in == PAD
        causal = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
        memory = self.transformer.encoder(
            self.embed_tokens(src_table, src), src_key_padding_mask=src_pad
        )
        h = self.transformer.decoder(
            self.embed_tokens(tgt_table, tgt_in),
            memory,
            tgt_mask=causal,
            tgt_key_padding_mask=tgt_pad,
            memory_key_padding_mask=src_pad,
            tgt_is_causal=True,
        )
        if self.out is not None:
            return self.out(h)
        return h @ self.embed.weight.T


def load(path):
    """The model saved by ferrograd's `translate train`, in eval mode."""
    state = load_file(path)
    fields = ["vocab", "d_model", "heads", "encoder_layers", "decoder_layers", "ffn",
              "dropout", "pre_norm", "learned_positions", "sharing", "max_len"]
    c = {f: state[f"config.{f}"].item() for f in fields}
    for f in fields:
        if f != "dropout":
            c[f] = int(c[f])
    model = Seq2Seq(c)
    weights = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}
    model.load_state_dict(weights, strict=True)
    return model.eval()


def train_speed(model, path, lr, label_smoothing=0.1, clip=1.0, warmup=3):
    """Training steps as `train.rs` takes them (teacher forcing, label-smoothed
    cross-entropy that ignores <pad>, gradient norm clipped, AdamW β = (0.9, 0.98)) on
    the batches ferrograd dumped; tokens/s counts source and target tokens that are not
    padding, as `translate train` does."""
    batches = load_file(path)
    count = len([k for k in batches if k.startswith("src.")])
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.0)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=label_smoothing)
    tokens, seconds = 0, 0.0
    for i in range(count):
        src, tgt_in, tgt_out = (batches[f"{k}.{i}"].long() for k in ("src", "tgt_in", "tgt_out"))
        start = time.perf_counter()
        logits = model(src, tgt_in)
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if i >= warmup:
            seconds += time.perf_counter() - start
            tokens += int((src != PAD).sum() + (tgt_out != PAD).sum())
    print(f"{count - warmup} steps after {warmup}: {tokens / seconds:.0f} training tokens/s "
          f"({seconds / (count - warmup):.3f} s/step, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s))")


def lr_at(step, lr, warmup, total):
    """`train.rs`' cosine schedule: linear warmup to `lr`, cosine to `lr / 100` at `total`."""
    if step < warmup:
        return lr * step / warmup
    if step >= total:
        return lr / 100
    progress = (step - warmup) / (total - warmup)
    return lr / 100 + (lr - lr / 100) * (1 + math.cos(math.pi * progress)) / 2


def train(model, init_path, path, lr, warmup, label_smoothing=0.1, clip=1.0):
    """The whole recipe of `translate train` on the batches ferrograd dumped (all epochs,
    in its order), from its initial weights: label-smoothed cross-entropy, clipping,
    AdamW β = (0.9, 0.98), ε = 1e-9, the cosine schedule. After each epoch the weights are
    written as `epoch<N>.safetensors` beside the batches, in ferrograd's checkpoint
    format, for `translate eval` to score."""
    batches = load_file(path)
    config = {k: v for k, v in load_file(init_path).items() if k.startswith("config.")}
    count = len([k for k in batches if k.startswith("src.")])
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9,
                            weight_decay=0.0)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=label_smoothing)
    tokens, start, losses = 0, time.perf_counter(), []
    for i in range(count):
        src, tgt_in, tgt_out = (batches[f"{k}.{i}"].long() for k in ("src", "tgt_in", "tgt_out"))
        logits = model(src, tgt_in)
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for group in opt.param_groups:
            group["lr"] = lr_at(i + 1, lr, warmup, count)
        opt.step()
        losses.append(loss.item())
        tokens += int((src != PAD).sum() + (tgt_out != PAD).sum())
        epoch = int(batches[f"epoch.{i}"].item())
        if i + 1 == count or int(batches[f"epoch.{i + 1}"].item()) != epoch:
            seconds = time.perf_counter() - start
            out = path.rsplit("/", 1)[0] + f"/epoch{epoch + 1}.safetensors"
            state = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
            save_file({**state, **config}, out)
            print(f"epoch {epoch + 1}: step {i + 1}, train loss {sum(losses) / len(losses):.3f}, "
                  f"{tokens / seconds:.0f} training tok/s, {seconds:.0f} s → {out}", flush=True)
            losses = []


def memory_of(model, src):
    table = model.embed if model.c["sharing"] else model.src_embed
    return model.transformer.encoder(model.embed_tokens(table, src),
                                     src_key_padding_mask=src == PAD)


def next_log_probs(model, prefixes, memory, src):
    """log softmax of the last position's logits; nn.Transformer has no KV cache, so the
    decoder reads the whole prefix again at every step (how PyTorch users decode it)."""
    table = model.embed if model.c["sharing"] else model.tgt_embed
    causal = nn.Transformer.generate_square_subsequent_mask(prefixes.shape[1])
    h = model.transformer.decoder(model.embed_tokens(table, prefixes), memory, tgt_mask=causal,
                                  memory_key_padding_mask=src == PAD, tgt_is_causal=True)
    h = h[:, -1]
    logits = model.out(h) if model.out is not None else h @ model.embed.weight.T
    return torch.log_softmax(logits, -1)


def greedy(model, src, max_new):
    memory, out = memory_of(model, src), torch.tensor([[BOS]])
    for _ in range(max_new):
        token = next_log_probs(model, out, memory, src).argmax(-1)
        if token.item() == EOS:
            break
        out = torch.cat([out, token[:, None]], 1)
    return out[0, 1:].tolist()


def beam(model, src, max_new, width, alpha):
    """`nn::decoding::beam_search` (early stopping, GNMT length penalty) for one sentence."""
    memory = memory_of(model, src)
    beams, scores, finished = torch.tensor([[BOS]]), torch.zeros(1), []
    lp = lambda n: ((5 + n) / 6) ** alpha  # noqa: E731
    for step in range(1, max_new + 1):
        rows = beams.shape[0]
        logp = next_log_probs(model, beams, memory.expand(rows, -1, -1), src.expand(rows, -1))
        total = (scores[:, None] + logp).reshape(-1)
        top, index = total.topk(2 * width)
        keep_rows, keep_tokens, keep_scores = [], [], []
        for rank, (score, flat) in enumerate(zip(top.tolist(), index.tolist())):
            b, v = divmod(flat, logp.shape[1])
            if v == EOS:
                if rank < width:
                    finished.append((score / lp(step), beams[b, 1:].tolist()))
            else:
                keep_rows.append(b)
                keep_tokens.append(v)
                keep_scores.append(score)
            if len(keep_rows) == width:
                break
        if len(finished) >= width:
            break
        beams = torch.cat([beams[keep_rows], torch.tensor(keep_tokens)[:, None]], 1)
        scores = torch.tensor(keep_scores)
    else:
        finished += [(s / lp(max_new), b[1:].tolist()) for s, b in zip(scores.tolist(), beams)]
    return max(finished, key=lambda f: f[0])[1]


def decode(model, path, width, alpha):
    """Greedy decoding of the sources ferrograd's `eval --dump-ids` saved: the output
    must be ferrograd's token for token; then the speed of greedy and of beam search."""
    dump = load_file(path)
    count = len([k for k in dump if k.startswith("src.")])
    sources = [torch.cat([dump[f"src.{i}"].long(), torch.tensor([[EOS]])], 1) for i in range(count)]
    max_new = [s.shape[1] * 3 // 2 + 10 for s in sources]
    with torch.no_grad():
        start = time.perf_counter()
        outputs = [greedy(model, s, m) for s, m in zip(sources, max_new)]
        greedy_seconds = time.perf_counter() - start
        same = sum(o == dump[f"hyp.{i}"][0].tolist() for i, o in enumerate(outputs))
        print(f"greedy: {same}/{count} outputs identical to ferrograd's; "
              f"{count / greedy_seconds:.1f} sentences/s (one at a time, no KV cache)")
        if width > 1:
            start = time.perf_counter()
            for s, m in zip(sources, max_new):
                beam(model, s, m, width, alpha)
            seconds = time.perf_counter() - start
            print(f"beam {width}: {count / seconds:.1f} sentences/s ({seconds:.1f} s, "
                  f"torch {torch.__version__}, {torch.get_num_threads()} thread(s))")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="target/translate/best.safetensors")
    parser.add_argument("--check", help="logits saved by translate --dump-logits")
    parser.add_argument("--train-speed", help="batches saved by translate train --dump-batches")
    parser.add_argument("--train", help="all batches saved by translate train --dump-batches")
    parser.add_argument("--decode", help="ids saved by translate eval --dump-ids")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--alpha", type=float, default=0.6)
    parser.add_argument("--warmup", type=int, default=400)
    parser.add_argument("--lr", type=float, default=7e-4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load(args.checkpoint)
    if args.train_speed:
        train_speed(model, args.train_speed, args.lr)
    if args.train:
        train(model, args.checkpoint, args.train, args.lr, args.warmup)
    if args.decode:
        decode(model.eval(), args.decode, args.beam, args.alpha)
    if not args.check:
        return
    dump = load_file(args.check)
    src, tgt_in = dump["src"].long(), dump["tgt_in"].long()
    with torch.no_grad():
        logits = model(src, tgt_in)
    valid = (tgt_in != PAD).unsqueeze(-1)  # padded query rows are not compared
    diff = ((logits - dump["logits"]).abs() * valid).max().item()
    print(f"{src.shape[0]} pairs, logits {list(logits.shape)}: max |PyTorch − ferrograd| = {diff:.2e}")
    assert diff < 1e-4, diff


if __name__ == "__main__":
    main()
