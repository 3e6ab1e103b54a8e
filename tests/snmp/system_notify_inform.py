"""Informs in master mode: a trap sink written {"address": ..., "inform": true} gets every
notification as an inform, sent again until the receiver acknowledges it, so a receiver that
was down when the links went down still gets them, in order; a bad sink entry is refused with
its key path."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SEQUENCE = s.OBJECTS + ".2.8.0"
QUEUED = s.OBJECTS + ".2.4.0"
LOST = {"lost1": "127.0.1.1", "lost2": "127.0.1.2"}


def test_informs_wait_for_the_receiver():
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        trap_port = h.free_port("udp")
        cfg = h.base_config(
            tmp, peers={"scanners": [{"name": n, "host": a} for n, a in LOST.items()]},
            snmp={"mode": "master", "master_listen": "udp:127.0.0.1:%d" % port,
                  "community": "sesame",
                  "trap_sinks": [{"address": "127.0.0.1:%d" % trap_port, "inform": True}]})
        target = "127.0.0.1:%d" % port
        trapd = None
        try:
            with h.Daemon(tmp, cfg) as d:
                d.wait_log(r"master agent listening")
                for n in LOST:
                    h.wait_link(d, n, "down")
                time.sleep(1.5)  # the informs go unanswered: nobody listens yet
                out = s.run(["snmpget", "-v2c", "-c", "sesame", "-On", target, QUEUED])
                queued = int(s.parse_varbinds(out)[0][2])
                assert queued >= 2, out
                trapd = s.Snmptrapd(tmp, port=trap_port).start()
                # unanswered, an inform is resent with a backoff of up to 30 s; one that
                # crossed the receiver's start may arrive twice: the names are what counts
                def both_down():
                    return {t["_name"] for t in trapd.link_traps("down")} == set(LOST)
                h.wait_until(both_down, 75, step=0.2, what="both smsaLinkDown as informs")

                def drained():
                    o = s.run(["snmpget", "-v2c", "-c", "sesame", "-On", target, QUEUED])
                    return int(s.parse_varbinds(o)[0][2]) == 0
                h.wait_until(drained, 75, step=0.5, what="every inform acknowledged")
                got = [t for t in trapd.traps()
                       if t.get(s.TRAP_OID, "").startswith(s.ROOT_OID + ".")]
                seqs = [int(t[SEQUENCE]) for t in got]
                firsts = [q for i, q in enumerate(seqs) if q not in seqs[:i]]
                assert firsts == list(range(1, max(seqs) + 1)), seqs  # in order, no gap
                downs = {int(t[SEQUENCE]): t["_name"] for t in trapd.link_traps("down")}
                assert sorted(downs.values()) == sorted(LOST), downs  # one each, resends aside
        finally:
            if trapd:
                trapd.stop()


def check_config(tmp, sinks):
    cfg = h.base_config(tmp, snmp={"mode": "master", "trap_sinks": sinks})
    path = os.path.join(tmp, "c.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    r = subprocess.run([h.agentd_path(), "--check-config", "-c", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def test_sink_entries_are_checked():
    with h.TempDir() as tmp:
        rc, out = check_config(tmp, ["127.0.0.1:162", {"address": "udp:127.0.0.1:1162",
                                                       "inform": True}])
        assert rc == 0, out
        for sinks, where in (([{"address": "127.0.0.1:162", "inform": "yes"}],
                              "snmp.trap_sinks[0].inform"),
                             (["127.0.0.1:162", {"inform": True}], "snmp.trap_sinks[1]"),
                             ([{"address": "127.0.0.1:162", "informs": True}],
                              "snmp.trap_sinks[0].informs"),
                             ([{"address": "no such:host:x"}], "snmp.trap_sinks[0].address")):
            rc, out = check_config(tmp, sinks)
            assert rc != 0 and where in out, (sinks, out)


if __name__ == "__main__":
    h.run_tests([test_informs_wait_for_the_receiver, test_sink_entries_are_checked])
