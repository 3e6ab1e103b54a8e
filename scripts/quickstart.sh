#!/bin/bash
# One command on a fresh Debian 12, as root: install what is missing, build, and start the
# agent on its embedded defaults: its own SNMP agent on udp:127.0.0.1:1161 (master mode) and
# REST on 127.0.0.1:8161. No snmpd needed.
#
# --no-config: the embedded defaults even where /etc/smsa-agent/smsa-agent.json exists (an
# installed package's configuration is not this demo's). It only ever stops an agent it
# started itself: the pid in its pid file must still be this build's smsa-agentd.
# SMSA_BUILD_DIR chooses the build folder (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SMSA_BUILD_DIR:-build}
scripts/deps.sh run
if [ -f "$build/CMakeCache.txt" ]; then
    # keep the folder's settings: test-all.sh may have turned the tests on there
    cmake -S . -B "$build" >/dev/null
else
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target smsa-agentd >/dev/null
bin=$(realpath "$build/agent/smsa-agentd")
state=$(realpath -m "$build/quickstart")
mkdir -p "$state"

# Is $1 the pid of this build's smsa-agentd? (/proc/PID/exe of a rebuilt binary ends
# in " (deleted)".)
ours() {
    local exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    [ "${exe% (deleted)}" = "$bin" ]
}
if [ -f "$state/pid" ]; then
    old=$(cat "$state/pid")
    if [[ $old =~ ^[0-9]+$ ]] && ours "$old"; then
        kill "$old"
        for _ in $(seq 50); do ours "$old" || break; sleep 0.1; done
    fi
    rm -f "$state/pid"
fi

nohup "$bin" -f --no-config --master >"$state/agentd.log" 2>&1 &
pid=$!
echo "$pid" >"$state/pid"
for _ in $(seq 50); do
    grep -q "running" "$state/agentd.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if ! kill -0 "$pid" 2>/dev/null || ! grep -q "running" "$state/agentd.log"; then
    echo "smsa-agentd did not start; its log ($state/agentd.log):" >&2
    cat "$state/agentd.log" >&2
    exit 1
fi

# Debian ships no IETF base MIBs (SNMPv2-SMI, ...); the tools need them to show names.
# smsa-agent-mibs takes them from Debian's erlang-snmp package into the build folder
# (nothing is installed). Without them (no network), the commands use numeric OIDs.
mibs="$(realpath -m "$build/snmp-mibs")"
if scripts/smsa-agent-mibs --dir "$mibs" >/dev/null 2>&1; then
    m="-M $mibs:$PWD/mibs -m SMSA-AGENT-MIB"
    walk="snmpwalk -v2c -c public $m 127.0.0.1:1161 smsaAgentMIB"
    table="snmptable -v2c -c public -Cw 160 $m 127.0.0.1:1161 smsaFlowTable"
else
    echo "(the IETF base MIBs could not be fetched: numeric OIDs below)"
    walk="snmpwalk -v2c -c public -m '' -On 127.0.0.1:1161 .1.3.6.1.4.1.32473"
    table="snmpwalk -v2c -c public -m '' -On 127.0.0.1:1161 .1.3.6.1.4.1.32473.1.3"
fi
cat <<EOT
smsa-agentd is running (pid $pid) on its embedded defaults; its log: $state/agentd.log

Ask it:
  $walk
  $table
  curl -s http://127.0.0.1:8161/api/v1/status
  curl -s http://127.0.0.1:8161/api/v1/flows
  curl -s http://127.0.0.1:8161/metrics

Stop it:
  kill $pid
EOT
