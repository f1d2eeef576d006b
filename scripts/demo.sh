#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the
# main job on a bundled example: the seed's packet-loss root-cause chain over
# the bundled capture examples/traces/loss_chain.pcap, as a table.
#
# Usage: scripts/demo.sh [PROGRAM.eq [CAPTURE]]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
program="${1:-examples/loss_root_cause.eq}"
capture="${2:-examples/traces/loss_chain.pcap}"

bash scripts/install-deps.sh
bash scripts/build.sh build
echo "==> demo: build/equery-run $program --pcap $capture --format table"
build/equery-run "$program" --pcap "$capture" --format table
