#!/bin/sh
# The core benchmark: 1,000 TCP peers on loopback probed every second; prints CPU per probe,
# the same over a bare epoll connect-and-close loop's against the same peers (the floor,
# bench/core/floor.c), the daemon's RSS and its longest event-loop turn. About 2 min (add
# --stress: +1 min). Needs BUILD/bench/probe_floor (cmake --build BUILD --target probe_floor).
#
#   bench/core/run.sh [--build DIR] [--binary PATH] [--seconds 30] [--stress] [SCENARIO...]
#   cmake --build build --target bench-core        (the same, after building the daemon)
#
# --help lists every option (bench/benchlib.py has the ones all benchmarks share).
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/bench.py" "$@"
