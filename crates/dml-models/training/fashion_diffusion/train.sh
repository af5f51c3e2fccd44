#!/usr/bin/env bash
# Trains the text-to-image model `fashion-diffusion` and its quality judge from
# scratch on CPU, then copies the weights where the repository keeps them.
#
#   bash crates/dml-models/training/fashion_diffusion/train.sh [train.py options]
#
# Needs Debian's dataset-fashion-mnist (installed if missing), the built-in
# all-MiniLM-L6-v2 weights (scripts/fetch-weights.sh) and a venv with torch,
# numpy and safetensors at ${DML_TRAIN_VENV:-$DML_CACHE/venv-train} (made here
# if missing; PyPI's torch wheel, several GB). Not part of the tests: the
# committed weights are what the tests check. Outputs go to
# $DML_CACHE/train-fashion-diffusion; the weights are then copied into
# crates/dml-models/weights/fashion-diffusion/ (commit them with the new
# golden hashes).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
# shellcheck source=../../../../scripts/lib/cache.sh
source "$ROOT/scripts/lib/cache.sh"
VENV="${DML_TRAIN_VENV:-$DML_CACHE/venv-train}"
OUT="$DML_CACHE/train-fashion-diffusion"
DATA=/usr/share/datasets/fashion-mnist
mkdir -p "$OUT"

if [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
  sudo_if() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_if apt-get install -y dataset-fashion-mnist
fi
if ! "$VENV/bin/python" -c 'import torch, numpy, safetensors' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'torch==2.15.0' 'numpy' 'safetensors'
fi
bash "$ROOT/scripts/fetch-weights.sh"

# Every caption under every prefix, embedded by DML's own MiniLM.
cargo build --release --manifest-path "$ROOT/Cargo.toml" -p dml-models --bin dml-models-embed
EMBED="${CARGO_TARGET_DIR:-$ROOT/target}/release/dml-models-embed"
"$VENV/bin/python" - "$HERE/captions.json" > "$OUT/captions.texts.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
rows = [(c, p + text) for c, texts in enumerate(spec["captions"]) for text in texts for p in spec["prefixes"]]
json.dump(rows, sys.stdout)
PY
"$VENV/bin/python" -c 'import json,sys; print(json.dumps([t for _, t in json.load(open(sys.argv[1]))]))' \
  "$OUT/captions.texts.json" | "$EMBED" > "$OUT/captions.vectors.json"
"$VENV/bin/python" - "$OUT/captions.texts.json" "$OUT/captions.vectors.json" > "$OUT/captions.embedded.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1])); vectors = json.load(open(sys.argv[2]))
json.dump({"captions": [[c, t, v] for (c, t), v in zip(rows, vectors)]}, sys.stdout)
PY

# A judge-only retrain keeps the denoiser's log.
LOG=train.log
for arg in "$@"; do [ "$arg" = --classifier-only ] && LOG=classifier.log; done
"$VENV/bin/python" "$HERE/train.py" --data "$DATA" --embeddings "$OUT/captions.embedded.json" --out "$OUT" "$@" \
  2>&1 | tee "$OUT/$LOG"

DEST="$ROOT/crates/dml-models/weights/fashion-diffusion"
mkdir -p "$DEST"
cp "$OUT/unet.safetensors" "$OUT/classifier.safetensors" "$DEST/"
cp "$OUT/loss.csv" "$OUT/train.json" "$OUT/$LOG" "$HERE/"
echo "weights copied to $DEST; record the new hashes in scripts/fetch-weights.sh and tests/fixtures/golden.json"
