#!/usr/bin/env bash
# Builds the governance contracts into crates/dml-governance/artifacts/ with the
# compiler and OpenZeppelin release pinned by package-lock.json.
#
#   bash crates/dml-governance/build-contracts.sh           rebuild the artifacts
#   bash crates/dml-governance/build-contracts.sh --check   rebuild into a temp dir and fail
#                                                           if any committed artifact differs
#
# Needs node and npm; installs the pinned packages into the crate's
# node_modules (npm's download cache under $DML_CACHE/npm) when they are
# missing or the lockfile changed. Compiling is offline: the solc package
# bundles the compiler.
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
        sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "build-contracts.sh: unknown argument '$1' (expected --check or nothing)" >&2
        exit 2
        ;;
esac

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build-contracts.sh: $tool is not installed; the contracts build needs node and npm" >&2
        exit 1
    fi
done

cd "$crate_dir"

# node_modules is current when it was installed from this very lockfile: the
# stamp holds the lockfile's hash as of the last `npm ci`.
stamp=node_modules/.dml-package-lock.sha256
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$lock_hash" ]]; then
    echo "installing pinned npm packages (npm ci, cache $npm_config_cache)"
    npm ci --quiet --prefer-offline --no-audit --no-fund
    echo "$lock_hash" >"$stamp"
else
    echo "npm packages are current"
fi

if ! $check; then
    node build.mjs artifacts
    echo "artifacts written to crates/dml-governance/artifacts/"
    exit 0
fi

fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
node build.mjs "$fresh"

status=0
for built in "$fresh"/*.json; do
    name="$(basename "$built")"
    committed="artifacts/$name"
    if [[ ! -f $committed ]]; then
        echo "MISSING: crates/dml-governance/$committed is not committed; run build-contracts.sh" >&2
        status=1
    elif ! cmp -s "$built" "$committed"; then
        echo "DIFFERS: crates/dml-governance/$committed is not what the pinned compiler builds from the sources (or, for a Uniswap build, not the pinned npm package's bytes); run build-contracts.sh and commit it" >&2
        status=1
    else
        echo "matches: $committed"
    fi
done
for committed in artifacts/*.json; do
    [[ -e $committed ]] || continue
    if [[ ! -f "$fresh/$(basename "$committed")" ]]; then
        echo "STALE: crates/dml-governance/$committed is no longer built; delete it" >&2
        status=1
    fi
done
if [[ $status -ne 0 ]]; then
    echo "build-contracts.sh --check: the committed artifacts are out of date" >&2
    exit "$status"
fi
echo "build-contracts.sh --check: every artifact matches the sources"
