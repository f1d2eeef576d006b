#!/usr/bin/env bash
# The eBPF benchmark table of docs/performance.md (not a test: CI does not
# run it). Needs root (loading BPF programs), clang, libbpf-dev, libpcap-dev.
#
#   bash bench/ebpf_bench.sh [BUILD_DIR]      (default: build; builds it if needed)
#
# ns per packet of the XDP programs `equeryc --target=ebpf` generates, run
# with BPF_PROG_TEST_RUN (bpf_prog_test_run_opts) by bench/ebpf_bench.c, for
#   filter-and-count           bench/filter_count.eq
#   5-tuple Groupby            bench/groupby_5tuple.eq (100,000 groups)
#   loss chain                 examples/loss_root_cause.eq
# next to the same query written by hand (bench/xdp_handwritten.bpf.c), the
# yardstick, and an empty XDP program (what BPF_PROG_TEST_RUN itself costs).
# All of them are loaded together and timed in turn in every run, over the
# bench traces (bench/gen_bench.py: 500,000 TCP frames over BENCH_FLOWS
# bidirectional 5-tuples, 64-byte frames and a 64/576/1500 mix).
#
# What is timed, per program: the populate pass feeds every frame of the
# capture once (the Groupby's map then holds every group); then, RUNS times,
# FRAMES distinct frames spread over the capture, each run REPEAT times in
# one call (the kernel's mean per run: "repeat" columns), and every frame of
# the capture once ("each frame once" columns: every group is met cold, and
# each figure includes one read of the kernel clock by BPF_PROG_TEST_RUN's
# timer, which the empty program shows).
#
# Environment: RUNS (5), REPEAT (1000), FRAMES (200), CPU (0), MAX_GROUPS
# (131072: the generated group maps' max_entries, above the 100,000 groups),
# TRACES ("small64 mixed"), EQUERYC (default BUILD_DIR/equeryc).
# A program the eBPF backend refuses gets a row saying so, with the reason.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
cd "$repo"
RUNS="${RUNS:-5}" REPEAT="${REPEAT:-1000}" FRAMES="${FRAMES:-200}" CPU="${CPU:-0}"
MAX_GROUPS="${MAX_GROUPS:-131072}" TRACES="${TRACES:-small64 mixed}"

if [ "$(id -u)" != 0 ]; then
    echo "ebpf_bench.sh: needs root (loading BPF programs with BPF_PROG_TEST_RUN)" >&2
    exit 1
fi
for tool in clang cc pkg-config; do
    command -v "$tool" >/dev/null || { echo "ebpf_bench.sh: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
pkg-config --exists libbpf || { echo "ebpf_bench.sh: libbpf-dev is missing" >&2; exit 1; }

equeryc="${EQUERYC:-$build/equeryc}"
[ -x "$equeryc" ] || bash scripts/build.sh "$build" >/dev/null
traces="$build/bench-traces"
[ -f "$traces/small64.pcap" ] && [ -f "$traces/mixed.pcap" ] || python3 bench/gen_bench.py "$traces"

work="$build/ebpf-bench"
rm -rf "$work"
mkdir -p "$work"
multiarch=$(gcc -print-multiarch 2>/dev/null || clang -print-multiarch 2>/dev/null || true)
bpf_cflags=(-O2 -g -target bpf -Wall -Wextra)
[ -n "$multiarch" ] && [ -d "/usr/include/$multiarch" ] && bpf_cflags+=("-I/usr/include/$multiarch")

# the runner, the yardstick, the empty program
# shellcheck disable=SC2046
cc -O2 -g -Wall -Wextra -o "$work/ebpf_bench" bench/ebpf_bench.c $(pkg-config --cflags --libs libbpf) -lpcap
clang "${bpf_cflags[@]}" -c bench/xdp_handwritten.bpf.c -o "$work/handwritten.o"
cat >"$work/empty.bpf.c" <<'EOF'
/* The empty XDP program: what BPF_PROG_TEST_RUN costs by itself. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp") int xdp_empty(struct xdp_md *ctx) { (void)ctx; return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
EOF
clang "${bpf_cflags[@]}" -c "$work/empty.bpf.c" -o "$work/empty.o"

# the generated programs: NAME|PROGRAM|label
programs=("fc|bench/filter_count.eq|filter-and-count (bench/filter_count.eq)"
          "gb|bench/groupby_5tuple.eq|5-tuple Groupby, 100k groups (bench/groupby_5tuple.eq)"
          "loss|examples/loss_root_cause.eq|loss chain (examples/loss_root_cause.eq)")
declare -A label refused arm
objs=("empty=$work/empty.o" "handwritten=$work/handwritten.o")
for entry in "${programs[@]}"; do
    IFS='|' read -r name prog lab <<<"$entry"
    label[$name]="$lab"
    if ! "$equeryc" --target=ebpf -o "$work/$name" "$prog" 2>"$work/$name.err"; then
        # the reasons, each once: "FILE:L:C: error: REASON"
        refused[$name]=$(sed -n 's/^[^:]*:[0-9]*:[0-9]*: error: //p' "$work/$name.err" | sed 's/ *$//' | sort -u |
                         paste -sd ';' | sed 's/;/; /g')
        [ -n "${refused[$name]}" ] || refused[$name]=$(head -1 "$work/$name.err")
        continue
    fi
    clang "${bpf_cflags[@]}" -c "$work/$name/program.bpf.c" -o "$work/$name.o"
    # arm the queries that start at launch (no When), as equery-run does
    arm[$name]=$(awk '/^- name: /{if (n != "" && !t) print n; n=$3; t=0} /^  trigger: /{t=1}
                      END{if (n != "" && !t) print n}' "$work/$name/manifest.yaml" | paste -sd ,)
    objs+=("$name=$work/$name.o@${arm[$name]:-none}")
done

commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
dirty=""
git diff --quiet HEAD -- codegen/ 2>/dev/null || dirty=" (codegen/ modified in the working tree)"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; kernel $(uname -r); clang $(clang -dumpversion); libbpf $(pkg-config --modversion libbpf)"
echo "equery: $commit$dirty; RUNS=$RUNS REPEAT=$REPEAT FRAMES=$FRAMES CPU=$CPU MAX_GROUPS=$MAX_GROUPS"

for t in $TRACES; do
    out="$work/$t.out"
    "$work/ebpf_bench" --runs "$RUNS" --repeat "$REPEAT" --frames "$FRAMES" --cpu "$CPU" --max-groups "$MAX_GROUPS" \
        --stream --pcap "$traces/$t.pcap" "${objs[@]}" >"$out"
done

# key=value of a program's result line
field() { # OUT NAME KEY
    sed -n "s/^result name=$2 .*\\b$3=\\([^ ]*\\).*/\\1/p" "$1"
}
insns() { # OUT NAME -> xlated instructions
    local obj
    obj=$(printf '%s\n' "${objs[@]}" | sed -n "s/^$2=\\([^@]*\\).*/\\1/p")
    sed -n "s|^program $obj: .*, \\([0-9]*\\) instructions (xlated).*|\\1|p" "$1" | head -1
}
echo
echo "| program | trace | instructions | ns/pkt, repeat (mean of $RUNS) | min-max | Mpps, repeat | ns/pkt, each frame once | Mpps, each frame once |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
row() { # OUT TRACE NAME LABEL
    printf "| %s | %s | %s | %s | %s-%s | %s | %s | %s |\n" "$4" "$2" "$(insns "$1" "$3")" "$(field "$1" "$3" ns)" \
        "$(field "$1" "$3" min)" "$(field "$1" "$3" max)" "$(field "$1" "$3" mpps)" "$(field "$1" "$3" stream_ns)" \
        "$(field "$1" "$3" stream_mpps)"
}
for entry in "${programs[@]}"; do
    IFS='|' read -r name _ _ <<<"$entry"
    for t in $TRACES; do
        if [ -n "${refused[$name]:-}" ]; then
            echo "| ${label[$name]} | $t | refused by the backend (${refused[$name]}) | | | | | |"
        else
            row "$work/$t.out" "$t" "$name" "${label[$name]}, generated"
        fi
    done
    if [ "$name" = fc ]; then
        for t in $TRACES; do row "$work/$t.out" "$t" handwritten "filter-and-count, hand-written (bench/xdp_handwritten.bpf.c)"; done
    fi
done
for t in $TRACES; do row "$work/$t.out" "$t" empty "empty XDP program (BPF_PROG_TEST_RUN by itself)"; done

if [ -z "${refused[fc]:-}" ]; then
    echo
    echo "| filter-and-count | trace | generated ns/pkt | hand-written ns/pkt | generated / hand-written | the same, less the empty program's ns/pkt |"
    echo "|---|---|---:|---:|---:|---:|"
    for t in $TRACES; do
        out="$work/$t.out"
        for kind in ns stream_ns; do
            g=$(field "$out" fc "$kind") h=$(field "$out" handwritten "$kind") e=$(field "$out" empty "$kind")
            what=$([ "$kind" = ns ] && echo "repeat $REPEAT" || echo "each frame once")
            printf "| %s | %s | %s | %s | %.2f | %.2f (%.2f / %.2f) |\n" "$what" "$t" "$g" "$h" \
                "$(echo "$g / $h" | bc -l)" "$(echo "($g - $e) / ($h - $e)" | bc -l)" \
                "$(echo "$g - $e" | bc -l)" "$(echo "$h - $e" | bc -l)"
        done
    done
fi

echo
echo "What the maps held (after the populate pass, every frame once):"
for t in $TRACES; do
    out="$work/$t.out"
    echo "- $t:"
    awk '/^after the runs:/{exit} /^(map|populate|arm) /' "$out" | sed 's/^/  - /'
done
echo
echo "Counts check: the generated filter-and-count and the hand-written one must count the same packets and bytes."
status=0
for t in $TRACES; do
    out="$work/$t.out"
    [ -n "${refused[fc]:-}" ] && break
    g=$(awk '/^after the runs:/{exit} /^map fc q_web_0: /{print $(NF-1), $NF}' "$out")
    h=$(awk '/^after the runs:/{exit} /^map handwritten web_counters: /{print $(NF-1), $NF}' "$out")
    if [ -n "$g" ] && [ "$g" = "$h" ]; then
        echo "- $t: the same: $g (packets bytes)"
    else
        echo "- $t: DIFFERENT: generated '$g', hand-written '$h'"
        status=1
    fi
done
echo
echo "Raw output: $work/*.out"
exit $status
