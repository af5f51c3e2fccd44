#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs what the
# tests need (each scripts/setup/*.sh is idempotent), checks the committed
# governance bytecode against a fresh compile and the web app's bundle
# against a fresh build, then the Rust tests, the
# no_std build of the engine, the Arbitrum Stylus programs (built, held to the
# 24 KB limit, and run against the dev chain) and the native model build.
set -euo pipefail
cd "$(dirname "$0")/.."
# DML_CACHE (default ~/.cache/dml), exported: the tests look there for the
# venvs and npm packages the set-up scripts install.
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh

for setup in scripts/setup/*.sh; do
    [ -e "$setup" ] || continue
    echo "==> $setup"
    bash "$setup"
done

echo "==> governance bytecode: recompiled from the pinned sources, byte for byte"
bash crates/dml-governance/build-contracts.sh --check

echo "==> web app bundle: rebuilt from the pinned sources, byte for byte"
bash crates/dml-web/build-web.sh --check

echo "==> cargo test --workspace"
cargo test --workspace

echo "==> no_std build of dml-engine"
bash scripts/check-nostd.sh

echo "==> Arbitrum Stylus programs: build, size limit, wasm vs dev chain"
bash scripts/stylus-build.sh test

# The portable build's hashes were checked by `cargo test` above
# (dml-models' golden tests, 1 and 2 threads); this adds the native build.
echo "==> built-in models: the pinned bytes from a -C target-cpu=native build too"
DML_NATIVE_CHECK_SKIP_PORTABLE=1 bash crates/dml-models/scripts/check-native-determinism.sh
