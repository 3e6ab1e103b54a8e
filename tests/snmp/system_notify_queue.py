"""Notification damping and the bounded queue, as an NMS sees them: the rate limit counts
what it suppresses but never holds back a link notification; while snmpd is away
notifications wait in a bounded queue whose overflow drops flow notifications before link
ones and is counted; the survivors arrive in order after reconnection."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SCANNER_PORT = 41002
SCANNER_FLOWS = (11, 16, 17, 18)
SCANNERS = {"scanner1": "127.0.0.2", "scanner2": "127.0.0.3", "scanner3": "127.0.0.4"}
SENT, SUPPRESSED, DROPPED, QUEUED = (s.OBJECTS + ".2.%d.0" % i for i in (1, 2, 3, 4))


def counters(target):
    out = s.run(["snmpget", "-v2c", "-c", "public", "-On", target, SENT, SUPPRESSED, DROPPED,
                 QUEUED])
    return {o: int(v) for o, _, v in s.parse_varbinds(out)}


def rig(tmp, trapd, snmpd, **snmp):
    sec = {"mode": "subagent", "agentx_socket": "unix:" + snmpd.socket, "ping_interval_s": 1}
    sec.update(snmp)
    cfg = h.base_config(tmp, peers={"scanners": [{"name": n, "host": a}
                                                  for n, a in SCANNERS.items()]}, snmp=sec)
    return h.Daemon(tmp, cfg)


def test_rate_limit_counts_suppressed():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        snmpd = s.Snmpd(tmp, trap_port=trapd.port).start()
        try:
            with rig(tmp, trapd, snmpd, notify_rate_limit=2) as d:
                for n in SCANNERS:
                    h.wait_link(d, n, "down")
                # every flow a scanner serves (11, 16, 17, 18) goes down, each in its own
                # probe round: wait for all four, or the last ones may not have happened yet
                for flow in SCANNER_FLOWS:
                    h.wait_flow(d, flow, "down")
                # every link down, and of the four flow changes only the bucket's burst of 2
                # (2 tokens a minute: none refills during the test)
                c = h.wait_until(lambda: (lambda c: c if c[SENT] + c[SUPPRESSED] >= 3 + 4
                                          else None)(counters(snmpd.target)), 10,
                                 what="7 notifications sent or suppressed")
                assert c[SENT] == 3 + 2, c
                assert c[SUPPRESSED] >= 4 - 2, c
                h.wait_until(lambda: len(trapd.link_traps("down")) == 3, 10, what="3 link downs")
                time.sleep(0.5)
                got = [t for t in trapd.traps() if t.get(s.TRAP_OID, "").startswith(s.ROOT_OID)]
                assert len(got) == 5, got
                assert sorted(t["_name"] for t in trapd.link_traps("down")) == sorted(SCANNERS)
                d.wait_log(r"snmp: [1-9][0-9]* notifications suppressed by the rate limit")
        finally:
            snmpd.stop()
            trapd.stop()


def test_queue_overflow_drops_oldest_and_delivers_rest_in_order():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        snmpd = s.Snmpd(tmp, trap_port=trapd.port).start()
        boxes = {n: h.FakeScanner(a, SCANNER_PORT).start() for n, a in SCANNERS.items()}
        try:
            with rig(tmp, trapd, snmpd, notify_queue=2, notify_rate_limit=0) as d:
                for n in SCANNERS:
                    h.wait_link(d, n, "up")
                time.sleep(1.0)  # leaving unknown for up is no news: nothing to wait for
                snmpd.kill()
                d.wait_log(r"AgentX session to the master agent lost")
                mark = h.log_mark(d)
                for n in ("scanner1", "scanner2", "scanner3"):
                    boxes[n].stop()
                    h.wait_event(d, "link", since=mark, name=n, state="down")
                time.sleep(1.0)  # let the flow verdicts settle too
                ours = lambda: [t for t in trapd.traps()  # noqa: E731 (not snmpd's coldStart)
                                if t.get(s.TRAP_OID, "").startswith(s.ROOT_OID + ".")]
                n_before = len(ours())
                snmpd = s.Snmpd(tmp, trap_port=trapd.port, port=snmpd.port).start()
                h.wait_until(lambda: len(ours()) >= n_before + 2, 10,
                             what="queued traps")
                time.sleep(1.0)
                c = counters(snmpd.target)
                assert c[QUEUED] == 0, c
                # 3 link downs and several flow changes went into a queue of 2
                assert c[DROPPED] >= 2, c
                late = ours()[n_before:]
                assert len(late) == 2, late
                # the survivors are the two newest link events (flow changes go first), in
                # order, with their own times
                def ident(t):
                    oid = t.get(s.TRAP_OID)
                    if oid in (s.LINK_DOWN, s.LINK_UP):
                        return ("link", t["_name"] if "_name" in t else
                                next(v for k, v in t.items() if k.startswith(s.LINK_NAME)))
                    return ("flow", next(k.rsplit(".", 1)[1] for k in t
                                         if k.startswith(s.OBJECTS + ".3.1.8.")))
                eligible = [e for e in h.events(d, since=mark)
                            if e["kind"] == "link" and e["state"] == "down"]
                want = [("link", e["name"]) for e in eligible[-2:]]
                assert [ident(t) for t in late] == want, ([ident(t) for t in late], want)
                times = [s.event_time_of(t) for t in late]
                assert times == sorted(times), times
        finally:
            for b in boxes.values():
                b.stop()
            snmpd.stop()
            trapd.stop()


if __name__ == "__main__":
    h.run_tests([test_rate_limit_counts_suppressed,
                 test_queue_overflow_drops_oldest_and_delivers_rest_in_order])
