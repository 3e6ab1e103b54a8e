#!/usr/bin/python3
"""What rendering the firewall export costs at thousands of scanners.

CLI: the wall clock of `smsa-agentd --firewall nft` (process start included) for a Control
Center with N scanners given as address literals (nothing is resolved).
REST: a daemon with the same N scanners on loopback addresses (probed once, then every
10 minutes), then GET /api/v1/firewall?format=nft several times in a row: the first answer
renders, the others should come from the cache of the configuration and resolution
generation. The REST face runs on the daemon's only loop, so a GET's time is the time the
loop is held.

    bench/firewall/render.py [--build DIR] [--scanners 1024,4096] [--gets 5]
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config(n, prefix, http_port=None):
    scanners = [{"name": "s%d" % i, "host": "%s.%d.%d" % (prefix, i // 250, 1 + i % 250)}
                for i in range(n)]
    return {"appliance": {"name": "bench", "role": "control-center"},
            "peers": {"scanners": scanners, "management_hosts": ["192.0.2.100"]},
            "ntp": {"enabled": False, "servers": []}, "updates": [],
            "probe": {"interval_ms": 600000, "timeout_ms": 1000, "resolver": "127.0.0.1:9"},
            "snmp": {"mode": "off"},
            "http": {"listen": "127.0.0.1:%d" % http_port if http_port else "",
                     "token_file": None}}


def cli(agentd, n, tmp):
    path = os.path.join(tmp, "cli.json")
    with open(path, "w") as f:
        json.dump(config(n, "10.1"), f)
    best = None
    for _ in range(3):
        t0 = time.monotonic()
        p = subprocess.run([agentd, "--firewall", "nft", "-c", path], capture_output=True,
                           text=True)
        wall = time.monotonic() - t0
        assert p.returncode == 0, p.stderr
        best = wall if best is None else min(best, wall)
    return best


def rest(agentd, n, gets, tmp):
    port = free_port()
    path = os.path.join(tmp, "rest.json")
    cfg = config(n, "127.1", port)
    cfg["state_dir"] = tmp
    with open(path, "w") as f:
        json.dump(cfg, f)
    d = subprocess.Popen([agentd, "-f", "-c", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or d.poll() is not None:
                    raise SystemExit("the daemon did not start")
                time.sleep(0.1)
        times = []
        for _ in range(gets):
            t0 = time.monotonic()
            body = urllib.request.urlopen(base + "/api/v1/firewall?format=nft",
                                          timeout=60).read()
            times.append(time.monotonic() - t0)
        return times, len(body)
    finally:
        d.terminate()
        d.wait(timeout=30)


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--scanners", type=benchlib.counts, default=None, metavar="N[,N...]",
                    help="scanner counts (default: 1024,4096)")
    ap.add_argument("--gets", type=int, default=5, help="GETs in a row (default 5)")
    a = benchlib.parse(ap, nofile=True)
    counts = a.scanners or [1024, 4096]
    print("scanners  cli_s   rest_first_ms  rest_next_ms (each)  bytes")
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            c = cli(a.binary, n, tmp)
            times, size = rest(a.binary, n, a.gets, tmp)
            print("%8d  %6.3f  %13.1f  %s  %d" % (
                n, c, times[0] * 1000, " ".join("%.1f" % (t * 1000) for t in times[1:]), size))


if __name__ == "__main__":
    main()
