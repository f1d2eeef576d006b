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
# timer, which the empty program shows). "mean" is the mean of the runs'
# means over their frames; "best of each frame" the mean over the frames of
# each frame's lowest figure over the runs, which leaves out the time other
# tasks took the CPU in the middle of a call (on a busy machine).
#
# Environment: RUNS (5), REPEAT (1000), FRAMES (200), CPU (0), MAX_GROUPS
# (131072: the generated group maps' max_entries, above the 100,000 groups),
# TRACES ("small64 mixed"), EQUERYC (default BUILD_DIR/equeryc), EXPLAIN (1),
# OLD_EQUERYC: an older build's equeryc, whose programs are timed in the
# same run beside the current ones (rows "generated, old"; a change to the
# generator or eq_kern.h side by side with what it replaced).
# A program the eBPF backend refuses gets a row saying so, with the reason.
#
# EXPLAIN=1 (the default) then times, over the first trace, copies of the
# generated programs each changed in one place, to show where the time goes
# (diagnostics only: the generated code is not changed; the sed expressions
# apply to program.h, program.bpf.c and eq_kern.h): for filter-and-count,
# the kernel clock replaced by a constant, each fixed cost of a frame left
# out (the eq_seen frame counter, the bpf_xdp_get_buff_len call, the
# map-in-map lookup, the armed flag) one at a time and all together, the
# frame counter kept in .bss slots indexed by CPU instead of a per-CPU map,
# the query function inlined; for the Groupby, the group maps not preallocated,
# every frame inserting before it looks up, a value shared by the CPUs
# instead of per-CPU, a 48-byte key (addresses folded into one word) instead
# of the 80-byte one, the clock not read; for the loss chain, the ring
# buffer submitted without wakeup. The variants that change what is counted
# are timing bounds only.
#
# Each BPF_PROG_TEST_RUN call with repeat > 1 takes some 18 ms of wall time
# here whatever it runs (the kernel switches the XDP dispatcher to the
# program and back, and waits for RCU each time), so the whole run takes
# several minutes, mostly asleep.
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
bpf_cflags=(-O2 -g -target bpf -Wall -Wextra -I"$repo/runtime/include")
[ -n "$multiarch" ] && [ -d "/usr/include/$multiarch" ] && bpf_cflags+=("-I/usr/include/$multiarch")

# the runner, the yardstick, the empty program
# shellcheck disable=SC2046
cc -O2 -g -Wall -Wextra -I"$repo/runtime/include" -o "$work/ebpf_bench" bench/ebpf_bench.c $(pkg-config --cflags --libs libbpf) -lpcap
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
    if [ -n "${OLD_EQUERYC:-}" ] && "$OLD_EQUERYC" --target=ebpf -o "$work/$name-old" "$prog" 2>/dev/null; then
        clang "${bpf_cflags[@]}" -c "$work/$name-old/program.bpf.c" -o "$work/$name-old.o"
        objs+=("${name}_old=$work/$name-old.o@${arm[$name]:-none}")
    fi
done

commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
dirty=""
git diff --quiet HEAD -- codegen/ runtime/include/ 2>/dev/null || dirty=" (codegen/ or runtime/include/ modified in the working tree)"
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
echo "| program | trace | instructions | ns/pkt, repeat $REPEAT: mean of $RUNS runs | min-max of the runs | best of each frame | Mpps (mean) | ns/pkt, each frame once: mean | best of each frame |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
row() { # OUT TRACE NAME LABEL
    printf "| %s | %s | %s | %s | %s-%s | %s | %s | %s | %s |\n" "$4" "$2" "$(insns "$1" "$3")" "$(field "$1" "$3" ns)" \
        "$(field "$1" "$3" min)" "$(field "$1" "$3" max)" "$(field "$1" "$3" best)" "$(field "$1" "$3" mpps)" \
        "$(field "$1" "$3" stream_ns)" "$(field "$1" "$3" stream_best)"
}
for entry in "${programs[@]}"; do
    IFS='|' read -r name _ _ <<<"$entry"
    for t in $TRACES; do
        if [ -n "${refused[$name]:-}" ]; then
            echo "| ${label[$name]} | $t | refused by the backend (${refused[$name]}) | | | | | | |"
        else
            row "$work/$t.out" "$t" "$name" "${label[$name]}, generated"
            [ -f "$work/$name-old.o" ] && row "$work/$t.out" "$t" "${name}_old" "${label[$name]}, generated, old ($OLD_EQUERYC)"
        fi
    done
    if [ "$name" = fc ]; then
        for t in $TRACES; do row "$work/$t.out" "$t" handwritten "filter-and-count, hand-written (bench/xdp_handwritten.bpf.c)"; done
    fi
done
for t in $TRACES; do row "$work/$t.out" "$t" empty "empty XDP program (BPF_PROG_TEST_RUN by itself)"; done

if [ -z "${refused[fc]:-}" ]; then
    echo
    echo "| filter-and-count: ns/pkt | trace | generated | hand-written | generated / hand-written | less the empty program's: generated | hand-written |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for t in $TRACES; do
        out="$work/$t.out"
        for kind in ns best stream_ns stream_best; do
            g=$(field "$out" fc "$kind") h=$(field "$out" handwritten "$kind") e=$(field "$out" empty "$kind")
            case $kind in
            ns) what="repeat $REPEAT, mean of $RUNS runs" ;;
            best) what="repeat $REPEAT, best of each frame" ;;
            stream_ns) what="each frame once, mean of $RUNS runs" ;;
            stream_best) what="each frame once, best of each frame" ;;
            esac
            printf "| %s | %s | %s | %s | %.2f | %.2f | %.2f |\n" "$what" "$t" "$g" "$h" \
                "$(echo "$g / $h" | bc -l)" "$(echo "$g - $e" | bc -l)" "$(echo "$h - $e" | bc -l)"
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

# ---- where the time goes: one change at a time, in copies of the generated code
if [ "${EXPLAIN:-1}" != 0 ]; then
    t=${TRACES%% *}
    vobjs=("empty=$work/empty.o" "handwritten=$work/handwritten.o")
    declare -A vlabel
    vorder=()
    variant() { # NAME BASE SED-EXPRESSION... -- LABEL
        local name=$1 base=$2
        shift 2
        local exprs=()
        while [ "$1" != -- ]; do exprs+=(-e "$1"); shift; done
        shift
        [ -n "${refused[$base]:-}" ] && return 0
        mkdir -p "$work/v-$name"
        sed "${exprs[@]}" "$work/$base/program.h" >"$work/v-$name/program.h"
        sed "${exprs[@]}" "$work/$base/program.bpf.c" >"$work/v-$name/program.bpf.c"
        # the fixed part too: a copy beside program.bpf.c is the one it includes
        sed "${exprs[@]}" runtime/include/eq_kern.h >"$work/v-$name/eq_kern.h"
        if cmp -s "$work/$base/program.bpf.c" "$work/v-$name/program.bpf.c" &&
           cmp -s "$work/$base/program.h" "$work/v-$name/program.h" &&
           cmp -s runtime/include/eq_kern.h "$work/v-$name/eq_kern.h"; then
            echo "(variant $name: its pattern is no longer in the generated code; left out)"
            return 0
        fi
        clang "${bpf_cflags[@]}" -c "$work/v-$name/program.bpf.c" -o "$work/v-$name.o"
        vobjs+=("$name=$work/v-$name.o@${arm[$base]:-none}")
        vlabel[$name]="$1"
        vorder+=("$name")
    }
    for base in fc gb loss; do
        [ -n "${refused[$base]:-}" ] && continue
        vobjs+=("$base=$work/$base.o@${arm[$base]:-none}")
        vlabel[$base]="${label[$base]}, generated, as is"
        vorder+=("$base")
        case $base in
        fc)
            variant fc-noclock fc 's/p->ts = (__s64)bpf_ktime_get_ns() + EQ_CLOCK_OFFSET;/p->ts = 1;/' \
                -- "the same, the kernel clock not read (eq_ts() takes 1)"
            # the fixed costs of every frame, one at a time, then all of them
            seen='s/bpf_map_lookup_elem(&EQ_SEEN, &zero)/((void)zero, (struct eq_seen_count *)0)/'
            buflen='s/(__u32)bpf_xdp_get_buff_len(ctx)/(__u32)(end - data)/'
            mim='s/void \*groups = bpf_map_lookup_elem(&\(q_[a-z0-9_]*\)_buffers, &buf);/void *groups = \&\1_0; (void)buf;/'
            armed='s/if (!\*(volatile __u32 \*)&q_[a-z0-9_]*_armed)/if (0)/'
            variant fc-noseen fc "$seen" -- "the same, no frame counter (eq_seen: a per-CPU array lookup)"
            variant fc-seenbss fc 's/^    struct eq_seen_count \*seen = bpf_map_lookup_elem(&EQ_SEEN, &zero);$/    static struct { struct eq_seen_count c; __u64 pad[6]; } eq_seen_bss[64]; (void)zero;\n    struct eq_seen_count *seen = \&eq_seen_bss[bpf_get_smp_processor_id() \& 63].c;/' \
                -- "the same, the frame counter in .bss, a 64-byte slot per CPU (bpf_get_smp_processor_id), not a per-CPU array"
            variant fc-buflen fc "$buflen" -- "the same, the frame's length as data_end - data (no bpf_xdp_get_buff_len call)"
            variant fc-nomim fc "$mim" -- "the same, buffer 0 taken directly (no map-in-map lookup)"
            variant fc-noarmed fc "$armed" -- "the same, the armed flag not read"
            variant fc-lean fc "$seen" "$buflen" "$mim" "$armed" -- "the same, none of these four"
            variant fc-noclock-inline fc 's/p->ts = (__s64)bpf_ktime_get_ns() + EQ_CLOCK_OFFSET;/p->ts = 1;/' \
                's/static __noinline int q_/static __always_inline int q_/' \
                -- "the same, no clock, and the query function inlined (no BPF-to-BPF call)"
            ;;
        gb)
            variant gb-noprealloc gb 's/^\(    __uint(max_entries, EQ_MAX_GROUPS);\)$/\1 __uint(map_flags, BPF_F_NO_PREALLOC);/' \
                -- "the same, group maps not preallocated (BPF_F_NO_PREALLOC, as before)"
            variant gb-insertfirst gb 's/^    \(q_[a-z0-9_]*\)_state \*s = bpf_map_lookup_elem(groups, k);$/    bpf_map_update_elem(groups, k, \&\1_empty, BPF_NOEXIST);\n&/' \
                -- "the same, every frame inserts first (BPF_NOEXIST), then looks up"
            variant gb-shared gb 's/BPF_MAP_TYPE_PERCPU_HASH/BPF_MAP_TYPE_HASH/' \
                -- "the same, one value shared by the CPUs (BPF_MAP_TYPE_HASH: not per-CPU, so not correct on several CPUs)"
            variant gb-key48 gb '/^typedef struct {$/,/_key;$/s/^    EqAddr \([sd]addr\);$/    uint64_t \1;/' \
                's/^        \.\([sd]addr\) = \*\(f_[sd]addr\), /        .\1 = \2->w[0] ^ \2->w[1] ^ \2->v6, /' \
                -- "the same, addresses as 8-byte words in the key (48 bytes, not 80; not correct for IPv6)"
            variant gb-noclock gb 's/p->ts = (__s64)bpf_ktime_get_ns() + EQ_CLOCK_OFFSET;/p->ts = 1;/' \
                -- "the same, the kernel clock not read"
            ;;
        loss)
            variant loss-nowakeup loss 's/bpf_ringbuf_submit(f, 0)/bpf_ringbuf_submit(f, BPF_RB_NO_WAKEUP)/' \
                -- "the same, ring records submitted with BPF_RB_NO_WAKEUP"
            ;;
        esac
    done
    vout="$work/$t.explain.out"
    "$work/ebpf_bench" --runs "$RUNS" --repeat "$REPEAT" --frames "$FRAMES" --cpu "$CPU" --max-groups "$MAX_GROUPS" \
        --stream --pcap "$traces/$t.pcap" "${vobjs[@]}" >"$vout"
    echo
    echo "Where the time goes ($t, the same run for all rows; diagnostics, not the generated code):"
    echo
    echo "| program | instructions | ns/pkt, repeat: mean | best of each frame | ns/pkt, each frame once: mean | best of each frame | ns/pkt, populate pass (new groups inserted) |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    pop() { sed -n "s/^populate $2: .*, \\([0-9.]*\\) ns\\/pkt$/\\1/p" "$1"; }
    vinsns() { sed -n "s|^program $2: .*, \\([0-9]*\\) instructions (xlated).*|\\1|p" "$1" | head -1; }
    for n in empty handwritten "${vorder[@]}"; do
        case $n in
        empty) l="empty XDP program" o="$work/empty.o" ;;
        handwritten) l="filter-and-count, hand-written" o="$work/handwritten.o" ;;
        *) l="${vlabel[$n]}" o=$(printf '%s\n' "${vobjs[@]}" | sed -n "s/^$n=\\([^@]*\\).*/\\1/p") ;;
        esac
        printf "| %s | %s | %s | %s | %s | %s | %s |\n" "$l" "$(vinsns "$vout" "$o")" "$(field "$vout" "$n" ns)" \
            "$(field "$vout" "$n" best)" "$(field "$vout" "$n" stream_ns)" "$(field "$vout" "$n" stream_best)" \
            "$(pop "$vout" "$n")"
    done
fi

echo
echo "Raw output: $work/*.out"
exit $status
