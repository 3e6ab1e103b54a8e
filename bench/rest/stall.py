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

The longest turn of a window is read from the daemon's loop statistics (loop.c's stats),
cleared at the window's start: written and read through /proc/PID/mem, at the address gdb
finds in the binary's debug information, so that the daemon is never stopped (a debugger's
stop would make the next turn catch up on every probe that fell due meanwhile). Two numbers:
the wall time of a turn (smsa_loop_turn_max_seconds), which also counts the time another
process held the CPU, and the loop thread's CPU time from one wake-up to the next, the
agent's own work. The rtt skew is the rise of the peers' rtt percentiles from idle to load: a
probe that completes during a long turn is timed late.

With --before PATH a second daemon (an older build, say) is measured first in the same run,
on the same peers, so that before and after share the machine's state.

With --rt the daemon runs SCHED_FIFO, so that other load on the machine (preemption) does not
stretch its turns: what is left is the daemon's own work.

    bench/rest/stall.py [--build DIR] [--peers 500] [--seconds 10] [--readers 40] [--walks 5]
                        [--rt] [--before PATH]

Loopback only; every process started is stopped by its pid. Holds the scanner-port lock of the
system tests (its peers listen on 41002).
"""
import http.client
import ipaddress
import json
import os
import re
import shutil
import struct
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


class LoopStats:
    """The daemon's struct loop_stats (turns, max_turn_us, last_turn_us, max_turn_cpu_us), read
    and cleared in its memory without stopping it."""

    FMT = "<Qqqq"

    def __init__(self, binary, pid):
        self.pid, self.addr = pid, None
        if not shutil.which("gdb"):
            return
        r = subprocess.run(["gdb", "-batch", "-nx", "-ex", "print &'loop.c'::stats", binary],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        m = re.search(rb"\(struct loop_stats \*\) (0x[0-9a-f]+)", r.stdout)
        if not m:
            return
        base = None
        real = os.path.realpath(binary)
        with open("/proc/%d/maps" % pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and os.path.realpath(parts[5]) == real and \
                        int(parts[2], 16) == 0:
                    base = int(parts[0].split("-")[0], 16)
                    break
        if base is not None:
            self.addr = base + int(m.group(1), 16)

    def read(self):
        with open("/proc/%d/mem" % self.pid, "rb") as f:
            f.seek(self.addr)
            return struct.unpack(self.FMT, f.read(struct.calcsize(self.FMT)))

    def reset(self):
        """Clears both longest turns (the fields the daemon only raises)."""
        with open("/proc/%d/mem" % self.pid, "r+b") as f:
            f.seek(self.addr + 8)
            f.write(struct.pack("<q", 0))
            f.seek(self.addr + 24)
            f.write(struct.pack("<q", 0))


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


def window(port, seconds, readers, walks, snmp_port, ls):
    stop = threading.Event()
    counts, errors, threads = {}, [], []
    ls.reset()
    for i in range(readers):
        path = "/metrics" if i % 2 == 0 else "/api/v1/flows"
        threads.append(threading.Thread(target=reader, args=(port, path, stop, counts, errors)))
    for _ in range(walks if snmp_port else 0):
        threads.append(threading.Thread(target=walker, args=(snmp_port, stop, counts)))
    for t in threads:
        t.start()
    time.sleep(seconds)
    _, wall_us, _, cpu_us = ls.read()
    rtt = rtts_ms(port)  # taken while the load runs: the probes of this window
    stop.set()
    for t in threads:
        t.join(120)
    return wall_us / 1e3, cpu_us / 1e3, rtt, counts, errors


def measure(a, binary, walks):
    """The idle and the load window of one daemon: two rows and the skew line."""
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
            d = h.Daemon(tmp, cfg, binary=binary).start()
            try:
                if a.rt:
                    os.sched_setscheduler(d.pid, os.SCHED_FIFO, os.sched_param(10))
                want = 4 * a.peers
                h.wait_until(lambda: status_peers_up(port) >= want, 180, step=0.5,
                             what="%d peers up" % want)
                time.sleep(2)  # past the first rounds' spread
                ls = LoopStats(binary, d.pid)
                if ls.addr is None:
                    sys.exit("stall.py: no loop statistics in %s (gdb and a build with debug "
                             "information, RelWithDebInfo, are needed)" % binary)
                idle = window(port, a.seconds, 0, 0, None, ls)
                load = window(port, a.seconds, a.readers, walks, snmp_port, ls)
            finally:
                d.stop(timeout=60)
        finally:
            peers.stop()
    return idle, load


def report(name, idle, load):
    print(name)
    print("  %-6s %14s %14s %9s %9s %9s %s" % ("window", "turn wall ms", "turn cpu ms",
                                              "rtt p50", "rtt p99", "rtt max", "requests"))
    for label, (wall, cpu, rtt, counts, _) in (("idle", idle), ("load", load)):
        print("  %-6s %14.2f %14.2f %9.3f %9.3f %9.3f %s" % (
            label, wall, cpu, pct(rtt, .5), pct(rtt, .99), max(rtt or [0]),
            " ".join("%s=%d" % kv for kv in sorted(counts.items())) or "-"))
    irtt, lrtt = idle[2], load[2]
    print("  rtt skew (load - idle): p50 %+.3f ms, p99 %+.3f ms, max %+.3f ms" % (
        pct(lrtt, .5) - pct(irtt, .5), pct(lrtt, .99) - pct(irtt, .99),
        max(lrtt or [0]) - max(irtt or [0])))
    errors = load[4]
    if errors:
        print("  errors: %d, first: %s" % (len(errors), errors[0]))


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--peers", type=int, default=500, metavar="N",
                    help="scanners (4 probed TCP peers each; default 500)")
    ap.add_argument("--seconds", type=float, default=10, help="length of each window (10)")
    ap.add_argument("--readers", type=int, default=40, help="concurrent REST readers (40)")
    ap.add_argument("--walks", type=int, default=5,
                    help="concurrent snmpbulkwalk loops, SNMP master mode (5; 0: none)")
    ap.add_argument("--rt", action="store_true", help="run the daemon SCHED_FIFO")
    ap.add_argument("--before", metavar="PATH", default=None,
                    help="measure this smsa-agentd first, in the same run (e.g. an older build)")
    a = benchlib.parse(ap, nofile=True)
    walks = a.walks if shutil.which("snmpbulkwalk") else 0
    print("%d scanners (%d peers), %d readers, %d SNMP walks, %.0f s windows%s" % (
        a.peers, 4 * a.peers, a.readers, walks, a.seconds, ", daemon SCHED_FIFO" if a.rt else ""),
        flush=True)
    runs = ([("before: " + os.path.abspath(a.before), os.path.abspath(a.before))]
            if a.before else []) + [(("after: " if a.before else "") + a.binary, a.binary)]
    results = [(name, measure(a, binary, walks)) for name, binary in runs]
    for name, (idle, load) in results:
        report(name, idle, load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
