#!/usr/bin/env bash
# Builds dml-engine inside a no_std static library with its own panic handler:
# if anything in the engine's dependency graph links std, this fails with
# "duplicate lang item `panic_impl`".
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}/nostd-check"
CARGO_TARGET_DIR="$target" cargo build --manifest-path tools/nostd-check/Cargo.toml --release
echo "dml-engine builds as no_std"
