#!/usr/bin/env bash
# Builds the web app's front-end (crates/dml-web/app/) into crates/dml-web/dist/,
# which the crate embeds, with the toolchain pinned by app/package-lock.json
# (viem, esbuild, TypeScript).
#
#   bash crates/dml-web/build-web.sh           type-check, then rebuild dist/
#   bash crates/dml-web/build-web.sh --check   type-check, rebuild into a temp dir and fail
#                                              if any committed file in dist/ differs
#
# Needs node and npm; installs the pinned packages into app/node_modules
# (npm's download cache under $DML_CACHE/npm) when they are missing or the
# lockfile changed. `cargo build` never runs this: dist/ is committed.
set -euo pipefail

crate_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$crate_dir/../.." && pwd)"
# shellcheck source=../../scripts/lib/cache.sh
source "$repo_root/scripts/lib/cache.sh"

check=false
case "${1:-}" in
    "") ;;
    --check) check=true ;;
    -h | --help)
        sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "build-web.sh: unknown argument '$1' (expected --check or nothing)" >&2
        exit 2
        ;;
esac

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build-web.sh: $tool is not installed; the front-end build needs node and npm" >&2
        exit 1
    fi
done

cd "$crate_dir/app"

# node_modules is current when it was installed from this very lockfile.
stamp=node_modules/.dml-package-lock.sha256
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$lock_hash" ]]; then
    echo "installing pinned npm packages (npm ci, cache $npm_config_cache)"
    npm ci --quiet --prefer-offline --no-audit --no-fund
    echo "$lock_hash" >"$stamp"
else
    echo "npm packages are current"
fi

echo "type-checking app/src (tsc --noEmit)"
node_modules/.bin/tsc --noEmit -p tsconfig.json

if ! $check; then
    node build.mjs ../dist
    echo "built crates/dml-web/dist/: $(cd ../dist && ls | tr '\n' ' ')"
    exit 0
fi

fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
node build.mjs "$fresh"

status=0
for built in "$fresh"/*; do
    name="$(basename "$built")"
    committed="../dist/$name"
    if [[ ! -f $committed ]]; then
        echo "MISSING: crates/dml-web/dist/$name is not committed; run build-web.sh" >&2
        status=1
    elif ! cmp -s "$built" "$committed"; then
        echo "DIFFERS: crates/dml-web/dist/$name is not what the pinned toolchain builds from app/; run build-web.sh and commit it" >&2
        status=1
    else
        echo "matches: dist/$name ($(wc -c <"$committed") bytes)"
    fi
done
for committed in ../dist/*; do
    name="$(basename "$committed")"
    if [[ ! -e $fresh/$name ]]; then
        echo "EXTRA: crates/dml-web/dist/$name is not built from app/; remove it" >&2
        status=1
    fi
done
exit "$status"
