#!/bin/bash
# One command on a fresh Debian 12, as root: install what is missing, build with warnings as
# errors, and run every test (unit and system) under ctest. With clang-14 there, the tests
# include the fuzz targets: fuzz.build builds them in build/build-fuzz (clang, ASan, UBSan)
# and fuzz.<target> replays each seed corpus and fuzzes for 20 s (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMSA_WERROR=ON -DBUILD_TESTING=ON >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure --no-tests=error -j1 "$@"
