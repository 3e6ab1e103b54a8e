"""SNMP face benchmarks (issue 3): walk cost in subagent and master mode against a minimal
reference subagent and snmpd-native values with the same number of varbinds, and link-down
detection latency.

    bench/snmp/run.sh [--build DIR] [--peers 100,1000] [--repeat 3]
    cmake --build build --target bench-snmp     (builds ref_subagent first)
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "snmp"))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402

REF = os.environ.get("SMSA_REF_SUBAGENT")  # set from --ref-subagent
REPEAT = int(os.environ.get("SMSA_BENCH_REPEAT", "3"))
REF_OID = s.ROOT_OID + ".99"
NATIVE_OID = ".1.3.6.1.4.1.32473.98"
# snmpd registers override lines one by one (slowly): beyond this, compare per varbind.
NATIVE_MAX = int(os.environ.get("SMSA_BENCH_NATIVE_MAX", "20000"))


def timed(argv):
    best = None
    for _ in range(REPEAT):
        t0 = time.monotonic()
        out = s.run(argv, timeout=600)
        dt = time.monotonic() - t0
        best = dt if best is None else min(best, dt)
    return best, out


def bulkwalk(target, oid, community="public"):
    dt, out = timed(["snmpbulkwalk", "-v2c", "-c", community, "-On", "-Cr25", "-t", "10",
                     target, oid])
    return dt, len(s.parse_varbinds(out))


def scanners(n):
    # 127.0.x.y: nothing listens there, so every link is down (refused) and stays so
    return [{"name": "scanner%d" % i, "host": "127.0.%d.%d" % (10 + i // 250, 1 + i % 250)}
            for i in range(n)]


def daemon_cfg(tmp, n, snmp):
    return h.base_config(tmp, peers={"scanners": scanners(n)}, snmp=snmp,
                         probe={"interval_ms": 5000, "timeout_ms": 1000, "fail_threshold": 1,
                                "recover_threshold": 1, "resolver": "127.0.0.1:9"})


def native_snmpd(tmp, count):
    """snmpd serving `count` integers natively (override lines), no AgentX."""
    d = os.path.join(tmp, "native")
    os.makedirs(d, exist_ok=True)
    port = h.free_port("udp")
    conf = os.path.join(d, "snmpd.conf")
    with open(conf, "w") as f:
        f.write("rocommunity public 127.0.0.1\n")
        for i in range(1, count + 1):
            f.write("override %s.1.%d integer %d\n" % (NATIVE_OID, i, i))
    p = h.Process(["snmpd", "-f", "-Lo", "-C", "-c", conf, "-p", os.path.join(d, "pid"),
                   "udp:127.0.0.1:%d" % port], log_path=os.path.join(d, "log"),
                  env=dict(s.CLIENT_ENV, SNMP_PERSISTENT_DIR=os.path.join(d, "state"))).start()
    h.wait_until(lambda: s.run(["snmpget", "-v2c", "-c", "public", "-t", "1", "-r", "0",
                                "127.0.0.1:%d" % port, "%s.1.1" % NATIVE_OID],
                               check=False).find("INTEGER") >= 0, 300, step=0.5,
                 what="native snmpd")
    return p, "127.0.0.1:%d" % port


def subagent_run(n):
    with h.TempDir() as tmp:
        snmpd = s.Snmpd(tmp).start()
        d = h.Daemon(tmp, daemon_cfg(tmp, n, {"mode": "subagent", "ping_interval_s": 5,
                                              "agentx_socket": "unix:" + snmpd.socket}))
        try:
            d.start()
            d.wait_log(r"AgentX session to the master agent is open")
            h.wait_until(lambda: len(h.events(d, "link", state="down")) >= n, 60,
                         what="all links down")
            ours, count = bulkwalk(snmpd.target, s.OBJECTS)
            lt_dt, table_vbs = bulkwalk(snmpd.target, s.OBJECTS + ".6")
            tdt, _ = timed(["snmptable", "-v2c", "-c", "public", "-Cr", "25", "-t", "10"] +
                           s.mib_args() + [snmpd.target, "SMSA-AGENT-MIB::smsaLinkTable"])
            ref = h.Process([REF, "unix:" + snmpd.socket, str(count)],
                            log_path=os.path.join(tmp, "ref.log")).start()
            try:
                h.wait_until(lambda: "INTEGER" in s.run(
                    ["snmpget", "-v2c", "-c", "public", snmpd.target, REF_OID + ".1.1"],
                    check=False), 10, what="reference subagent")
                ref_dt, ref_count = bulkwalk(snmpd.target, REF_OID)
                ref.stop()
                # the reference serving as many varbinds as the link table has
                ref = h.Process([REF, "unix:" + snmpd.socket, str(table_vbs)],
                                log_path=os.path.join(tmp, "ref.log")).start()
                h.wait_until(lambda: "INTEGER" in s.run(
                    ["snmpget", "-v2c", "-c", "public", snmpd.target, REF_OID + ".1.1"],
                    check=False), 10, what="reference subagent")
                ref_t_dt, _ = bulkwalk(snmpd.target, REF_OID)
            finally:
                ref.stop()
            ncount = min(count, NATIVE_MAX)
            native, ntarget = native_snmpd(tmp, ncount)
            try:
                nat_dt, nat_count = bulkwalk(ntarget, NATIVE_OID)
            finally:
                native.stop()
            assert ref_count == count and nat_count == ncount, (count, ref_count, nat_count)
            print("subagent  %4d scanners: bulkwalk of smsaObjects, %d varbinds: ours %.3f s "
                  "(%.1f us/vb), reference subagent %.3f s (%.1f us/vb): %.2fx; snmpd-native "
                  "%.1f us/vb" % (n, count, ours, 1e6 * ours / count, ref_dt,
                                  1e6 * ref_dt / count, ours / ref_dt, 1e6 * nat_dt / ncount),
                  flush=True)
            print("subagent  %4d scanners: smsaLinkTable, %d varbinds: bulkwalk %.3f s, "
                  "reference %.3f s: %.2fx; snmptable (client loads the MIB) %.3f s"
                  % (n, table_vbs, lt_dt, ref_t_dt, lt_dt / ref_t_dt, tdt), flush=True)
        finally:
            d.stop()
            snmpd.stop()


def master_run(n):
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        d = h.Daemon(tmp, daemon_cfg(tmp, n, {"mode": "master", "community": "public",
                                              "master_listen": "udp:127.0.0.1:%d" % port}))
        try:
            d.start()
            h.wait_until(lambda: len(h.events(d, "link", state="down")) >= n, 60,
                         what="all links down")
            ours, count = bulkwalk("127.0.0.1:%d" % port, s.OBJECTS)
            ncount = min(count, NATIVE_MAX)
            native, ntarget = native_snmpd(tmp, ncount)
            try:
                nat_dt, _ = bulkwalk(ntarget, NATIVE_OID)
            finally:
                native.stop()
            print("master    %4d scanners: bulkwalk of smsaObjects, %d varbinds: ours %.3f s "
                  "(%.1f us/vb), snmpd-native %.1f us/vb (%d varbinds): %.2fx"
                  % (n, count, ours, 1e6 * ours / count, 1e6 * nat_dt / ncount, ncount,
                     (ours / count) / (nat_dt / ncount)), flush=True)
        finally:
            d.stop()


def detection():
    with h.PortLock(41002), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        snmpd = s.Snmpd(tmp, trap_port=trapd.port).start()
        cfg = h.base_config(tmp, peers={"scanners": [{"name": "scanner1", "host": "127.0.0.2"}]},
                            snmp={"mode": "subagent", "agentx_socket": "unix:" + snmpd.socket,
                                  "notify_rate_limit": 0},
                            probe={"interval_ms": 1000, "timeout_ms": 500, "fail_threshold": 2,
                                   "recover_threshold": 1, "resolver": "127.0.0.1:9"})
        d = h.Daemon(tmp, cfg)
        lat = []
        try:
            d.start()
            for _ in range(5):
                sc = h.FakeScanner("127.0.0.2", 41002).start()
                # read from REST: a link up at start sends no trap (a restart is quiet)
                h.wait_link(d, "scanner1", "up")
                time.sleep(0.3)
                n_down = len(trapd.link_traps("down"))
                t0 = time.monotonic()
                sc.stop()
                h.wait_until(lambda: len(trapd.link_traps("down")) > n_down, 10, step=0.005,
                             what="smsaLinkDown")
                lat.append(time.monotonic() - t0)
        finally:
            d.stop()
            snmpd.stop()
            trapd.stop()
        print("detection (interval 1 s, fail_threshold 2, timeout 500 ms): scanner close -> "
              "smsaLinkDown in snmptrapd log: median %.2f s, max %.2f s over %d"
              % (statistics.median(lat), max(lat), len(lat)), flush=True)


def main():
    global REF, REPEAT, NATIVE_MAX
    ap = benchlib.parser(__doc__)
    ap.add_argument("--peers", type=benchlib.counts, metavar="N[,N...]",
                    default=benchlib.counts(os.environ.get("SMSA_BENCH_SIZES", "100,1000")),
                    help="scanner counts to measure (default: 100,1000)")
    ap.add_argument("--repeat", type=int, default=REPEAT, help="walks per measure, best kept")
    ap.add_argument("--native-max", type=int, default=NATIVE_MAX, metavar="N",
                    help="largest snmpd-native table; beyond, compare per varbind")
    ap.add_argument("--ref-subagent", metavar="PATH", default=REF,
                    help="the reference subagent (default: BUILD/bench/ref_subagent, built by "
                    "cmake --build BUILD --target ref_subagent)")
    a = benchlib.parse(ap)
    REF = a.ref_subagent or os.path.join(a.build, "bench", "ref_subagent")
    if not a.ref_subagent and not os.access(REF, os.X_OK):
        subprocess.run(["cmake", "--build", a.build, "--target", "ref_subagent"], check=False)
    if not os.access(REF, os.X_OK):
        ap.error("no reference subagent at %s: cmake --build %s --target ref_subagent"
                 % (REF, a.build))
    REPEAT, NATIVE_MAX = a.repeat, a.native_max
    sizes = a.peers
    for n in sizes:
        subagent_run(n)
    for n in sizes:
        master_run(n)
    detection()


if __name__ == "__main__":
    main()
