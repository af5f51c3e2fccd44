"""Convert textgenrnn 2.0.0's Keras HDF5 weights to safetensors (standard LSTM layout).

Usage: python convert_textgenrnn.py textgenrnn_weights.hdf5 out.safetensors

The two LSTM layers were trained with Keras 2.1.5's CuDNNLSTM, whose weights are
stored in cuDNN's layout. This does what Keras' own loader does when it loads
CuDNNLSTM weights into a plain LSTM (keras `_convert_rnn_weights`, from_cudnn):
  * per gate (order i, f, c, o in both layouts), the input kernel's C-order
    buffer is cuDNN's (units, input) matrix, so kernel = buf.reshape(units, input).T;
  * per gate, the recurrent kernel is stored transposed;
  * cuDNN has two bias vectors (input and recurrent); an LSTM has one: their sum.
The output is written with a deterministic header (sorted keys), so its bytes
and hash are the same on every machine.
"""

import json
import struct
import sys

import h5py
import numpy as np

GATES = 4


def cudnn_input_kernel_to_lstm(kernel: np.ndarray) -> np.ndarray:
    """(input, 4*units) cuDNN-ordered kernel -> Keras LSTM kernel, same shape."""
    gates = np.hsplit(kernel, GATES)
    return np.hstack([g.T.reshape(g.shape, order="F") for g in gates])


def cudnn_recurrent_kernel_to_lstm(kernel: np.ndarray) -> np.ndarray:
    """(units, 4*units) cuDNN-ordered recurrent kernel -> Keras LSTM recurrent kernel."""
    return np.hstack([g.T for g in np.hsplit(kernel, GATES)])


def cudnn_bias_to_lstm(bias: np.ndarray) -> np.ndarray:
    """(8*units,) input+recurrent biases -> (4*units,) summed bias."""
    input_bias, recurrent_bias = np.split(bias, 2)
    return (input_bias + recurrent_bias).astype(np.float32)


def load_textgenrnn(path: str) -> dict:
    """Read the HDF5 file and return the model's tensors in standard LSTM layout."""
    with h5py.File(path, "r") as f:
        tensors = {
            "embedding": f["embedding/embedding/embeddings:0"][()],
            "attention.w": f["attention/attention/attention_W:0"][()].reshape(-1),
            "output.kernel": f["output/output/kernel:0"][()],
            "output.bias": f["output/output/bias:0"][()],
        }
        for layer in ("rnn_1", "rnn_2"):
            group = f[f"{layer}/{layer}"]
            tensors[f"{layer}.kernel"] = cudnn_input_kernel_to_lstm(group["kernel:0"][()])
            tensors[f"{layer}.recurrent_kernel"] = cudnn_recurrent_kernel_to_lstm(
                group["recurrent_kernel:0"][()]
            )
            tensors[f"{layer}.bias"] = cudnn_bias_to_lstm(group["bias:0"][()])
    return {name: np.ascontiguousarray(t, dtype=np.float32) for name, t in tensors.items()}


def write_safetensors(tensors: dict, path: str) -> None:
    """Write F32 tensors in the safetensors format with a sorted, compact header."""
    header = {"__metadata__": {"format": "dml-textgenrnn", "source": "textgenrnn==2.0.0"}}
    offset = 0
    names = sorted(tensors)
    for name in names:
        size = tensors[name].nbytes
        header[name] = {
            "dtype": "F32",
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    header_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(header_bytes)))
        out.write(header_bytes)
        for name in names:
            out.write(tensors[name].astype("<f4").tobytes())


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: convert_textgenrnn.py WEIGHTS.hdf5 OUT.safetensors")
    write_safetensors(load_textgenrnn(sys.argv[1]), sys.argv[2])


if __name__ == "__main__":
    main()
