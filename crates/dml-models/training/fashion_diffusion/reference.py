"""PyTorch's answer for the Rust port to match: one denoiser call and one classifier call.

    python reference.py WEIGHTS_DIR EMBEDDED_CAPTIONS OUT.safetensors
    python reference.py bench WEIGHTS_DIR STEPS,… THREADS,… IMAGES   (prints seconds per image)

Loads unet.safetensors and classifier.safetensors from WEIGHTS_DIR with
train.py's modules, evaluates them on fixed inputs (a smooth test pattern, a
few timesteps, the embedding of the first caption of every class, and zeros)
and writes inputs and outputs to OUT. crates/dml-models/tests/diffusion.rs
checks the Rust network against them to a small tolerance (PyTorch sums in
another order, so bits differ; the layers must not).
"""

import json
import math
import sys

import torch
from safetensors.torch import load_file, save_file

import train


def main():
    weights, captions, out = sys.argv[1:]
    torch.set_num_threads(2)
    unet = train.UNet()
    unet.load_state_dict(load_file(f"{weights}/unet.safetensors"))
    unet.eval()
    judge = train.Classifier()
    judge.load_state_dict(load_file(f"{weights}/classifier.safetensors"))
    judge.eval()

    with open(captions) as f:
        table = json.load(f)["captions"]
    firsts = {}
    for cls, _text, vector in table:
        firsts.setdefault(cls, vector)
    texts = torch.tensor([firsts[c] for c in range(10)] + [[0.0] * train.TEXT_DIM], dtype=torch.float32)
    n = texts.shape[0]
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    images = torch.stack([torch.sin(0.3 * xs * (i + 1) / n + 0.2 * ys) * torch.cos(0.1 * ys * (i % 3 + 1))
                          for i in range(n)])[:, None]
    timesteps = torch.tensor([(97 * i + 13) % train.TIMESTEPS for i in range(n)])
    with torch.no_grad():
        noise = unet(images, timesteps, texts)
        pixels = torch.round((images + 1) * 127.5).clamp(0, 255)
        logits = judge(pixels / 127.5 - 1)
    save_file({"images": images.contiguous(), "timesteps": timesteps.to(torch.int64), "texts": texts,
               "noise": noise.contiguous(), "pixels": pixels.to(torch.uint8).contiguous(), "logits": logits},
              out)
    print(f"wrote {n} cases to {out}; noise std {noise.std().item():.4f}, max |logit| {logits.abs().max().item():.2f}")


if __name__ == "__main__" and sys.argv[1:2] != ["bench"]:
    main()


def bench(weights, steps_list, threads_list, images):
    """Seconds per image of the same sampler in PyTorch eager (CPU), for the bench's reference column."""
    import time

    unet = train.UNet()
    unet.load_state_dict(load_file(f"{weights}/unet.safetensors"))
    unet.eval()
    betas = torch.linspace(train.BETA_START, train.BETA_END, train.TIMESTEPS, dtype=torch.float64)
    ab = torch.cumprod(1.0 - betas, dim=0)
    text = torch.zeros(2, train.TEXT_DIM)
    text[0, 0] = 1.0
    result = {}
    for threads in threads_list:
        torch.set_num_threads(threads)
        for steps in steps_list:
            ts = [(steps - i) * train.TIMESTEPS // steps - 1 for i in range(steps)]
            start = time.perf_counter()
            with torch.no_grad():
                for seed in range(images):
                    x = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
                    for i, t in enumerate(ts):
                        eps = unet(x.repeat(2, 1, 1, 1), torch.tensor([t, t]), text)
                        eps = eps[1:] + 4.0 * (eps[:1] - eps[1:])
                        a, prev = ab[t].float(), (ab[ts[i + 1]].float() if i + 1 < steps else torch.tensor(1.0))
                        x0 = ((x - (1 - a).sqrt() * eps) / a.sqrt()).clamp(-1, 1)
                        e = (x - a.sqrt() * x0) / (1 - a).sqrt()
                        x = prev.sqrt() * x0 + (1 - prev).sqrt() * e
            result[f"{steps}/{threads}"] = (time.perf_counter() - start) / images
    print(json.dumps(result))


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "bench":
    bench(sys.argv[2], [int(s) for s in sys.argv[3].split(",")], [int(t) for t in sys.argv[4].split(",")],
          int(sys.argv[5]))
