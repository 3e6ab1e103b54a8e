#!/usr/bin/python3
"""How long `smsa-agentd --preflight` takes as the number of peers grows: half of them
scanners that answer (one listener on loopback), half DNS servers that never do (bound UDP
sockets nobody reads, so every query times out). The checks run at once, so the wall clock
should stay near one probe timeout whatever the count.

    bench/core/preflight.py [--build DIR] [--peers 100,1000,2000]
    (COUNT... as plain arguments is the same as --peers)
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402

TIMEOUT_MS = 1000


def run(agentd, count):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    silent = []
    for _ in range(count // 2):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        silent.append(s)
    cfg = {"appliance": {"name": "bench", "role": "control-center"},
           "peers": {"scanners": [{"name": "s%d" % i, "host": "127.0.0.1:%d" % port}
                                  for i in range(count - len(silent))],
                     "dns_servers": ["127.0.0.1:%d" % s.getsockname()[1] for s in silent]},
           "ntp": {"enabled": False, "servers": []}, "updates": [],
           "probe": {"interval_ms": 10000, "timeout_ms": TIMEOUT_MS, "resolver": "127.0.0.1:9"},
           "snmp": {"mode": "off"}, "http": {"listen": ""}}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(cfg, f)
        f.flush()
        t0 = time.monotonic()
        p = subprocess.run([agentd, "--preflight", "-c", f.name, "--flow", "7", "--flow", "11",
                            "--nagios"], capture_output=True, text=True)
        wall = time.monotonic() - t0
    listener.close()
    for s in silent:
        s.close()
    return wall, p.returncode


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--peers", type=benchlib.counts, default=None, metavar="N[,N...]",
                    help="peer counts to measure (default: 100,1000)")
    ap.add_argument("counts", nargs="*", type=int, metavar="COUNT", help=argparse.SUPPRESS)
    a = benchlib.parse(ap, nofile=True)
    agentd = a.binary
    counts = (a.peers or []) + a.counts or [100, 1000]
    print("peers  timeout_ms  wall_s  wall/timeout  exit")
    for n in counts:
        wall, rc = run(agentd, n)
        print("%5d  %10d  %6.3f  %12.2f  %4d" % (n, TIMEOUT_MS, wall, wall * 1000 / TIMEOUT_MS, rc))


if __name__ == "__main__":
    main()
