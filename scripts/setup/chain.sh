#!/usr/bin/env bash
# Installs what the dev chain's tests need: the npm packages viem and solc
# (pinned by crates/dml-chain/tests/js/package-lock.json) for the JavaScript
# client tests. Idempotent; npm's download cache lives in ${DML_CACHE}/npm
# (default ~/.cache/dml/npm, see scripts/lib/cache.sh).
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
echo "chain setup: installing viem and solc into $js_dir/node_modules"
(cd "$js_dir" && npm ci --no-audit --no-fund --cache "$cache/npm" --prefer-offline)
cp "$js_dir/package-lock.json" "$stamp"
