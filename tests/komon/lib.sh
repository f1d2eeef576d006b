# lib.sh - shared by the KOMon tests (sourced): root check, two network
# namespaces joined by a veth pair (198.18.0.1 generator, 198.18.0.2 VNF;
# addresses only inside them), the VNF and the generator on different
# CPUs (PIN_VNF, PIN_GEN: the setup that measures correctly, docs/komon.md),
# cleanup on exit that leaves the machine as found (tests/lib/machine.sh:
# the BPF filesystem unmounted again if it was not mounted before, the
# namespaces gone, checked), assertions.
set -euo pipefail

BUILD=${1:?usage: TEST.sh BUILD_DIR}
KOMON="$BUILD/komon/equery-komon"
VNF="$BUILD/komon/komon-vnf"
GEN="$BUILD/komon/komon-gen"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RESULTS="$REPO/scripts/komon/komon_results.py"
# shellcheck source=../lib/machine.sh
source "$HERE/../lib/machine.sh"
# a port of its own, so a probe loaded by hand on 1234 does not interfere
PORT=${KOMON_TEST_PORT:-47231}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

[ "$(id -u)" -eq 0 ] || skip "KOMon tests need root (network namespaces, loading the eBPF probe: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN)"
[ -x "$KOMON" ] || skip "equery-komon was not built (needs libbpf, bpftool, clang and kernel BTF)"
[ -r /sys/kernel/btf/vmlinux ] || skip "this kernel has no BTF"
command -v bpftool >/dev/null || skip "bpftool is not installed"

machine_save_bpffs

TAG=$$
NS_VNF="kt-vnf-$TAG" NS_GEN="kt-gen-$TAG"
TMP=$(mktemp -d)
PIDS=()

cleanup() {
    local rc=$? left=0
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    "$KOMON" unload --port "$PORT" >/dev/null 2>&1
    ip netns del "$NS_VNF" 2>/dev/null
    ip netns del "$NS_GEN" 2>/dev/null
    rm -rf "$TMP"
    machine_check_netns "$NS_VNF" "$NS_GEN" || left=1
    machine_restore_bpffs || left=1
    if [ "$rc" -eq 0 ] && [ "$left" -ne 0 ]; then
        echo "FAIL: the machine was not left as found" >&2
        exit 1
    fi
}
trap cleanup EXIT

# The VNF and the generator (and its softirq) on different CPUs when there
# are two or more: sharing one ruins the measurement (docs/komon.md)
PIN_VNF=() PIN_GEN=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    PIN_VNF=(taskset -c 1) PIN_GEN=(taskset -c 0)
fi

make_netns() {
    ip netns add "$NS_VNF"
    ip netns add "$NS_GEN"
    ip link add "ktv$TAG" type veth peer name "ktg$TAG"
    ip link set "ktv$TAG" netns "$NS_VNF"
    ip link set "ktg$TAG" netns "$NS_GEN"
    ip -n "$NS_VNF" addr add 198.18.0.2/30 dev "ktv$TAG"
    ip -n "$NS_GEN" addr add 198.18.0.1/30 dev "ktg$TAG"
    ip -n "$NS_VNF" link set "ktv$TAG" up
    ip -n "$NS_GEN" link set "ktg$TAG" up
    ip -n "$NS_VNF" link set lo up
    ip -n "$NS_GEN" link set lo up
}

# status FIELD: one field of `equery-komon status`
status() { "$KOMON" status --port "$PORT" | awk -v k="$1" '$1 == k { print $2 }'; }

# ids of the loaded programs named komon_ingress/komon_egress, one a line
komon_prog_ids() { bpftool prog show | sed -nE 's/^([0-9]+): tracing +name komon_(ingress|egress) .*/\1/p' | sort; }
# ids of the links to programs in the list of ids $1
komon_link_ids() { bpftool link show | sed -nE 's/^([0-9]+): .*prog ([0-9]+).*/\1 \2/p' | awk -v ids=" $(echo $1) " 'index(ids, " " $2 " ") { print $1 }'; }
