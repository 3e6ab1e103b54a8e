#!/bin/sh
# The core benchmark: 1,000 TCP peers on loopback probed every second; prints CPU per probe,
# the daemon's RSS and its longest event-loop turn. About 90 s (add --stress: +45 s).
#
#   bench/core/run.sh [--binary build/agent/smsa-agentd] [--seconds 30] [--stress] [SCENARIO...]
#
# Builds the daemon first when no binary is given and build/ has none.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ -z "${SMSA_AGENTD:-}" ] && ! printf '%s\n' "$@" | grep -q -- '^--binary'; then
    SMSA_AGENTD="$root/build/agent/smsa-agentd"
    if [ ! -x "$SMSA_AGENTD" ]; then
        cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
        cmake --build "$root/build" -j2 --target smsa-agentd >/dev/null
    fi
    export SMSA_AGENTD
fi

# Each probe holds a socket for a moment and the peers hold a listener each.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec /usr/bin/python3 "$here/bench.py" "$@"
