#!/usr/bin/env bash
# Shows that the built-in models' output bytes do not depend on CPU features:
# builds dml-models-golden once for the portable x86-64 baseline and once with
# `-C target-cpu=native` (separate target dirs), runs both with 1 and 2 threads
# against tests/fixtures/golden.json, and fails on any hash that differs from
# the pinned one. Needs the weights (bash scripts/setup/models.sh).
#
#   bash crates/dml-models/scripts/check-native-determinism.sh
#
# Target dirs: ${DML_NATIVE_CHECK_TARGET:-$DML_CACHE/native-check}{,-portable}
# (DML_CACHE: default ~/.cache/dml, see scripts/lib/cache.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
# shellcheck source=../../../scripts/lib/cache.sh
source "$ROOT/scripts/lib/cache.sh"
BASE="${DML_NATIVE_CHECK_TARGET:-$DML_CACHE/native-check}"
FIXTURE="$ROOT/crates/dml-models/tests/fixtures/golden.json"

build() { # target-dir rustflags
  CARGO_TARGET_DIR="$1" RUSTFLAGS="$2" cargo build --quiet --release -p dml-models --bin dml-models-golden \
    --manifest-path "$ROOT/Cargo.toml"
}

variants=()
# DML_NATIVE_CHECK_SKIP_PORTABLE=1 skips the portable release build, for
# callers that already checked the pinned hashes with a portable build (the
# workspace tests do, with 1 and 2 threads).
if [ "${DML_NATIVE_CHECK_SKIP_PORTABLE:-0}" != 1 ]; then
  echo "building portable (RUSTFLAGS='')" >&2
  build "$BASE-portable" ""
  variants+=("$BASE-portable")
fi
echo "building native (RUSTFLAGS='-C target-cpu=native')" >&2
build "$BASE" "-C target-cpu=native"
variants+=("$BASE")

status=0
for variant in "${variants[@]}"; do
  for threads in 1 2; do
    echo "== $(basename "$variant"), $threads thread(s)"
    "$variant/release/dml-models-golden" "$FIXTURE" --threads "$threads" || status=1
  done
done
exit $status
