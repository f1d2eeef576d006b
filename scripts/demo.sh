#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the
# main job on a bundled example (the packet-loss root-cause chain).
#
# Usage: scripts/demo.sh [EXAMPLE.eq]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
example="${1:-examples/loss_root_cause.eq}"

bash scripts/install-deps.sh
bash scripts/build.sh build
echo "==> demo: build/equeryc --emit=ir $example"
build/equeryc --emit=ir "$example"
