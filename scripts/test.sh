#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs what the
# tests need (each scripts/setup/*.sh is idempotent), then the Rust tests and
# the no_std build of the engine.
set -euo pipefail
cd "$(dirname "$0")/.."

for setup in scripts/setup/*.sh; do
    [ -e "$setup" ] || continue
    echo "==> $setup"
    bash "$setup"
done

echo "==> cargo test --workspace"
cargo test --workspace

echo "==> no_std build of dml-engine"
bash scripts/check-nostd.sh

echo "==> built-in models: same bytes from a portable and a -C target-cpu=native build"
DML_NATIVE_CHECK_TARGET="${DML_NATIVE_CHECK_TARGET:-${DML_CACHE:-$PWD/../.ci-cache}/native-check}" \
    bash crates/dml-models/scripts/check-native-determinism.sh
