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
from safetensors.torch import load_file
from torch import nn

PAD = 0


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="target/translate/best.safetensors")
    parser.add_argument("--check", help="logits saved by translate --dump-logits")
    parser.add_argument("--train-speed", help="batches saved by translate train --dump-batches")
    parser.add_argument("--lr", type=float, default=7e-4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load(args.checkpoint)
    if args.train_speed:
        train_speed(model, args.train_speed, args.lr)
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
