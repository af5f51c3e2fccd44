#!/usr/bin/env bash
# Installs what the real-browser tests of the web app need
# (crates/dml-cli/tests/web_app.rs): Debian's `chromium` at /usr/bin/chromium
# (headless; no browser download of playwright's own) and the npm package
# playwright-core, pinned by crates/dml-cli/tests/browser/package-lock.json,
# that drives it. Idempotent: a second run finds both and does nothing. npm's
# download cache lives in ${DML_CACHE}/npm (default ~/.cache/dml/npm, see
# scripts/lib/cache.sh).
set -euo pipefail

repo_root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
# shellcheck source=../lib/cache.sh
source "$repo_root/scripts/lib/cache.sh"
cache="$DML_CACHE"
js_dir="$repo_root/crates/dml-cli/tests/browser"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "web setup: node and npm are required (Node 20+)" >&2
    exit 1
fi

if [ -x /usr/bin/chromium ]; then
    echo "web setup: chromium present ($(/usr/bin/chromium --version 2>/dev/null | tail -n 1))"
else
    echo "web setup: installing Debian package chromium"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get install -y -qq chromium >/dev/null; then
        echo "web setup: install failed; apt-get update and retry"
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq chromium >/dev/null
    fi
    [ -x /usr/bin/chromium ] || { echo "web setup: /usr/bin/chromium still missing after the install" >&2; exit 1; }
    echo "web setup: installed $(/usr/bin/chromium --version 2>/dev/null | tail -n 1)"
fi

stamp="$js_dir/node_modules/.installed-lock"
if [ -f "$stamp" ] && cmp -s "$stamp" "$js_dir/package-lock.json" \
    && [ -f "$js_dir/node_modules/playwright-core/package.json" ]; then
    echo "web setup: npm packages up to date in $js_dir/node_modules"
    exit 0
fi

mkdir -p "$cache/npm"
echo "web setup: installing playwright-core into $js_dir/node_modules"
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing on
# install, but say so anyway; the tests use Debian's chromium.
(cd "$js_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --cache "$cache/npm" --prefer-offline)
echo "web setup: playwright-core $(node -p "require('$js_dir/node_modules/playwright-core/package.json').version")"
cp "$js_dir/package-lock.json" "$stamp"
