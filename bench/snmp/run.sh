#!/bin/sh
# SNMP face benchmarks: walks through snmpd against a reference subagent and snmpd-native
# values, master mode, and link-down detection latency.
#
#   bench/snmp/run.sh [--build DIR] [--binary PATH] [--peers 100,1000] [--repeat 3]
#   cmake --build build --target bench-snmp       (builds ref_subagent first)
#
# Needs snmpd, snmp (snmpbulkwalk, snmptable), snmptrapd and libsnmp-dev. Builds the
# reference subagent (CMake target ref_subagent) when the build folder has none.
# --help lists every option.
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/bench.py" "$@"
