#!/bin/bash
# Fuzz one parser of outside input (tests/fuzz) with libFuzzer, ASan and UBSan.
# Usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]   a campaign of SECONDS
#        scripts/fuzz.sh --build                                  only build the targets
#        scripts/fuzz.sh --list                                   the targets
# The clang tree is $SMSA_FUZZ_BUILD (default build-fuzz); inputs that find new coverage
# collect in its corpus/TARGET (the seeds in tests/fuzz/corpus/TARGET are only read), a
# crash leaves its input in its artifacts/ and the exit status is non-zero.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${SMSA_FUZZ_BUILD:-$src/build-fuzz}
cc=${SMSA_FUZZ_CC:-clang-14}
targets=$(sed -n 's/^set(SMSA_FUZZ_TARGETS \(.*\))$/\1/p' "$src/tests/fuzz/CMakeLists.txt")

build_targets() {
    cmake -S "$src" -B "$build" -DSMSA_FUZZ=ON -DSMSA_WERROR=ON -DBUILD_TESTING=OFF \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j"$(nproc)" --target fuzz_all
}

case "${1:-}" in
--build)
    build_targets
    exit 0
    ;;
--list)
    echo "$targets"
    exit 0
    ;;
"" | -h | --help)
    sed -n '3,8p' "$0"
    exit 2
    ;;
esac
target=$1
seconds=${2:?how many seconds}
shift 2
case " $targets " in
*" $target "*) ;;
*)
    echo "fuzz.sh: no target \"$target\"; one of: $targets" >&2
    exit 2
    ;;
esac
[ -x "$build/tests/fuzz/fuzz_$target" ] || build_targets
work="$build/corpus/$target"
mkdir -p "$work" "$build/artifacts"
# UBSan findings abort (-fno-sanitize-recover); ASan leak checks stay on.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
    "$@" "$work" "$src/tests/fuzz/corpus/$target"
