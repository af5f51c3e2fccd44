#!/usr/bin/env bash
# Installs what the dev chain's tests need: the npm packages viem, ethers and
# solc, and Foundry's anvil and cast binaries (@foundry-rs/anvil-linux-amd64,
# @foundry-rs/cast-linux-amd64: optional dependencies, so Linux x64 only; the
# tests that use them skip elsewhere), all pinned by
# crates/dml-chain/tests/js/package-lock.json, for the JavaScript and tool
# client tests (tests/js_clients.rs, tests/tool_clients.rs). Idempotent;
# npm's download cache lives in ${DML_CACHE}/npm (default ~/.cache/dml/npm,
# see scripts/lib/cache.sh).
set -euo pipefail

repo_root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
# shellcheck source=../lib/cache.sh
source "$repo_root/scripts/lib/cache.sh"
cache="$DML_CACHE"
js_dir="$repo_root/crates/dml-chain/tests/js"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "chain setup: node and npm are required (Node 20+)" >&2
    exit 1
fi

stamp="$js_dir/node_modules/.installed-lock"
if [ -f "$stamp" ] && cmp -s "$stamp" "$js_dir/package-lock.json"; then
    echo "chain setup: npm packages up to date"
    exit 0
fi

mkdir -p "$cache/npm"
echo "chain setup: installing viem, ethers, solc, anvil and cast into $js_dir/node_modules"
(cd "$js_dir" && npm ci --no-audit --no-fund --cache "$cache/npm" --prefer-offline)
# The Foundry binaries are optional dependencies (Linux x64 only): check that
# they run where npm installed them.
for tool in anvil cast; do
    if [ -x "$js_dir/node_modules/.bin/$tool" ]; then
        "$js_dir/node_modules/.bin/$tool" --version | sed -n 1p
    else
        echo "chain setup: no $tool binary for this platform; tests/tool_clients.rs will skip its anvil and cast parts" >&2
    fi
done
cp "$js_dir/package-lock.json" "$stamp"
