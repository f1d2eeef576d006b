#!/usr/bin/env bash
# setups.sh - what the placement of the VNF and the generator does to
# KOMon's accuracy, measured on this machine with one command: for each
# setup,
#   scripts/komon/run_test.sh 3 100 0.1 1000 128 D      for D in 0 300
# (3 intervals of 100 samples at 1 kpps, 128-byte datagrams, the VNF at a
# constant delay of D us), then a markdown table of kernel - VNF per
# packet (the probe's time minus the VNF's own for the same packet; median
# and p90) per setup and delay, with the machine it ran on. Setups:
#   polling, not pinned          KOMON_PIN=0 KOMON_VNF_ARGS=--poll
#   polling, pinned              KOMON_PIN=1 KOMON_VNF_ARGS=--poll
#   polling, pinned, RT prio 50  ... KOMON_VNF_RT=50 (when chrt -f 50 works)
#   blocking, pinned             KOMON_PIN=1
# Pinned: the VNF on CPU 1, the generator on CPU 0 (run_test.sh).
#
# Usage: scripts/komon/setups.sh [OUT_DIR]       (root; default komon-results/setups)
# Environment: KOMON_BUILD (see run_test.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out=${1:-komon-results/setups}
if [ "$(id -u)" -ne 0 ]; then
    echo "setups.sh: needs root (run_test.sh: network namespaces and the KOMon probe)" >&2
    exit 77
fi
if [ "$(nproc)" -lt 2 ]; then
    echo "setups.sh: note: $(nproc) CPU: the pinned setups cannot separate the VNF from the generator" >&2
fi

setups=("poll-unpinned|polling VNF, not pinned|KOMON_PIN=0 KOMON_VNF_ARGS=--poll"
        "poll-pinned|polling VNF, pinned|KOMON_PIN=1 KOMON_VNF_ARGS=--poll")
if chrt -f 50 true 2>/dev/null; then
    setups+=("poll-pinned-rt50|polling VNF, pinned, RT priority 50|KOMON_PIN=1 KOMON_VNF_ARGS=--poll KOMON_VNF_RT=50")
else
    echo "setups.sh: note: chrt -f 50 is refused here: no real-time setup" >&2
fi
setups+=("block-pinned|blocking VNF, pinned|KOMON_PIN=1")

# steal and total jiffies of all CPUs (/proc/stat)
cpu_jiffies() { awk '/^cpu /{ t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }
read -r steal0 total0 < <(cpu_jiffies)
start=$(date +%s)
rm -rf "$out"
for s in "${setups[@]}"; do
    IFS='|' read -r key _ envs <<<"$s"
    for d in 0 300; do
        # shellcheck disable=SC2086
        env KOMON_OUT="$out/$key" $envs bash "$here/run_test.sh" 3 100 0.1 1000 128 "$d" >&2
    done
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
read -r steal1 total1 < <(cpu_jiffies)
steal=$(awk -v a="$((steal1 - steal0))" -v b="$((total1 - total0))" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')
echo "Machine: Linux $(uname -r), $(nproc) CPUs ($cpu); steal time $steal% during the $(( $(date +%s) - start )) s run, load average $(cut -d' ' -f1-3 /proc/loadavg) at its end."
echo "Command: \`scripts/komon/run_test.sh 3 100 0.1 1000 128 D\` for D in 0 and 300, per setup (\`scripts/komon/setups.sh\`)."
echo
HERE="$here" python3 - "$out" "${setups[@]}" <<'EOPY'
import os, sys
sys.path.insert(0, os.environ["HERE"])
import komon_results as kr
out = sys.argv[1]
print("| setup | samples (delay 0, 300) | delay 0: kernel - VNF median, p90 | delay 300 us: median, p90 |")
print("|---|---|---|---|")
def us(x):
    return f"{x:.1f} us" if abs(x) < 1000 else f"{x / 1e3:.2f} ms"
for s in sys.argv[2:]:
    key, name, envs = s.split("|")
    rows = {r["delay"]: r for r in kr.summarize(os.path.join(out, key))}
    cells, counts = [], []
    for d in (0, 300):
        r = rows.get(d)
        if not r or not r["diffs"]:
            cells.append("-")
            counts.append("0")
            continue
        cells.append(f"{us(r['d_med'])}, {us(r['d_p90'])}")
        counts.append(f"{r['joined']}/{r['wanted']}")
    print(f"| {name} (`{envs}`) | {', '.join(counts)} | {cells[0]} | {cells[1]} |")
EOPY
