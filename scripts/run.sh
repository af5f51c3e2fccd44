#!/usr/bin/env bash
# The main job. Until `dml devnet` lands (issue 6) this runs what exists: the
# protocol engine's lifecycle benchmark (throughput, per-call time and gas).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p dml-engine --bench lifecycle
