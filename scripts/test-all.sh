#!/bin/bash
# One command on a fresh Debian 12, as root: install what is missing, build with warnings as
# errors, and run every test (unit, system and fuzz) under ctest.
# Two build folders, so that the quick start, the benchmarks and the tests never fight:
# - build: the release build (RelWithDebInfo) that quickstart.sh starts and the benchmarks
#   measure; built here too, so that its warnings stay errors;
# - build-san: the same code with AddressSanitizer and UBSan (-DSMSA_SANITIZE=ON); every test
#   runs against it, so that a leak, an overflow or undefined behaviour fails a test.
# With clang-14 there, the tests include the fuzz targets: fuzz.build builds them in
# build-san/build-fuzz (clang, ASan, UBSan) and fuzz.<target> replays each seed corpus and
# fuzzes for 20 s (scripts/fuzz.sh). Arguments go to ctest (e.g. -L unit, -R 'rest\.').
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMSA_WERROR=ON -DBUILD_TESTING=ON >/dev/null
cmake --build build -j"$(nproc)"
cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMSA_WERROR=ON -DBUILD_TESTING=ON -DSMSA_SANITIZE=ON >/dev/null
cmake --build build-san -j"$(nproc)"
cd build-san
ctest --output-on-failure --no-tests=error -j1 "$@"
