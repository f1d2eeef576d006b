#!/usr/bin/env bash
# Configure and build equery with CMake + Ninja.
#
# Usage: scripts/build.sh [--asan] [BUILD_DIR]
#   (default)  RelWithDebInfo build with -DEQUERY_WERROR=ON into ./build
#   --asan     same, compiled with clang and -DEQUERY_SANITIZE=ON
#              (AddressSanitizer + UndefinedBehaviorSanitizer) into ./build-asan
#   BUILD_DIR  build directory (relative paths are taken from the repo root)
#
# Extra CMake options can be given in the EQUERY_CMAKE_ARGS environment variable.
set -euo pipefail

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

asan=0
build_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --asan) asan=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "build.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        *)
            if [ -n "$build_dir" ]; then
                echo "build.sh: more than one build directory given" >&2
                exit 2
            fi
            build_dir="$1" ;;
    esac
    shift
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

cmake_args=(
    -G Ninja
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DEQUERY_WERROR=ON
)
if [ "$asan" -eq 1 ]; then
    : "${build_dir:=build-asan}"
    export CC=clang
    cmake_args+=(-DEQUERY_SANITIZE=ON)
    kind="sanitizer (ASan+UBSan, clang)"
else
    : "${build_dir:=build}"
    kind="RelWithDebInfo"
fi
if [ -n "${EQUERY_CMAKE_ARGS:-}" ]; then
    # shellcheck disable=SC2206
    cmake_args+=(${EQUERY_CMAKE_ARGS})
fi

# A build dir configured with a different compiler cannot be reused by CMake.
if [ -f "$build_dir/CMakeCache.txt" ]; then
    cached_cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
    want_cc=$(command -v "${CC:-cc}" 2>/dev/null || true)
    if [ -n "$want_cc" ] && [ -n "$cached_cc" ] &&
       [ "$(readlink -f "$cached_cc")" != "$(readlink -f "$want_cc")" ]; then
        echo "==> build.sh: compiler changed ($cached_cc -> $want_cc); reconfiguring $build_dir from scratch"
        rm -rf "$build_dir/CMakeCache.txt" "$build_dir/CMakeFiles"
    fi
fi

echo "==> build.sh: configuring $kind build in $build_dir"
echo "    cmake -S . -B $build_dir ${cmake_args[*]}${CC:+  (CC=$CC)}"
if ! cmake -S . -B "$build_dir" "${cmake_args[@]}"; then
    echo "==> build.sh: FAILED to configure $build_dir" >&2
    exit 1
fi

echo "==> build.sh: building $build_dir"
if ! cmake --build "$build_dir"; then
    echo "==> build.sh: FAILED to build $build_dir" >&2
    exit 1
fi
echo "==> build.sh: $kind build in $build_dir is up to date"
