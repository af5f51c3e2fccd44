"""Reference implementations timed for dml-models-bench (same sentences, same machine, same run).

  python bench_reference.py minilm MODEL_DIR ROUNDS < sentences.json
      sentence-transformers on CPU PyTorch, 2 threads: prints
      {"batch1_sentences_per_s": …, "batch32_sentences_per_s": …}
      (needs torch + sentence-transformers; never installed in CI).
  python bench_reference.py textgenrnn WEIGHTS.hdf5 VOCAB.json PROMPT LENGTH
      the numpy reference forward pass (textgenrnn_reference.py), greedy:
      prints {"chars_per_s": …}.
"""

import json
import os
import sys
import time


def bench_minilm(model_dir, rounds):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    sentences = json.load(sys.stdin)
    model = SentenceTransformer(model_dir, device="cpu")
    model.encode(sentences[:4], batch_size=32)  # warm-up
    start = time.perf_counter()
    for _ in range(rounds):
        for s in sentences:
            model.encode([s], batch_size=1)
    batch1 = rounds * len(sentences) / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(rounds):
        model.encode(sentences, batch_size=32)
    batch32 = rounds * len(sentences) / (time.perf_counter() - start)
    print(json.dumps({"batch1_sentences_per_s": batch1, "batch32_sentences_per_s": batch32}))


def bench_textgenrnn(weights, vocab_path, prompt, length):
    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from textgenrnn_reference import WINDOW, logits
    from convert_textgenrnn import load_textgenrnn

    model = load_textgenrnn(weights)
    with open(vocab_path, encoding="utf8") as f:
        vocab = json.load(f)
    tokens = [vocab["<s>"]] + [vocab.get(c, 0) for c in prompt]
    start = time.perf_counter()
    for _ in range(length):
        window = tokens[-WINDOW:]
        window = [0] * (WINDOW - len(window)) + window
        out = logits(model, np.array(window))
        out[0] = -np.inf
        tokens.append(int(np.argmax(out)))
    print(json.dumps({"chars_per_s": length / (time.perf_counter() - start)}))


if __name__ == "__main__":
    if sys.argv[1] == "minilm":
        bench_minilm(sys.argv[2], int(sys.argv[3]))
    else:
        bench_textgenrnn(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
