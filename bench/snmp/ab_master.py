"""A/B of two smsa-agentd builds on the same walk, for a refactoring's before/after on a busy
machine: both serve the same N-scanner model in master mode at once, and their bulkwalks of
smsaObjects are interleaved, so load that comes and goes hits both alike.

    bench/snmp/ab_master.py --base OTHER/agent/smsa-agentd [--build DIR | --binary PATH]
                            [--peers 1000] [--rounds 8]

"new" is --binary (default: the build folder's daemon), "base" the one it is compared with."""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "snmp"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402
from bench import daemon_cfg  # noqa: E402


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--base", metavar="PATH", required=True,
                    help="the smsa-agentd to compare with (e.g. a build of main)")
    ap.add_argument("--peers", type=int, default=1000, metavar="N", help="scanners (1000)")
    ap.add_argument("--rounds", type=int, default=8, help="walks of each daemon (8)")
    a = benchlib.parse(ap)
    bins = {"base": os.path.abspath(a.base), "new": a.binary}
    n, rounds = a.peers, a.rounds
    with h.TempDir() as tmp:
        daemons, ports = {}, {}
        try:
            for k, exe in bins.items():
                d_tmp = os.path.join(tmp, k)
                os.makedirs(d_tmp)
                ports[k] = h.free_port("udp")
                snmp = {"mode": "master", "community": "public",
                        "master_listen": "udp:127.0.0.1:%d" % ports[k]}
                daemons[k] = h.Daemon(d_tmp, daemon_cfg(d_tmp, n, snmp), binary=exe)
                daemons[k].start()
            for d in daemons.values():
                h.wait_until(lambda: len(h.events(d, "link", state="down")) >= n, 90,
                             what="all links down")
            times = {k: [] for k in bins}
            count = 0
            for i in range(rounds):
                for k in ("base", "new") if i % 2 == 0 else ("new", "base"):
                    t0 = time.monotonic()
                    out = s.run(["snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Cr25", "-t",
                                 "10", "127.0.0.1:%d" % ports[k], s.OBJECTS], timeout=600)
                    times[k].append(time.monotonic() - t0)
                    count = len(s.parse_varbinds(out))
            for k, t in times.items():
                print("%-4s %d scanners, %d varbinds: best %.3f s (%.1f us/vb), median %.3f s"
                      % (k, n, count, min(t), 1e6 * min(t) / count, statistics.median(t)))
        finally:
            for d in daemons.values():
                d.stop()


if __name__ == "__main__":
    main()
