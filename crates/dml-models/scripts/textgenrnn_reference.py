"""Reference forward pass of textgenrnn 2.0.0 in numpy, for checking the Rust port.

Usage: python textgenrnn_reference.py WEIGHTS.hdf5 VOCAB.json PROMPT LENGTH

Reads the original Keras HDF5 with h5py (converted to the standard LSTM layout
by convert_textgenrnn.py, exactly as Keras' loader does), runs the network of
textgenrnn/model.py (embedding -> two LSTMs -> concat -> attention-weighted
average -> dense softmax) in float32 over a 40-character left-padded window,
and decodes greedily (argmax, never the padding index 0) for LENGTH characters
or until the end-of-text token `<s>`. Prints one JSON object: the generated
text and the output-layer logits of every step.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_textgenrnn import load_textgenrnn  # noqa: E402

WINDOW = 40
META_TOKEN = "<s>"
KERAS_EPSILON = 1e-7


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm(inputs, kernel, recurrent_kernel, bias):
    units = recurrent_kernel.shape[0]
    h = np.zeros(units, dtype=np.float32)
    c = np.zeros(units, dtype=np.float32)
    outputs = []
    for x in inputs:
        z = x @ kernel + h @ recurrent_kernel + bias
        i = sigmoid(z[:units])
        f = sigmoid(z[units : 2 * units])
        g = np.tanh(z[2 * units : 3 * units])
        o = sigmoid(z[3 * units :])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs)


def logits(weights, token_ids):
    embedded = weights["embedding"][token_ids]
    rnn_1 = lstm(embedded, weights["rnn_1.kernel"], weights["rnn_1.recurrent_kernel"], weights["rnn_1.bias"])
    rnn_2 = lstm(rnn_1, weights["rnn_2.kernel"], weights["rnn_2.recurrent_kernel"], weights["rnn_2.bias"])
    features = np.concatenate([embedded, rnn_1, rnn_2], axis=1)
    scores = features @ weights["attention.w"]
    scores = np.exp(scores - scores.max())
    attention = scores / (scores.sum() + KERAS_EPSILON)
    pooled = (features * attention[:, None]).sum(axis=0)
    return pooled @ weights["output.kernel"] + weights["output.bias"]


def main():
    weights_path, vocab_path, prompt, length = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    weights = load_textgenrnn(weights_path)
    with open(vocab_path, encoding="utf8") as f:
        vocab = json.load(f)
    chars = {index: char for char, index in vocab.items()}
    text = [META_TOKEN] + list(prompt)
    generated = []
    step_logits = []
    for _ in range(length):
        window = [vocab.get(t, 0) for t in text[-WINDOW:]]
        window = [0] * (WINDOW - len(window)) + window
        out = logits(weights, np.array(window))
        step_logits.append([float(v) for v in out])
        out[0] = -np.inf
        next_index = int(np.argmax(out))
        if chars[next_index] == META_TOKEN:
            break
        text.append(chars[next_index])
        generated.append(chars[next_index])
    print(json.dumps({"text": prompt + "".join(generated), "logits": step_logits}))


if __name__ == "__main__":
    main()
