#!/usr/bin/python3
"""What one GET of a large REST document costs the daemon's one event loop (issue 2's target:
no loop turn over 5 ms with 1,000 peers).

For each size (250 scanners = 1,000 TCP peers; 1,000 scanners = 4,000 peers, all probed every
second, so the model generation changes about 1,000-4,000 times a second and no per-generation
cache helps) and each endpoint, a fresh daemon is started against bench/core/peers.py, every
peer is let come up, the endpoint is fetched --requests times (spaced, one connection each),
and the daemon is stopped. Reported:

  longest turn   the daemon's "loop: N turns, longest X us" line at SIGTERM: the longest
                 loop turn of the whole run. The "(none)" row is the same run without a
                 request, so it is the floor (start-up and probing) under the other rows.
  latency        time from sending the request to the last byte of the body, median and max
  bytes          body size

    bench/rest/scrape_cost.sh [--build DIR] [--sizes 250,1000] [--rt]
                              [--requests 5] [--endpoints /metrics,/api/v1/flows,...]

Loopback only; every process started is stopped by its pid. Holds the scanner-port lock of
the system tests (its peers listen on 41002, which the inbound listen check looks for).
"""
import http.client
import ipaddress
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
import harness as h  # noqa: E402

SCANNER_PORTS = (41002, 41015, 41016, 41017)
ENDPOINTS = ("/metrics", "/api/v1/flows", "/api/v1/links", "/api/v1/status")


def status_peers_up(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        c.request("GET", "/api/v1/status")
        body = c.getresponse().read()
        c.close()
    except OSError:
        return 0
    m = re.search(rb'"peers":\{[^}]*"up":(\d+)', body)
    return int(m.group(1)) if m else 0


def timed_get(port, path):
    """(seconds to the last byte, body length). The connection is made before the clock
    starts: only the request itself is timed."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.connect()
    t0 = time.monotonic()
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    t = time.monotonic() - t0
    c.close()
    if r.status != 200:
        raise SystemExit("GET %s: %d %s" % (path, r.status, body[:200]))
    return t, len(body)


def one_run(tmp, binary, n_scanners, endpoint, requests, realtime=False):
    first = ipaddress.IPv4Address("127.0.1.1")
    addrs = [str(first + i) for i in range(n_scanners)]
    http_port = h.free_port()
    cfg = h.base_config(tmp, http_port=http_port,
                        probe={"interval_ms": 1000, "timeout_ms": 500, "fail_threshold": 3,
                               "recover_threshold": 1})
    cfg["peers"] = {"scanners": [{"name": "scanner%d" % (i + 1), "host": a}
                                 for i, a in enumerate(addrs)]}
    d = h.Daemon(tmp, cfg, binary=binary).start()
    if realtime:
        # Turns are measured in wall time: on a busy machine preemption would stretch them
        # (as bench/core --rt).
        os.sched_setscheduler(d.pid, os.SCHED_FIFO, os.sched_param(10))
    try:
        # Outbound peers plus the inbound listen check of flow 12 (one "local" peer).
        want = 4 * n_scanners
        h.wait_until(lambda: status_peers_up(http_port) >= want, 120, step=0.5,
                     what="%d peers up" % want)
        time.sleep(2)  # past the first rounds' spread
        lat, size = [], 0
        for _ in range(requests if endpoint else 0):
            t, size = timed_get(http_port, endpoint)
            lat.append(t)
            time.sleep(0.3)
        d.stop(timeout=30)
        loop = re.findall(r"loop: (\d+) turns, longest (\d+) us", d.log())
        return {"longest_us": int(loop[-1][1]) if loop else None, "lat": lat, "bytes": size}
    finally:
        d.stop(timeout=30)


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--sizes", type=benchlib.counts, default=[250, 1000],
                    metavar="N[,N...]", help="scanner counts (4 peers each; default 250,1000)")
    ap.add_argument("--requests", type=int, default=5)
    ap.add_argument("--endpoints", default=",".join(ENDPOINTS))
    ap.add_argument("--rt", action="store_true", help="run the daemon SCHED_FIFO, so that other "
                    "load on the machine does not stretch its loop turns")
    a = benchlib.parse(ap, nofile=True)
    binary = a.binary
    print("smsa-agentd: %s%s" % (binary, ", daemon SCHED_FIFO" if a.rt else ""))
    print("%-6s %-16s %18s %14s %14s %10s" % ("peers", "endpoint", "longest turn us",
                                              "latency p50 ms", "latency max ms", "bytes"))
    with h.PortLock(SCANNER_PORTS[0]):
        for n in a.sizes:
            with h.TempDir(prefix="smsa-scrape-") as tmp:
                status = os.path.join(tmp, "peers.status")
                peers = h.Process(["/usr/bin/python3", os.path.join(ROOT, "bench", "core",
                                                                    "peers.py"), status,
                                   "--range", "127.0.1.1", str(n),
                                   ",".join(map(str, SCANNER_PORTS))],
                                  log_path=os.path.join(tmp, "peers.log")).start()
                try:
                    h.wait_until(lambda: os.path.exists(status + ".ready"), 60,
                                 what="peers listening")
                    for ep in [None] + a.endpoints.split(","):
                        with h.TempDir(prefix="smsa-scrape-d-") as dtmp:
                            r = one_run(dtmp, binary, n, ep, a.requests, a.rt)
                        lat = [1e3 * x for x in r["lat"]]
                        print("%-6d %-16s %18s %14s %14s %10s" % (
                            4 * n, ep or "(none)", r["longest_us"],
                            "%.1f" % statistics.median(lat) if lat else "-",
                            "%.1f" % max(lat) if lat else "-", r["bytes"] or "-"), flush=True)
                finally:
                    peers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
