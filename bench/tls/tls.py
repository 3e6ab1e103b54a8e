#!/usr/bin/python3
"""TLS checks: the daemon's CPU per TLS check against `openssl s_time` handshakes of the same
server in the same run, 1,000 TLS peers in one round, and the daemon's RSS with them.

One `openssl s_server` on 127.0.0.1 with a 2048-bit RSA certificate serves everything:

  s_time          `openssl s_time -new` (a full handshake per connection, no resumption)
                  for --seconds; its CPU (user + system, from the kernel's accounting of the
                  child) per connection is the reference
  round           smsa-agentd with --peers update sources of flow 6 (TLS on 443), all at the
                  server: the time until every peer has finished its first round, and how
                  many are up then (the goal: all of them in one round)
  CPU per check   the daemon's user + system CPU over --seconds of probing at --interval-ms,
                  divided by the checks of flow 6's addresses (REST); each check is a
                  handshake, the certificate read, verified against the trust store and the
                  host name, and the core's bookkeeping
  RSS             VmRSS and VmHWM of the daemon at the end (goal: 24 MiB at 1,000 peers)

Loopback only; every process started is stopped by its pid.
"""
import json
import os
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
import harness as h  # noqa: E402


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def s_time(port, seconds):
    """(connections, CPU seconds of s_time itself)."""
    cpu0 = children_cpu()
    r = subprocess.run(["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new",
                        "-time", str(int(seconds))],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cpu = children_cpu() - cpu0
    m = re.search(r"(\d+) connections in [\d.]+ real seconds", r.stdout)
    if not m:
        raise SystemExit("s_time said:\n" + r.stdout[-2000:])
    return int(m.group(1)), cpu


def flow6(port):
    status, _, body = h.http_get(port, "/api/v1/flows/6", timeout=10)
    return json.loads(body)["peers"] if status == 200 else []


def checked(port, n):
    """(peers with a round done, peers up) of flow 6."""
    peers = flow6(port)
    return sum(p["checks"] > 0 for p in peers), sum(p["state"] == "up" for p in peers)


def tls_checks(port):
    """(checks, failed checks) of every address of flow 6: the TLS checks alone."""
    addrs = [a for p in flow6(port) for a in p["addresses"]]
    return sum(a["checks"] for a in addrs), sum(a["failures"] for a in addrs)


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--seconds", type=float, default=20.0,
                    help="the s_time run and the daemon's measurement window")
    ap.add_argument("--peers", type=benchlib.counts, default=[1000],
                    help="TLS peers (update sources of flow 6)")
    ap.add_argument("--interval-ms", type=int, default=10000,
                    help="probe.interval_ms: a round of every peer per interval")
    a = benchlib.parse(ap, nofile=True)
    with h.TempDir(prefix="smsa-bench-tls-") as tmp:
        cert, key = h.make_cert(tmp, "bench.test", 30)
        port = h.free_port()
        server = h.CertTls(tmp, "127.0.0.1", port, cert, key).start()
        try:
            conns, cpu = s_time(port, a.seconds)
            ref_us = 1e6 * cpu / conns
            print("openssl s_time -new: %d handshakes in %.0f s, %.0f us CPU each"
                  % (conns, a.seconds, ref_us))
            for n in a.peers:
                run(a, tmp, port, n, ref_us)
        finally:
            server.stop()


def run(a, tmp, port, n, ref_us):
    folder = os.path.join(tmp, "peers-%d" % n)
    os.mkdir(folder)
    http_port = h.free_port()
    cfg = h.base_config(folder, http_port=http_port,
                        probe={"interval_ms": a.interval_ms, "timeout_ms": 5000,
                               "fail_threshold": 3, "recover_threshold": 1},
                        updates=[{"purpose": "software", "host": "127.0.0.1", "port": port,
                                  "enabled": True}] * n)
    d = h.Daemon(folder, cfg, binary=a.binary).start()
    try:
        t0 = time.monotonic()
        h.wait_until(lambda: checked(http_port, n)[0] >= n, 3 * a.interval_ms / 1000.0,
                     step=0.2, what="a round of %d TLS peers" % n)
        round_s = time.monotonic() - t0
        done, up = checked(http_port, n)
        # the two reads of flow 6 are in the window's CPU too: a few ms against seconds
        (p0, f0), cpu0 = tls_checks(http_port), h.proc_cpu_seconds(d.pid)
        time.sleep(a.seconds)
        cpu1, (p1, f1) = h.proc_cpu_seconds(d.pid), tls_checks(http_port)
        st = h.proc_status(d.pid)
    finally:
        d.stop(timeout=30)
    probes = p1 - p0
    us = 1e6 * (cpu1 - cpu0) / probes if probes else float("nan")
    print("%d TLS peers: first round in %.1f s (interval %.0f s), %d/%d up after it; "
          "%d checks in %.0f s (%d failed), %.0f us CPU each = %.2fx s_time; "
          "VmRSS %.1f MiB, VmHWM %.1f MiB"
          % (n, round_s, a.interval_ms / 1000.0, up, n, probes, a.seconds, f1 - f0, us,
             us / ref_us, st["VmRSS"] / 1024.0, st["VmHWM"] / 1024.0))


if __name__ == "__main__":
    main()
