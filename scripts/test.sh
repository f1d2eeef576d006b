#!/usr/bin/env bash
# Full test run (what CI runs):
#   1. scripts/install-deps.sh
#   2. scripts/build.sh            + ctest in build/
#   3. scripts/build.sh --asan     + ctest in build-asan/ (ASan + UBSan, leaks on)
# Exits non-zero if anything fails. The last line is a plain summary:
#   tests: N passed, N failed
# counting ctest tests over both runs; a stage that could not run its tests
# (build or configure failure, ctest reporting no result) counts as 1 failed.
# A test that ctest reports as skipped (real-traces without ../shared/traces)
# counts as neither: it is listed, and counted on a line of its own.
#
# Usage: scripts/test.sh
# Environment: CTEST_PARALLEL_LEVEL (default: number of CPUs).
set -uo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root" || exit 1

total_passed=0
total_failed=0
total_skipped=0
problems=()
logdir="$(mktemp -d "${TMPDIR:-/tmp}/equery-test.XXXXXX")"
trap 'rm -rf "$logdir"' EXIT

: "${CTEST_PARALLEL_LEVEL:=$(nproc 2>/dev/null || echo 2)}"
export CTEST_PARALLEL_LEVEL

# run_ctest NAME BUILD_DIR [ENV=VALUE...]
run_ctest() {
    local name="$1" dir="$2"
    shift 2
    local log="$logdir/ctest-$name.log"
    echo "==> test.sh: ctest ($name) in $dir"
    env "$@" ctest --test-dir "$dir" --output-on-failure --no-tests=error 2>&1 | tee "$log"
    local rc="${PIPESTATUS[0]}"

    # "100% tests passed, 0 tests failed out of 5"
    # "80% tests passed, 1 tests failed out of 5"
    local line failed total
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
        total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
        # ctest counts a skipped test as passed; list them and leave them out
        #   "The following tests did not run:" then "<TAB> 14 - real-traces (Skipped)"
        local skipped
        skipped=$(grep -cE '^[[:space:]]+[0-9]+ - .* \(Skipped\)$' "$log" || true)
        total_passed=$((total_passed + total - failed - skipped))
        total_failed=$((total_failed + failed))
        total_skipped=$((total_skipped + skipped))
        if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
            total_failed=$((total_failed + 1))
        fi
    else
        # no summary line: no tests found, or ctest itself failed
        total_failed=$((total_failed + 1))
        [ "$rc" -eq 0 ] && rc=1
    fi
    if [ "$rc" -ne 0 ]; then
        problems+=("ctest ($name) failed")
    fi
}

echo "==> test.sh: checking dependencies"
if ! bash scripts/install-deps.sh </dev/null; then
    echo "==> test.sh: FAILED: scripts/install-deps.sh" >&2
    echo "tests: 0 passed, 1 failed"
    exit 1
fi

# Stage 1: normal build
if bash scripts/build.sh build; then
    run_ctest default build
else
    problems+=("build (build/) failed")
    total_failed=$((total_failed + 1))
fi

# Stage 2: sanitizer build
if bash scripts/build.sh --asan build-asan; then
    run_ctest asan build-asan \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
    problems+=("build (build-asan/) failed")
    total_failed=$((total_failed + 1))
fi

echo
if [ "${#problems[@]}" -eq 0 ]; then
    echo "==> test.sh: all stages passed"
    status=0
else
    for p in "${problems[@]}"; do
        echo "==> test.sh: FAILED: $p"
    done
    status=1
fi
if [ "$total_skipped" -gt 0 ]; then
    echo "==> test.sh: $total_skipped tests skipped (not counted as passed)"
fi
echo "tests: $total_passed passed, $total_failed failed"
exit "$status"
