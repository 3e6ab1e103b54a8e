#!/usr/bin/python3
"""Does the daemon's one event loop stall under REST reads? The longest loop turn, and how much
the round-trip times of the probes completing meanwhile are inflated by the agent's own work.

A daemon is started with --peers scanners (4 probed TCP peers each, bench/core/peers.py on
loopback), every peer is let come up, and then:

  idle   for --seconds nothing but probing; the longest turn of that window and the rtt of
         every peer (from /api/v1/flows) are taken
  load   for --seconds, --readers concurrent clients (half of them reading /metrics, half
         /api/v1/flows, each over its own keep-alive connection, one request after the other)
         plus, with --walks, that many snmpbulkwalk loops against the daemon in SNMP master
         mode; the longest turn of that window and the peers' rtt are taken again

The longest turn of a window is smsa_loop_turn_max_seconds after the daemon's maximum was
reset at the window's start (gdb calls loop_reset_max_turn() in the daemon; without gdb the
maximum since start is shown, marked "since start"). The rtt skew is the rise of the peers'
rtt percentiles from idle to load: a probe that completes during a long turn is timed late.

With --rt the daemon runs SCHED_FIFO, so that other load on the machine (preemption) does not
stretch its turns: what is left is the daemon's own work.

    bench/rest/stall.py [--build DIR] [--peers 500] [--seconds 10] [--readers 40] [--walks 5]
                        [--rt]

Loopback only; every process started is stopped by its pid. Holds the scanner-port lock of the
system tests (its peers listen on 41002).
"""
import http.client
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
import harness as h  # noqa: E402

SCANNER_PORTS = (41002, 41015, 41016, 41017)


def get(port, path, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def max_turn_s(port):
    _, body = get(port, "/metrics")
    m = re.search(rb"^smsa_loop_turn_max_seconds ([0-9.e+-]+)$", body, re.M)
    return float(m.group(1)) if m else None


def rtts_ms(port):
    """The rtt of every peer that has one, from /api/v1/flows."""
    _, body = get(port, "/api/v1/flows")
    out = []
    for f in json.loads(body)["items"]:
        for p in f.get("peers", []):
            v = p.get("rtt_ms")
            if isinstance(v, (int, float)) and v >= 0:
                out.append(float(v))
    return sorted(out)


def pct(xs, q):
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def reset_max_turn(pid):
    """True when gdb could reset the daemon's longest-turn record."""
    if not shutil.which("gdb"):
        return False
    r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex",
                        "call (void)loop_reset_max_turn()"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return r.returncode == 0 and b"No symbol" not in r.stdout


def status_peers_up(port):
    try:
        _, body = get(port, "/api/v1/status", timeout=5)
    except OSError:
        return 0
    m = re.search(rb'"peers":\{[^}]*"up":(\d+)', body)
    return int(m.group(1)) if m else 0


def reader(port, path, stop, counts, errors):
    c = None
    while not stop.is_set():
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            counts[path] = counts.get(path, 0) + 1
            if r.status != 200:
                errors.append("%s %d" % (path, r.status))
        except (OSError, http.client.HTTPException) as e:
            errors.append("%s %s" % (path, e))
            if c:
                c.close()
            c = None
    if c:
        c.close()


def walker(snmp_port, stop, counts):
    while not stop.is_set():
        subprocess.run(["snmpbulkwalk", "-v2c", "-c", "public", "-t", "5", "-r", "0",
                        "127.0.0.1:%d" % snmp_port, "1.3.6.1.4.1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        counts["walks"] = counts.get("walks", 0) + 1


def window(d, port, seconds, readers, walks, snmp_port, can_reset):
    stop = threading.Event()
    counts, errors, threads = {}, [], []
    if can_reset:
        reset_max_turn(d.pid)
    for i in range(readers):
        path = "/metrics" if i % 2 == 0 else "/api/v1/flows"
        threads.append(threading.Thread(target=reader, args=(port, path, stop, counts, errors)))
    for _ in range(walks if snmp_port else 0):
        threads.append(threading.Thread(target=walker, args=(snmp_port, stop, counts)))
    for t in threads:
        t.start()
    time.sleep(seconds)
    rtt = rtts_ms(port)  # taken while the load runs: the probes of this window
    stop.set()
    for t in threads:
        t.join(120)
    return max_turn_s(port), rtt, counts, errors


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--peers", type=int, default=500, metavar="N",
                    help="scanners (4 probed TCP peers each; default 500)")
    ap.add_argument("--seconds", type=float, default=10, help="length of each window (10)")
    ap.add_argument("--readers", type=int, default=40, help="concurrent REST readers (40)")
    ap.add_argument("--walks", type=int, default=5,
                    help="concurrent snmpbulkwalk loops, SNMP master mode (5; 0: none)")
    ap.add_argument("--rt", action="store_true", help="run the daemon SCHED_FIFO")
    a = benchlib.parse(ap, nofile=True)
    walks = a.walks if shutil.which("snmpbulkwalk") else 0
    print("smsa-agentd: %s%s" % (a.binary, ", daemon SCHED_FIFO" if a.rt else ""))
    print("%d scanners (%d peers), %d readers, %d SNMP walks, %.0f s windows" % (
        a.peers, 4 * a.peers, a.readers, walks, a.seconds), flush=True)
    with h.PortLock(SCANNER_PORTS[0]), h.TempDir(prefix="smsa-stall-") as tmp:
        status = os.path.join(tmp, "peers.status")
        peers = h.Process(["/usr/bin/python3", os.path.join(ROOT, "bench", "core", "peers.py"),
                           status, "--range", "127.0.1.1", str(a.peers),
                           ",".join(map(str, SCANNER_PORTS))],
                          log_path=os.path.join(tmp, "peers.log")).start()
        try:
            h.wait_until(lambda: os.path.exists(status + ".ready"), 60, what="peers listening")
            port = h.free_port()
            snmp_port = h.free_port("udp") if walks else None
            cfg = h.base_config(tmp, http_port=port,
                                probe={"interval_ms": 1000, "timeout_ms": 500,
                                       "fail_threshold": 3, "recover_threshold": 1})
            first = ipaddress.IPv4Address("127.0.1.1")
            cfg["peers"] = {"scanners": [{"name": "scanner%d" % (i + 1), "host": str(first + i)}
                                         for i in range(a.peers)]}
            if snmp_port:
                cfg["snmp"] = {"mode": "master", "community": "public",
                               "master_listen": "udp:127.0.0.1:%d" % snmp_port,
                               "agentx_socket": "unix:" + os.path.join(tmp, "none.sock")}
            d = h.Daemon(tmp, cfg, binary=a.binary).start()
            try:
                if a.rt:
                    os.sched_setscheduler(d.pid, os.SCHED_FIFO, os.sched_param(10))
                want = 4 * a.peers
                h.wait_until(lambda: status_peers_up(port) >= want, 180, step=0.5,
                             what="%d peers up" % want)
                time.sleep(2)  # past the first rounds' spread
                can_reset = reset_max_turn(d.pid)
                idle_turn, idle_rtt, _, _ = window(d, port, a.seconds, 0, 0, None, can_reset)
                load_turn, load_rtt, counts, errors = window(d, port, a.seconds, a.readers,
                                                             walks, snmp_port, can_reset)
            finally:
                d.stop(timeout=60)
        finally:
            peers.stop()
    note = "" if can_reset else " (since start: gdb could not reset it)"
    print("%-6s %16s %10s %10s %10s %s" % ("window", "longest turn ms", "rtt p50", "rtt p99",
                                           "rtt max", "requests"))
    print("%-6s %16.2f %10.3f %10.3f %10.3f -" % (
        "idle", 1e3 * idle_turn, pct(idle_rtt, .5), pct(idle_rtt, .99), max(idle_rtt or [0])))
    print("%-6s %16.2f %10.3f %10.3f %10.3f %s" % (
        "load", 1e3 * load_turn, pct(load_rtt, .5), pct(load_rtt, .99), max(load_rtt or [0]),
        " ".join("%s=%d" % kv for kv in sorted(counts.items()))))
    print("rtt skew (load - idle): p50 %+.3f ms, p99 %+.3f ms, max %+.3f ms%s" % (
        pct(load_rtt, .5) - pct(idle_rtt, .5), pct(load_rtt, .99) - pct(idle_rtt, .99),
        max(load_rtt or [0]) - max(idle_rtt or [0]), note))
    if errors:
        print("errors: %d, first: %s" % (len(errors), errors[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
