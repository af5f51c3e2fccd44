#!/usr/bin/env bash
# Builds the DML engine and token as Arbitrum Stylus contracts (wasm32, MVP
# features only, as Nitro requires) and checks each against Stylus's 24 KB
# brotli limit.
#
#   scripts/stylus-build.sh            fetch the toolchain if needed, build, print sizes
#   scripts/stylus-build.sh setup      only fetch the toolchain and make the harness venv
#   scripts/stylus-build.sh export-abi print the Solidity interface of both contracts
#
# The wasm toolchain is Debian's rustc-web (a rustc with the wasm32 target's
# std sources), fetched with `apt-get download` and unpacked with `dpkg -x`
# under $DML_CACHE/stylus-toolchain (DML_CACHE: default ~/.cache/dml, see
# scripts/lib/cache.sh), so no rustup and no root are needed and a second run
# reuses it; Debian's binaryen (wasm-opt, which shrinks each linked program
# by a further 1-2 % after brotli) the same way under …/stylus-binaryen.
# The wasm build has its own
# target dir (…/stylus-wasm-target) and is never part of `cargo build --workspace`.
#
# Output: target wasm files in $DML_STYLUS_OUT (default <repo>/target/stylus),
# named as in PROGRAMS below, and their sizes.
#
# Contract addresses are compiled in (each contract must know the other's):
# DML_ENGINE_ADDRESS and DML_TOKEN_ADDRESS, defaulting to the dev chain's.
set -euo pipefail

REPO=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
# shellcheck source=lib/cache.sh
source "$REPO/scripts/lib/cache.sh"
CACHE=$DML_CACHE
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
TOOLCHAIN=$CACHE/stylus-toolchain
WASM_TARGET_DIR=${DML_STYLUS_TARGET_DIR:-$CACHE/stylus-wasm-target}
OUT=${DML_STYLUS_OUT:-$REPO/target/stylus}
LIMIT_BYTES=24576
RUST_WEB_VERSION=1.96
LLVM_VERSION=22
PACKAGES=(rustc-web "libstd-rust-web-$RUST_WEB_VERSION" libstd-rust-web-dev rust-web-src "libllvm$LLVM_VERSION" "lld-$LLVM_VERSION")
BINARYEN=$CACHE/stylus-binaryen
BINARYEN_PACKAGES=(binaryen)
WASM_OPT=$BINARYEN/root/usr/bin/wasm-opt

log() { printf 'stylus-build: %s\n' "$*" >&2; }

# fetch_debs DIR PACKAGE…: the Debian packages unpacked under DIR/root, once.
fetch_debs() {
    local dir=$1
    shift
    local root=$dir/root stamp=$dir/root/.complete
    if [[ -f $stamp ]] && [[ $(cat "$stamp") == "$*" ]]; then
        return
    fi
    log "fetching Debian $* into $dir"
    mkdir -p "$dir/debs"
    (
        cd "$dir/debs"
        if ! apt-get download "$@"; then
            log "apt-get download failed; refreshing the package lists"
            if [[ $(id -u) == 0 ]]; then apt-get update -qq; else sudo apt-get update -qq; fi
            apt-get download "$@"
        fi
    )
    rm -rf "$root.partial"
    mkdir -p "$root.partial"
    for deb in "$dir"/debs/*.deb; do
        dpkg -x "$deb" "$root.partial"
    done
    rm -rf "$root"
    mv "$root.partial" "$root"
    echo "$*" >"$stamp"
    rm -rf "$dir/debs"
}

fetch_toolchain() {
    fetch_debs "$TOOLCHAIN" "${PACKAGES[@]}"
    fetch_debs "$BINARYEN" "${BINARYEN_PACKAGES[@]}"
}

# Environment for cargo with the unpacked rustc-web (build-std needs nightly
# features, hence RUSTC_BOOTSTRAP; MVP wasm: no bulk-memory, sign-ext, …).
toolchain_env() {
    local root=$TOOLCHAIN/root
    export RUSTC=$root/usr/bin/rustc
    export LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu:$root/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export RUSTC_BOOTSTRAP=1
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$root/usr/lib/llvm-$LLVM_VERSION/bin/wasm-ld
    # A panic aborts at once (a trap, which reverts the call) instead of
    # formatting a message no one reads: that keeps core::fmt out of the programs.
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-cpu=mvp -C link-arg=-zstack-size=32768 -Zunstable-options -Cpanic=immediate-abort"
    # The workspace's release profile keeps debug info; a contract wants the smallest code.
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
    export CARGO_PROFILE_RELEASE_PANIC=abort CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=true
    export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=false CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=false
    export CARGO_TARGET_DIR=$WASM_TARGET_DIR
}

# The programs, as "<feature> <wasm name>": the engine's router (deployed at
# the engine's address), its eight facets and its genesis program (all
# delegate-called by the router) and the token.
PROGRAMS=(
    "engine-router dml-engine"
    "engine-govern dml-engine-govern"
    "engine-tasks dml-engine-tasks"
    "engine-solve dml-engine-solve"
    "engine-settle dml-engine-settle"
    "engine-stake dml-engine-stake"
    "engine-delegate dml-engine-delegate"
    "engine-finish dml-engine-finish"
    "engine-callback dml-engine-callback"
    "engine-genesis dml-engine-genesis"
    "token-contract dml-token"
)

build_program() {
    local feature=$1 name=$2
    log "building $name.wasm"
    (cd "$REPO" && cargo rustc -p dml-stylus --lib --crate-type cdylib --release --locked \
        --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort --features "$feature")
    mkdir -p "$OUT"
    # Then binaryen's size passes (Arbitrum's guide to optimising Stylus
    # binaries suggests wasm-opt). --mvp-features keeps the output MVP wasm,
    # as Nitro requires, and validates it. The equivalence tests run this
    # output, so they check wasm-opt's work too.
    "$WASM_OPT" --mvp-features -Oz --converge \
        "$WASM_TARGET_DIR/wasm32-unknown-unknown/release/dml_stylus.wasm" -o "$OUT/$name.wasm"
}

# The harness's Python environment: wasmtime (runs the programs), pycryptodome
# (keccak for the native_keccak256 hook), brotli (sizes as cargo-stylus counts
# them), coincurve (libsecp256k1, for the ecrecover precompile; no dependencies).
VENV=$CACHE/stylus-venv
PY_PACKAGES=(wasmtime==50.0.1 pycryptodome==4.4.0 brotli==1.2.1 coincurve==21.0.0)
python_env() {
    local stamp=$VENV/.complete
    if [[ -f $stamp ]] && [[ $(cat "$stamp") == "${PY_PACKAGES[*]}" ]]; then
        return
    fi
    log "creating the harness venv at $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
    echo "${PY_PACKAGES[*]}" >"$stamp"
}

# Prints each program's size and fails if one is over Stylus's limit
# (brotli quality 11, window 22, as cargo-stylus compresses before deploying).
check_sizes() {
    local files=() program
    for program in "${PROGRAMS[@]}"; do files+=("$OUT/${program#* }.wasm"); done
    "$VENV/bin/python" - "$LIMIT_BYTES" "${files[@]}" <<'PY'
import sys, brotli
limit = int(sys.argv[1])
over = []
print(f"{'contract':<26}{'wasm bytes':>12}{'brotli bytes':>14}{'limit':>8}")
for path in sys.argv[2:]:
    raw = open(path, "rb").read()
    size = len(brotli.compress(raw, quality=11, lgwin=22))
    name = path.rsplit("/", 1)[-1]
    print(f"{name:<26}{len(raw):>12}{size:>14}{limit:>8}")
    if size > limit:
        over.append(f"{name} is {size} bytes after brotli, over the {limit}-byte Stylus limit")
if over:
    sys.exit("stylus-build: " + "; ".join(over))
PY
}

build_all() {
    fetch_toolchain
    python_env
    (
        toolchain_env
        for program in "${PROGRAMS[@]}"; do
            # shellcheck disable=SC2086 # two words: feature and name
            build_program $program
        done
    )
}

case ${1:-build} in
    build)
        build_all
        check_sizes ;;
    setup) fetch_toolchain && python_env ;;
    export-abi)
        cd "$REPO" && cargo run --quiet -p dml-stylus --bin dml-stylus-abi ;;
    test | report)
        # Build, then run the wasm-vs-dev-chain equivalence tests (or the cost
        # report) against the build. An oversized program still fails the
        # command, after the tests have run.
        build_all
        sizes=0
        check_sizes || sizes=$?
        cd "$REPO"
        export DML_STYLUS_WASM_DIR=$OUT DML_STYLUS_PYTHON=$VENV/bin/python
        if [[ $1 == test ]]; then
            # --workspace: the same feature set as `cargo test --workspace`, so
            # nothing is rebuilt for this one test target.
            CI=true cargo test --workspace --test wasm_equivalence -- --include-ignored
        else
            cargo bench -p dml-stylus --bench stylus_report --profile dev
        fi
        exit "$sizes" ;;
    *)
        echo "usage: $0 [build|setup|export-abi|test|report]" >&2
        exit 2 ;;
esac
