#!/usr/bin/python3
"""How long loading a large configuration takes: a file of COUNT scanners and COUNT DNS
servers (documentation addresses, never probed), checked RUNS times with
`smsa-agentd --check-config` (which parses, validates and runs every start check).

    bench/core/config.py [COUNT] [RUNS]      (default 4000 50; SMSA_AGENTD or build/)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    agentd = os.environ.get("SMSA_AGENTD", os.path.join(ROOT, "build", "agent", "smsa-agentd"))
    with tempfile.TemporaryDirectory() as tmp:
        doc = {
            "appliance": {"name": "bench"},
            "peers": {
                "scanners": [{"name": "s%d" % i, "host": "192.0.2.%d:41002" % (i % 250 + 1)}
                             for i in range(count)],
                "dns_servers": ["192.0.2.%d" % (i % 250 + 1) for i in range(count)],
            },
            "ntp": {"enabled": True},
            "snmp": {"trap_sinks": ["udp:127.0.0.1:162",
                                    {"address": "[::1]:162", "inform": True}]},
            "http": {"allow": ["192.0.2.0/24", "2001:db8::/32", "127.0.0.0/8"]},
            "state_dir": tmp,
        }
        path = os.path.join(tmp, "smsa-agent.json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
        size = os.path.getsize(path)
        best = None
        total = 0.0
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([agentd, "-c", path, "--check-config"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            dt = time.perf_counter() - t0
            total += dt
            best = dt if best is None else min(best, dt)
        print("%d scanners + %d DNS servers (%d bytes): --check-config mean %.1f ms, best %.1f ms"
              " over %d runs" % (count, count, size, total / runs * 1e3, best * 1e3, runs))


if __name__ == "__main__":
    main()
