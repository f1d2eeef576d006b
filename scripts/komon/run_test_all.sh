#!/usr/bin/env bash
# run_test_all.sh - every test of a parameter file in the original KOMon
# format (one per line: intervals packets sleep load size delay [dist]),
# each through run_test.sh, like the original's run_test_all.sh.
#
# Usage: scripts/komon/run_test_all.sh PARAMFILE [REPETITION]
# Results go to $KOMON_OUT (default komon-results/<paramfile name>).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 1 ] || [ ! -r "$1" ]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
params=$1 rep=${2:-1}
export KOMON_OUT=${KOMON_OUT:-komon-results/$(basename "$params")}
while read -r intervals packets sleep_s load size delay dist _; do
    case "$intervals" in ''|'#'*) continue ;; esac
    bash "$here/run_test.sh" "$intervals" "$packets" "$sleep_s" "$load" "$size" "$delay" "${dist:-0}" "$rep"
done <"$params"
