#!/usr/bin/env bash
# Installs the independent IPFS implementations that dml-content's tests
# cross-check CIDs against: Debian's `ipfs-cid` (Go, kubo's importer) and the
# npm `ipfs-unixfs-importer` (JavaScript). Idempotent; npm packages are cached
# under ${DML_CACHE}/content-npm so reruns are fast (DML_CACHE: default
# ~/.cache/dml, see scripts/lib/cache.sh).
set -euo pipefail

repo_root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
# shellcheck source=../lib/cache.sh
source "$repo_root/scripts/lib/cache.sh"
npm_dir="$DML_CACHE/content-npm"

if ! command -v ipfs_cid >/dev/null 2>&1; then
    echo "content setup: installing Debian package ipfs-cid"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq ipfs-cid >/dev/null
fi

if [ ! -f "$npm_dir/node_modules/ipfs-unixfs-importer/package.json" ] \
    || [ ! -f "$npm_dir/node_modules/blockstore-core/package.json" ]; then
    echo "content setup: installing npm ipfs-unixfs-importer into $npm_dir"
    mkdir -p "$npm_dir"
    [ -f "$npm_dir/package.json" ] || echo '{"name":"dml-content-crosscheck","private":true,"type":"module"}' > "$npm_dir/package.json"
    npm install --prefix "$npm_dir" --no-audit --no-fund --silent \
        ipfs-unixfs-importer@17.1.1 blockstore-core@7.0.1 >/dev/null
fi

echo "content setup: ipfs_cid at $(command -v ipfs_cid); npm importer in $npm_dir"
