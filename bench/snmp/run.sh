#!/bin/sh
# SNMP face benchmarks. Usage: bench/snmp/run.sh [BUILD_DIR]   (default: build)
# Needs snmpd, snmp (snmpbulkwalk, snmptable), snmptrapd, libsnmp-dev and a built smsa-agentd.
# SMSA_BENCH_SIZES="100 1000" and SMSA_BENCH_REPEAT=3 (best of) can be overridden.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
mkdir -p "$build/bench"
ref=$build/bench/ref_subagent
cc -O2 -Wall -Wextra -o "$ref" "$here/ref_subagent.c" $(pkg-config --libs netsnmp-agent)
export SMSA_REF_SUBAGENT="$ref"
export SMSA_AGENTD="${SMSA_AGENTD:-$build/agent/smsa-agentd}"
export SMSA_MIB_CACHE="${SMSA_MIB_CACHE:-$build/ietf-mibs}"
exec /usr/bin/python3 "$here/bench.py"
