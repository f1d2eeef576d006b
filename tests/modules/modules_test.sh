#!/usr/bin/env bash
# modules_test.sh - the engines that need a heavy library are modules
# loaded when chosen (runtime/engine_modules.def, docs/performance.md
# "Start-up: libraries loaded when used").
#
# A copy of equery-run alone in a temporary folder (no module beside it):
#  1. does not link DPDK, libbpf, libcurl, libmicrohttpd nor GnuTLS (ldd);
#  2. runs a capture with the portable engine: the same rows as the build's;
#  3. --engine=dpdk, --engine=ebpf and a KOMon program (when built) fail
#     with one error naming the module's file and dlerror(), and the exit
#     status of a build without the library (2, 3, 3);
#  4. an unloadable module (an empty file) is said the same way.
# The expected errors are the golden file expected.err, the folder
# written DIR.
#
# Usage: modules_test.sh EQUERY_RUN HAVE_DPDK HAVE_EBPF HAVE_KOMON (1 or 0)
set -euo pipefail
RUN=$1 HAVE_DPDK=$2 HAVE_EBPF=$3 HAVE_KOMON=$4
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/cache" TMPDIR="$WORK"
mkdir "$WORK/bin"
cp "$RUN" "$WORK/bin/equery-run"
COPY="$WORK/bin/equery-run"
PROG="$REPO/examples/syn_flood.eq"
TRACE="$REPO/examples/traces/loss_chain.pcap"
fail=0

heavy=$(ldd "$COPY" | grep -E 'librte_|libbpf|libcurl|libmicrohttpd|libgnutls' || true)
if [ -z "$heavy" ]; then
    echo "ok equery-run links none of DPDK, libbpf, libcurl, libmicrohttpd, GnuTLS"
else
    echo "FAIL equery-run links:"; echo "$heavy"; fail=1
fi

"$RUN" "$PROG" --pcap "$TRACE" --format csv -o "$WORK/build.csv" 2>/dev/null
if "$COPY" "$PROG" --pcap "$TRACE" --format csv -o "$WORK/copy.csv" 2>"$WORK/copy.err" &&
    cmp -s "$WORK/build.csv" "$WORK/copy.csv"; then
    echo "ok the portable engine without any module: the same rows"
else
    echo "FAIL the portable engine without any module"; cat "$WORK/copy.err"; fail=1
fi

# expect NAME STATUS ARGS...: the exit status, stderr appended to got.err
: >"$WORK/got.err"
expect() {
    local name=$1 want=$2 rc=0
    shift 2
    timeout 60 "$COPY" "$@" 2>"$WORK/one.err" >/dev/null || rc=$?
    sed "s|$WORK/bin|DIR|g" "$WORK/one.err" >>"$WORK/got.err"
    if [ "$rc" = "$want" ]; then
        echo "ok $name: exit status $rc"
    else
        echo "FAIL $name: exit status $rc, not $want"; fail=1
    fi
}
# The builds without a library say so instead (engine_modules.def): only
# the modules this build has are looked for.
if [ "$HAVE_DPDK" = 1 ]; then
    expect "DPDK engine, no module" 2 "$PROG" --engine=dpdk --pcap "$TRACE" --format csv
fi
if [ "$HAVE_EBPF" = 1 ]; then
    expect "eBPF engine, no module" 3 "$PROG" --engine=ebpf --pcap "$TRACE" --format csv
fi
if [ "$HAVE_KOMON" = 1 ]; then
    expect "KOMon, no module" 3 "$REPO/examples/komon_vnf.eq"
fi
if [ "$HAVE_DPDK" = 1 ]; then
    : >"$WORK/bin/equery-engine-dpdk.so"
    expect "DPDK engine, an empty module" 2 "$PROG" --engine=dpdk --pcap "$TRACE" --format csv
fi

want="$WORK/expected.err"
: >"$want"
[ "$HAVE_DPDK" = 1 ] && grep -F 'DPDK engine (DIR/equery-engine-dpdk.so) cannot be loaded: DIR/equery-engine-dpdk.so: cannot open' "$HERE/expected.err" >>"$want"
[ "$HAVE_EBPF" = 1 ] && grep -F 'the eBPF engine' "$HERE/expected.err" >>"$want"
[ "$HAVE_KOMON" = 1 ] && grep -F 'KOMon' "$HERE/expected.err" >>"$want"
[ "$HAVE_DPDK" = 1 ] && grep -F 'file too short' "$HERE/expected.err" >>"$want"
if cmp -s "$want" "$WORK/got.err"; then
    echo "ok the errors are those of expected.err"
else
    echo "FAIL the errors differ from expected.err:"; diff "$want" "$WORK/got.err" || true; fail=1
fi
exit $fail
