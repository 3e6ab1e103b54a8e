#!/bin/sh
# REST benchmark: smsa-agentd vs nginx on identical bytes, SNMP latency under load.
# Usage: bench/rest/run.sh [build-dir] [seconds-per-run]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
export SMSA_AGENTD=${SMSA_AGENTD:-$build/agent/smsa-agentd}
for tool in wrk nginx; do
    command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
exec /usr/bin/python3 "$here/bench.py" "${2:-10}"
