#!/bin/sh
# The loop-turn cost of one GET of /metrics, /api/v1/flows, /api/v1/links and /api/v1/status
# with 1,000 and 4,000 probed TCP peers; see scrape_cost.py. About 3 minutes.
#
#   bench/rest/scrape_cost.sh [--binary build/agent/smsa-agentd] [--sizes 250,1000] [...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export SMSA_AGENTD="${SMSA_AGENTD:-$root/build/agent/smsa-agentd}"
# Each probe holds a socket for a moment and the peers hold a listener each.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec /usr/bin/python3 "$here/scrape_cost.py" "$@"
