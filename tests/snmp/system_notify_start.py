"""Notifications at start, as an NMS behind a real snmpd sees them: with 80 unreachable
scanners and 2 healthy ones, every lost link is reported once (smsaLinkDown naming its
scanner, none held back by the rate limit) and the healthy ones raise nothing; a restart with
only healthy scanners raises no link notification at all."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SCANNER_PORT = 41002
HEALTHY = {"good1": "127.0.0.2", "good2": "127.0.0.3"}
# Loopback addresses where nothing listens on the port: connection refused.
LOST = {"lost%02d" % i: "127.0.1.%d" % i for i in range(1, 81)}
SEQUENCE = s.OBJECTS + ".2.8.0"


def rig(tmp, snmpd, scanners):
    # probes patient enough that a busy machine does not make a healthy link flap
    cfg = h.base_config(tmp, peers={"scanners": [{"name": n, "host": a}
                                                 for n, a in scanners.items()]},
                        probe={"interval_ms": 1000, "timeout_ms": 900},
                        snmp={"mode": "subagent", "agentx_socket": "unix:" + snmpd.socket,
                              "ping_interval_s": 1})
    return h.Daemon(tmp, cfg)  # default rate limit (60 per minute) and queue


def ours(trapd):
    return [t for t in trapd.traps() if t.get(s.TRAP_OID, "").startswith(s.ROOT_OID + ".")]


def test_80_lost_scanners_at_start():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        snmpd = s.Snmpd(tmp, trap_port=trapd.port).start()
        boxes = [h.FakeScanner(a, SCANNER_PORT).start() for a in HEALTHY.values()]
        try:
            with rig(tmp, snmpd, dict(HEALTHY, **LOST)) as d:
                for n in HEALTHY:
                    h.wait_link(d, n, "up", timeout=20)
                for n in LOST:
                    h.wait_link(d, n, "down", timeout=20)
                h.wait_until(lambda: len(trapd.link_traps("down")) >= len(LOST), 30,
                             what="80 smsaLinkDown")
                time.sleep(2.0)  # anything extra would arrive now
                downs = trapd.link_traps("down")
                names = sorted(t["_name"] for t in downs)
                assert names == sorted(LOST), names
                assert all(t["_cause"] == "refused" for t in downs), downs[:3]
                assert trapd.link_traps("up") == [], trapd.link_traps("up")
                all_ours = ours(trapd)
                seqs = [int(t[SEQUENCE]) for t in all_ours]
                assert len(set(seqs)) == len(seqs), seqs
                kinds = {}
                for t in all_ours:
                    k = t[s.TRAP_OID].rsplit(".", 1)[1]
                    kinds[k] = kinds.get(k, 0) + 1
                out = s.run(["snmpget", "-v2c", "-c", "public", "-On", snmpd.target] +
                            [s.OBJECTS + ".2.%d.0" % i for i in (1, 2, 3, 4)])
                c = [int(v) for _, _, v in s.parse_varbinds(out)]
                print("80-scanner start: snmptrapd received %d smsa notifications: "
                      "%d smsaLinkDown, %d smsaLinkUp, %d smsaFlowStatusChange, "
                      "%d smsaUpdateAddressChange; agent sent=%d suppressed=%d dropped=%d "
                      "queued=%d" % (len(all_ours), kinds.get("1", 0), kinds.get("2", 0),
                                     kinds.get("3", 0), kinds.get("4", 0), *c), flush=True)
        finally:
            for b in boxes:
                b.stop()
            snmpd.stop()
            trapd.stop()


def test_restart_with_healthy_scanners_is_quiet():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        snmpd = s.Snmpd(tmp, trap_port=trapd.port).start()
        boxes = [h.FakeScanner(a, SCANNER_PORT).start() for a in HEALTHY.values()]
        try:
            for run in range(2):  # a start, then a restart
                d = rig(tmp, snmpd, HEALTHY)
                mark = h.log_mark(d) if run else 0  # the log file is appended to
                with d:
                    d.wait_log(r"AgentX session to the master agent is open", count=run + 1)
                    for n in HEALTHY:
                        h.wait_event(d, "link", since=mark, name=n, state="up")
                    time.sleep(1.5)
            links = trapd.link_traps()
            assert links == [], links
        finally:
            for b in boxes:
                b.stop()
            snmpd.stop()
            trapd.stop()


if __name__ == "__main__":
    h.run_tests([test_80_lost_scanners_at_start, test_restart_with_healthy_scanners_is_quiet])
