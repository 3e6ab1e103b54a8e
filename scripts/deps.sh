#!/bin/bash
# Installs what building, running and testing smsa-agent needs on Debian 12 (as root).
# Usage: scripts/deps.sh [run|test]   (test adds the real peers and checkers the tests use)
set -euo pipefail
what=${1:-test}
run_pkgs=(build-essential cmake pkg-config libsnmp-dev libmicrohttpd-dev libjansson-dev
          libc-ares-dev libgnutls28-dev snmp curl)
test_pkgs=(libcmocka-dev snmpd snmptrapd smitools dnsmasq chrony prometheus valgrind
           python3 python3-pytest python3-pysnmp4 python3-yaml e2fsprogs openssl wrk
           nginx-light clang-format
           nftables iptables ipset prometheus-snmp-exporter prometheus-alertmanager chromium
           dpkg-dev debhelper lintian adduser iproute2
           clang-14 libclang-rt-14-dev)
pkgs=("${run_pkgs[@]}")
if [ "$what" = test ]; then
    pkgs+=("${test_pkgs[@]}")
    # the OpenAPI lint runs @redocly/cli through npx; a machine may already have Node.js
    command -v npx >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
