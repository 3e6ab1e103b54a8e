#!/bin/sh
# The core benchmark: 1,000 TCP peers on loopback probed every second; prints CPU per probe,
# the daemon's RSS and its longest event-loop turn. About 90 s (add --stress: +45 s).
#
#   bench/core/run.sh [--build DIR] [--binary PATH] [--seconds 30] [--stress] [SCENARIO...]
#   cmake --build build --target bench-core        (the same, after building the daemon)
#
# --help lists every option (bench/benchlib.py has the ones all benchmarks share).
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/bench.py" "$@"
