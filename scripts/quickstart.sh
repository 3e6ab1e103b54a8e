#!/bin/bash
# One command on a fresh Debian 12, as root: install what is missing, build, and start the
# agent on its embedded defaults: its own SNMP agent on udp:127.0.0.1:1161 (master mode) and
# REST on 127.0.0.1:8161. No snmpd needed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
state=/tmp/smsa-agent-quickstart
mkdir -p "$state"
if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    kill "$(cat "$state/pid")"
    sleep 0.5
fi
# No -c: with no /etc/smsa-agent/smsa-agent.json the daemon runs on its embedded defaults.
nohup build/agent/smsa-agentd -f --master >"$state/agentd.log" 2>&1 &
echo $! >"$state/pid"
for _ in $(seq 50); do
    grep -q "running" "$state/agentd.log" 2>/dev/null && break
    sleep 0.1
done
if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    cat "$state/agentd.log"
    exit 1
fi
# Debian ships no IETF base MIBs (SNMPv2-SMI, ...); the tools need them to show names. They
# are taken from Debian's erlang-snmp package into the build folder (not installed).
ietf=$(SMSA_MIB_CACHE="$PWD/build/ietf-mibs" python3 -c \
    'import sys; sys.path.insert(0, "tests/snmp"); import mibdirs; print(mibdirs.base_mibs())' \
    2>/dev/null || true)
if [ -n "$ietf" ]; then
    mibargs="-M $ietf:$PWD/mibs -m SMSA-AGENT-MIB"
    root=smsaAgentMIB
else
    mibargs="-m ''"
    root=.1.3.6.1.4.1.32473
fi
cat <<EOT
smsa-agentd is running (pid $(cat "$state/pid")); its log: $state/agentd.log

Ask it:
  snmpwalk -v2c -c public $mibargs 127.0.0.1:1161 $root
  snmptable -v2c -c public -Cw 160 $mibargs 127.0.0.1:1161 smsaFlowTable
  curl -s http://127.0.0.1:8161/api/v1/status
  curl -s http://127.0.0.1:8161/api/v1/flows
  curl -s http://127.0.0.1:8161/metrics

Stop it:
  kill \$(cat $state/pid)
EOT
