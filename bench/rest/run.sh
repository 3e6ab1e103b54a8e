#!/bin/sh
# REST benchmark: smsa-agentd vs nginx on identical bytes, SNMP latency under load.
#
#   bench/rest/run.sh [--build DIR] [--binary PATH] [--seconds 10] [--peers 100]
#   cmake --build build --target bench-rest
#
# Needs wrk and nginx. --help lists every option.
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/bench.py" "$@"
