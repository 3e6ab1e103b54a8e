#!/usr/bin/python3
"""Daemon CPU per REST request: wrk (1 thread, 4 connections) against each endpoint of a
daemon with 250 scanners (1,000 peers, probes refused on loopback), CPU read from
/proc/<pid>/stat before and after. CPU per request is less at the mercy of a busy machine
than requests per second; binaries given together are run alternately, twice each.

Usage: bench/rest/cpu_per_request.py [--seconds 5] [BINARY ...]   (default: the build's)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "lib"))
import harness  # noqa: E402

PATHS = ("/api/v1/status", "/api/v1/links", "/api/v1/ntp", "/api/v1/flows", "/metrics")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def one_run(binary, seconds):
    tmp = tempfile.mkdtemp(prefix="smsa-bench-cpu-")
    port = harness.free_port()
    cfg = harness.base_config(tmp, http_port=port)
    # 127.0.190.0/24 and up: nothing listens there, each probe is refused at once
    cfg["peers"] = {"scanners": [{"name": "s%03d" % i, "host": "127.0.%d.%d" % (190 + i // 200,
                                                                                  2 + i % 200)}
                                 for i in range(250)]}
    cfg["probe"] = {"interval_ms": 2000, "timeout_ms": 500, "fail_threshold": 2,
                    "recover_threshold": 1, "resolver": "127.0.0.1:9"}
    cfg["ntp"] = {"enabled": True, "servers": ["127.0.0.1:9", "127.0.0.2:9"]}
    d = harness.Daemon(tmp, cfg, binary=binary)
    out = {}
    try:
        d.start()
        pid = d.proc.pid
        for path in PATHS:
            c0 = cpu_s(pid)
            r = subprocess.run(["wrk", "-t1", "-c4", "-d%ds" % seconds,
                                "http://127.0.0.1:%d%s" % (port, path)],
                               capture_output=True, text=True).stdout
            c1 = cpu_s(pid)
            n = int(re.search(r"(\d+) requests in", r).group(1))
            out[path] = (1e6 * (c1 - c0) / max(n, 1), n / seconds)
    finally:
        d.stop()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("binaries", nargs="*")
    a = ap.parse_args()
    binaries = a.binaries or [harness.agentd_path()]
    print("%-28s %-16s %14s %10s" % ("binary", "path", "CPU us/req", "req/s"))
    for _ in range(2):
        for b in binaries:
            for path, (us, rps) in one_run(b, a.seconds).items():
                print("%-28s %-16s %14.1f %10.0f" % (os.path.basename(b)[-28:], path, us, rps),
                      flush=True)


if __name__ == "__main__":
    main()
