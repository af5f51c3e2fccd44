"""Trains DML's text-to-image model and its judge on Fashion-MNIST (CPU PyTorch).

    python train.py --data /usr/share/datasets/fashion-mnist \
        --embeddings captions.embedded.json --out OUT_DIR [--epochs N] [--seed S]

Writes to OUT_DIR:
  unet.safetensors        the EMA weights of the denoiser (what inference loads)
  classifier.safetensors  a small CNN that labels 28x28 images (the quality judge)
  loss.csv                step, mean training loss over the last 100 steps
  train.json              hyper-parameters, data hashes, timings, test accuracy

`captions.embedded.json` is `{"captions": [[class, text, [384 floats]], ...]}`,
made by train.sh with DML's own all-MiniLM-L6-v2 (dml-models-embed), so the
network learns from exactly the embeddings it is given at inference time.

The architecture here is the specification the Rust port in
crates/dml-models/src/builtin/diffusion follows layer for layer: change one,
change both. Training is not bit-exact (PyTorch's kernels), inference is.
"""

import argparse
import csv
import gzip
import hashlib
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

# --- the model's fixed numbers (mirrored in diffusion/mod.rs) ---
TIMESTEPS = 1000
BETA_START = 1e-4
BETA_END = 0.02
CHANNELS = (16, 32, 64)
EMBED = 128
TIME_FEATURES = 64
TEXT_DIM = 384
GROUPS = 8
NORM_EPS = 1e-5


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def timestep_features(t):
    """Sinusoidal features of integer timesteps: [sin(t·f_i)..., cos(t·f_i)...]."""
    half = TIME_FEATURES // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = nn.GroupNorm(GROUPS, cin, eps=NORM_EPS)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(EMBED, 2 * cout)
        self.norm2 = nn.GroupNorm(GROUPS, cout, eps=NORM_EPS)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(e)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return h + (self.skip(x) if self.skip is not None else x)


class Attention(nn.Module):
    """Single-head self-attention over the pixels of a feature map."""

    def __init__(self, c):
        super().__init__()
        self.norm = nn.GroupNorm(GROUPS, c, eps=NORM_EPS)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.proj = nn.Conv2d(c, c, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        weights = torch.softmax(torch.einsum("bci,bcj->bij", q, k) / math.sqrt(c), dim=-1)
        out = torch.einsum("bij,bcj->bci", weights, v).reshape(b, c, h, w)
        return x + self.proj(out)


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        c0, c1, c2 = CHANNELS
        self.time1 = nn.Linear(TIME_FEATURES, EMBED)
        self.time2 = nn.Linear(EMBED, EMBED)
        self.text1 = nn.Linear(TEXT_DIM, EMBED)
        self.text2 = nn.Linear(EMBED, EMBED)
        self.conv_in = nn.Conv2d(1, c0, 3, padding=1)
        self.down0 = ResBlock(c0, c0)
        self.pool0 = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.down1 = ResBlock(c0, c1)
        self.pool1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down2 = ResBlock(c1, c2)
        self.mid1 = ResBlock(c2, c2)
        self.mid_attn = Attention(c2)
        self.mid2 = ResBlock(c2, c2)
        self.up2 = ResBlock(2 * c2, c2)
        self.unpool1 = nn.Conv2d(c2, c1, 3, padding=1)
        self.up1 = ResBlock(2 * c1, c1)
        self.unpool0 = nn.Conv2d(c1, c0, 3, padding=1)
        self.up0 = ResBlock(2 * c0, c0)
        self.norm_out = nn.GroupNorm(GROUPS, c0, eps=NORM_EPS)
        self.conv_out = nn.Conv2d(c0, 1, 3, padding=1)

    def forward(self, x, t, text):
        emb = self.time2(F.silu(self.time1(timestep_features(t))))
        emb = emb + self.text2(F.silu(self.text1(text)))
        e = F.silu(emb)
        h = self.conv_in(x)
        s0 = self.down0(h, e)
        s1 = self.down1(self.pool0(s0), e)
        s2 = self.down2(self.pool1(s1), e)
        h = self.mid2(self.mid_attn(self.mid1(s2, e)), e)
        h = self.up2(torch.cat([h, s2], dim=1), e)
        h = self.unpool1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.up1(torch.cat([h, s1], dim=1), e)
        h = self.unpool0(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.up0(torch.cat([h, s0], dim=1), e)
        return self.conv_out(F.silu(self.norm_out(h)))


class Classifier(nn.Module):
    """The quality judge: two conv blocks and two dense layers, inputs in [-1, 1]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return self.fc2(F.relu(self.fc1(h.flatten(1))))


def to_unit(images):
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0)[:, None]


def train_classifier(train_x, train_y, test_x, test_y, epochs, log):
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = train_x.shape[0]
    steps = epochs * ((n + 127) // 128)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, 128):
            idx = perm[i: i + 128]
            x = train_x[idx]
            # Small shifts so the judge does not key on exact pixel positions.
            dx, dy = np.random.randint(-2, 3, size=2)
            x = torch.roll(x, shifts=(int(dy), int(dx)), dims=(2, 3))
            loss = F.cross_entropy(model(x), train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model, test_x, test_y)
        log(f"classifier epoch {epoch + 1}: test accuracy {acc:.4f}")
    return model, acc


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], 1000):
        correct += (model(x[i: i + 1000]).argmax(1) == y[i: i + 1000]).sum().item()
    return correct / x.shape[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--embeddings", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--classifier-epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--cond-drop", type=float, default=0.1)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--seed", type=int, default=20261202)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-classifier", action="store_true")
    p.add_argument("--classifier-only", action="store_true",
                   help="train only the judge; keep the denoiser and its record")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    started = time.time()

    def log(msg):
        print(f"[{time.time() - started:7.1f}s] {msg}", flush=True)

    files = {name: os.path.join(args.data, name) for name in [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]}
    hashes = {name: sha256(path) for name, path in files.items()}
    train_x = to_unit(read_idx(files["train-images-idx3-ubyte.gz"]))
    train_y = torch.from_numpy(read_idx(files["train-labels-idx1-ubyte.gz"]).astype(np.int64))
    test_x = to_unit(read_idx(files["t10k-images-idx3-ubyte.gz"]))
    test_y = torch.from_numpy(read_idx(files["t10k-labels-idx1-ubyte.gz"]).astype(np.int64))
    log(f"data: {train_x.shape[0]} training and {test_x.shape[0]} test images")

    record = {"seed": args.seed, "data_sha256": hashes, "threads": args.threads}
    if not args.skip_classifier:
        classifier, acc = train_classifier(train_x, train_y, test_x, test_y, args.classifier_epochs, log)
        save_file({k: v.contiguous() for k, v in classifier.state_dict().items()},
                  os.path.join(args.out, "classifier.safetensors"))
        record["classifier"] = {"epochs": args.classifier_epochs, "test_accuracy": acc,
                                "optimizer": "Adam lr 1e-3 with cosine decay, batch 128, random shifts of up to 2 px"}
        if args.classifier_only:
            path = os.path.join(args.out, "train.json")
            with open(path) as f:
                kept = json.load(f)
            kept["classifier"] = record["classifier"]
            kept["classifier"]["seconds"] = round(time.time() - started, 1)
            with open(path, "w") as f:
                json.dump(kept, f, indent=2)
            log("done (judge only)")
            return

    with open(args.embeddings) as f:
        table = json.load(f)["captions"]
    caption_class = torch.tensor([row[0] for row in table])
    caption_emb = torch.tensor([row[2] for row in table], dtype=torch.float32)
    by_class = [torch.nonzero(caption_class == c).flatten() for c in range(10)]
    log(f"captions: {len(table)} embedded texts")

    betas = torch.linspace(BETA_START, BETA_END, TIMESTEPS, dtype=torch.float64)
    alpha_bar = torch.cumprod(1.0 - betas, dim=0)
    sqrt_ab = alpha_bar.sqrt().float()
    sqrt_1mab = (1.0 - alpha_bar).sqrt().float()

    model = UNet()
    ema = UNet()
    ema.load_state_dict(model.state_dict())
    for q in ema.parameters():
        q.requires_grad_(False)
    params = sum(q.numel() for q in model.parameters())
    log(f"unet: {params} parameters")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    n = train_x.shape[0]
    steps_per_epoch = n // args.batch
    total_steps = steps_per_epoch * args.epochs
    warmup = 200
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))

    curve = []
    window = []
    step = 0
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch: (i + 1) * args.batch]
            x0 = train_x[idx]
            labels = train_y[idx]
            pick = torch.stack([by_class[c][torch.randint(len(by_class[c]), (1,))][0] for c in labels.tolist()])
            text = caption_emb[pick]
            drop = torch.rand(len(idx)) < args.cond_drop
            text[drop] = 0.0
            t = torch.randint(0, TIMESTEPS, (len(idx),))
            noise = torch.randn_like(x0)
            xt = sqrt_ab[t][:, None, None, None] * x0 + sqrt_1mab[t][:, None, None, None] * noise
            loss = F.mse_loss(model(xt, t, text), noise)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            decay = min(args.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(decay).add_(pm, alpha=1 - decay)
            window.append(loss.item())
            if step % 100 == 0:
                curve.append((step, sum(window) / len(window)))
                window = []
                log(f"epoch {epoch + 1} step {step}/{total_steps}: loss {curve[-1][1]:.4f}")
        save_file({k: v.contiguous() for k, v in ema.state_dict().items()}, os.path.join(args.out, "unet.safetensors"))
        with open(os.path.join(args.out, "loss.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["step", "loss"])
            w.writerows([(s, f"{l:.5f}") for s, l in curve])
        log(f"epoch {epoch + 1} done, weights saved")

    record["unet"] = {
        "parameters": params, "epochs": args.epochs, "steps": total_steps, "batch": args.batch,
        "optimizer": f"AdamW lr {args.lr}, {warmup}-step warm-up, cosine decay, grad-norm clip 1.0",
        "ema": args.ema, "condition_dropout": args.cond_drop, "timesteps": TIMESTEPS,
        "betas": f"linear {BETA_START}..{BETA_END}", "target": "noise (epsilon)",
        "final_loss": curve[-1][1] if curve else None,
    }
    record["seconds"] = round(time.time() - started, 1)
    record["torch"] = torch.__version__
    with open(os.path.join(args.out, "train.json"), "w") as f:
        json.dump(record, f, indent=2)
    log("done")


if __name__ == "__main__":
    main()
