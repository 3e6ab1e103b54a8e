#!/bin/sh
# The loop-turn cost of one GET of /metrics, /api/v1/flows, /api/v1/links and /api/v1/status
# with 1,000 and 4,000 probed TCP peers; see scrape_cost.py. About 3 minutes.
#
#   bench/rest/scrape_cost.sh [--build DIR] [--binary PATH] [--sizes 250,1000] [...]
#
# --help lists every option.
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/scrape_cost.py" "$@"
