"""The AgentX subagent against a real snmpd and snmptrapd, with fake scanners on 127.0.0.x.

What an NMS sees: walks and bulkwalks of SMSA-AGENT-MIB agree with the daemon's state; a
row that does not exist is noSuchInstance; SETs are refused; a scanner that stops gives
exactly one smsaLinkDown with its cause, and one smsaLinkUp when it is back; a link lost
while snmpd is away is reported, with its original time, once snmpd is back.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SCANNER_PORT = 41002
SCANNERS = {"scanner1": "127.0.0.2", "scanner2": "127.0.0.3", "scanner3": "127.0.0.4"}
UP = ("scanner1", "scanner3")  # scanner2 has nothing listening


def config(tmp, snmpd, **snmp):
    sec = {"mode": "subagent", "agentx_socket": "unix:" + snmpd.socket, "ping_interval_s": 1}
    sec.update(snmp)
    return h.base_config(tmp, peers={"scanners": [{"name": n, "host": a}
                                                  for n, a in SCANNERS.items()]}, snmp=sec)


class Rig:
    """snmptrapd, snmpd and the daemon in one temp folder, with scanner1 and scanner3 up."""

    def __enter__(self):
        self.lock = h.PortLock(SCANNER_PORT).__enter__()
        self.tmpdir = h.TempDir()
        self.tmp = self.tmpdir.__enter__()
        self.trapd = s.Snmptrapd(self.tmp).start()
        self.snmpd = s.Snmpd(self.tmp, trap_port=self.trapd.port).start()
        self.scanners = {n: h.FakeScanner(SCANNERS[n], SCANNER_PORT).start() for n in UP}
        self.d = h.Daemon(self.tmp, config(self.tmp, self.snmpd)).start()
        self.d.wait_log(r"AgentX session to the master agent is open")
        for n in UP:
            h.wait_link(self.d, n, "up")
        h.wait_link(self.d, "scanner2", "down")
        return self

    def __exit__(self, *a):
        rc = self.d.stop()
        for sc in self.scanners.values():
            sc.stop()
        self.snmpd.stop()
        self.trapd.stop()
        self.tmpdir.__exit__(*a)
        self.lock.__exit__(*a)
        assert rc == 0, "daemon exit code %s" % rc


VOLATILE_COLUMNS = (
    s.OBJECTS + ".1.5.",  # smsaAgentUpTime
    s.OBJECTS + ".2.",    # notification counters move as events happen
    s.OBJECTS + ".3.1.9.", s.OBJECTS + ".4.1.7.", s.OBJECTS + ".4.1.8.",
    s.OBJECTS + ".4.1.9.", s.OBJECTS + ".4.1.10.", s.OBJECTS + ".5.1.5.",
    s.OBJECTS + ".5.1.6.", s.OBJECTS + ".5.1.7.", s.OBJECTS + ".5.1.8.",
)


def stable(vbs):
    return [v for v in vbs if not (v[0] + ".").startswith(VOLATILE_COLUMNS)
            and not any(v[0].startswith(p) for p in VOLATILE_COLUMNS)]


def column(vbs, col_oid):
    p = col_oid + "."
    return {o[len(p):]: val for o, _, val in vbs if o.startswith(p)}


def rest_links(d):
    port = int(d.config["http"]["listen"].rsplit(":", 1)[1])
    try:
        st, _, body = h.http_get(port, "/api/v1/links")
    except OSError:
        return None
    if st != 200:
        return None
    return json.loads(body)["items"]


def test_walk_and_bulkwalk_agree_with_state():
    with Rig() as r:
        for f in (16, 17, 18):  # nothing listens on 41015-41017: wait for their verdicts
            h.wait_flow(r.d, f, "down")
        for _ in range(5):  # compare a quiet moment: the same walk twice around the bulkwalk
            w = s.walk(r.snmpd.target)
            b = s.walk(r.snmpd.target, bulk=True)
            if stable(w) == stable(s.walk(r.snmpd.target)):
                break
            time.sleep(0.5)
        assert w and w[0][0].startswith(s.OBJECTS), w[:3]
        sw, sb = stable(w), stable(b)
        if sw != sb:
            diff = [x for x in sw if x not in sb] + [("bulk",) + x for x in sb if x not in sw]
            raise AssertionError("walk and bulkwalk differ: %s" % diff[:10])
        # strictly increasing OIDs, all inside the subtree
        keys = [tuple(int(x) for x in o.strip(".").split(".")) for o, _, _ in w]
        assert keys == sorted(set(keys)), "walk not in lexicographic order"
        ports = column(w, s.OBJECTS + ".3.1.2")
        assert list(ports) == [str(i) for i in range(1, 21)], ports
        assert ports["11"] == "41002" and ports["8"] == "123" and ports["1"] == "22"
        assert column(w, s.OBJECTS + ".3.1.3")["7"] == "2"  # DNS is udp(2)
        names = column(w, s.LINK_NAME)
        assert names == {"1": "scanner1", "2": "scanner2", "3": "scanner3"}, names
        status = {names[i]: s.STATE[int(v)] for i, v in column(w, s.LINK_STATUS).items()}
        assert status == {"scanner1": "up", "scanner2": "down", "scanner3": "up"}, status
        cause = {names[i]: s.CAUSE[int(v)] for i, v in column(w, s.LINK_CAUSE).items()}
        assert cause["scanner2"] == "refused", cause
        assert s.STATE[int(column(w, s.OBJECTS + ".3.1.8")["11"])] == "degraded"
        hosts = column(w, s.OBJECTS + ".6.1.3")
        assert hosts == {"1": "127.0.0.2", "2": "127.0.0.3", "3": "127.0.0.4"}, hosts
        # peers of flow 11 and their addresses (index flow.peer.type.len.a.b.c.d)
        addr_status = column(w, s.OBJECTS + ".5.1.3")
        assert addr_status["11.2.1.4.127.0.0.3"] == "4", addr_status
        assert addr_status["11.1.1.4.127.0.0.2"] == "2", addr_status
        assert column(w, s.OBJECTS + ".7.1")["0"] == "2"  # smsaNtpEnabled false
        links = rest_links(r.d)
        if links is not None:  # the REST face, when built, must tell the same story
            by_name = {l["name"]: l for l in links}
            for n, st in status.items():
                assert by_name[n]["state"] == st, (n, by_name[n], st)


def test_missing_rows_and_edges():
    with Rig() as r:
        out = s.run(["snmpget", "-v2c", "-c", "public", "-On", r.snmpd.target,
                     s.LINK_NAME + ".4", s.OBJECTS + ".3.1.2.21", s.OBJECTS + ".3.1.2.0",
                     s.LINK_NAME + ".1.0", s.OBJECTS + ".1.1.1", s.OBJECTS + ".5.1.3.11.9.1.4.1.2.3.4"],
                    check=False)
        assert out.count("No Such Instance") == 6, out
        out = s.run(["snmpget", "-v2c", "-c", "public", "-On", r.snmpd.target,
                     s.LINK_NAME + ".2", s.OBJECTS + ".1.1.0"])
        assert "scanner2" in out and "cc-test" in out, out
        # GETNEXT at the edges: after the last link name comes the first link host, and
        # after the last object of the subtree (the fleet's last column), nothing of ours.
        out = s.run(["snmpgetnext", "-v2c", "-c", "public", "-On", r.snmpd.target,
                     s.LINK_NAME + ".3", s.LINK_NAME + ".2.5", s.OBJECTS + ".3.1.2.20",
                     s.OBJECTS + ".4.1.2.11.4294967295", s.OBJECTS + ".8",
                     s.OBJECTS + ".9.1.15.4294967295"])
        vbs = s.parse_varbinds(out)
        assert vbs[0][0] == s.OBJECTS + ".6.1.3.1", vbs
        assert vbs[1][0] == s.LINK_NAME + ".3", vbs
        assert vbs[2][0] == s.OBJECTS + ".3.1.3.1", vbs
        assert vbs[3][0].startswith(s.OBJECTS + ".4.1.2.12."), vbs
        # no update sources here: the first appliance of the fleet (smsaApplianceLabel)
        assert vbs[4][0].startswith(s.OBJECTS + ".9.1.2."), vbs
        assert not vbs[5][0].startswith(s.ROOT_OID + "."), vbs


def test_set_is_refused_and_changes_nothing():
    with Rig() as r:
        out = s.run(["snmpset", "-v2c", "-c", "private", "-On", r.snmpd.target,
                     s.LINK_NAME + ".1", "s", "evil"], check=False)
        assert "notWritable" in out, out
        out = s.run(["snmpset", "-v2c", "-c", "private", "-On", r.snmpd.target,
                     s.LINK_STATUS + ".2", "i", "2"], check=False)
        assert "notWritable" in out, out
        out = s.run(["snmpget", "-v2c", "-c", "public", "-On", r.snmpd.target,
                     s.LINK_NAME + ".1", s.LINK_STATUS + ".2"])
        assert "scanner1" in out and "INTEGER: 4" in out, out


def test_link_down_and_up_traps_exactly_once():
    with Rig() as r:
        h.wait_until(lambda: r.trapd.link_traps("down", "scanner2"), 10,
                     what="initial smsaLinkDown of scanner2")
        mark = len(r.trapd.traps())
        r.scanners["scanner1"].stop()
        h.wait_until(lambda: r.trapd.link_traps("down", "scanner1"), 10,
                     what="smsaLinkDown scanner1")
        time.sleep(2.0)  # several probe rounds: no repeat
        downs = r.trapd.link_traps("down", "scanner1")
        assert len(downs) == 1, downs
        assert downs[0]["_cause"] == "refused", downs
        assert downs[0][s.LINK_STATUS + ".1"] == "4", downs
        assert downs[0].get(s.OBJECTS + ".6.1.6.1", "").split() == ["7F", "00", "00", "02"]
        assert s.event_time_of(downs[0]) is not None
        others = [t for t in r.trapd.traps()[mark:]
                  if t.get(s.TRAP_OID) in (s.LINK_DOWN, s.LINK_UP)]
        assert len(others) == 1, others  # nothing about scanner3
        r.scanners["scanner1"] = h.FakeScanner(SCANNERS["scanner1"], SCANNER_PORT).start()
        h.wait_until(lambda: [t for t in r.trapd.traps()[mark:] if t.get(s.TRAP_OID) == s.LINK_UP],
                     10, what="smsaLinkUp")
        time.sleep(2.0)
        ups = [t for t in r.trapd.traps()[mark:] if t.get(s.TRAP_OID) == s.LINK_UP]
        assert len(ups) == 1, ups
        ups = r.trapd.link_traps("up", "scanner1")[-1:]
        assert ups[0]["_cause"] == "none", ups


def test_link_lost_while_snmpd_away_is_delivered_after_restart():
    with Rig() as r:
        r.snmpd.kill()
        r.d.wait_log(r"AgentX session to the master agent lost")
        mark = h.log_mark(r.d)
        r.scanners["scanner3"].stop()
        ev = h.wait_event(r.d, "link", since=mark, name="scanner3", state="down")
        lost_at = time.time()
        time.sleep(2.5)  # snmpd stays away for a while; the daemon keeps retrying
        assert r.d.proc.poll() is None
        assert not r.trapd.link_traps("down", "scanner3")
        r.snmpd = s.Snmpd(r.tmp, trap_port=r.trapd.port, port=r.snmpd.port).start()
        h.wait_until(lambda: r.trapd.link_traps("down", "scanner3"), 10,
                     what="queued smsaLinkDown after snmpd restart")
        t = r.trapd.link_traps("down", "scanner3")
        assert len(t) == 1, t
        assert t[0]["_cause"] == "refused", t
        when = s.event_time_of(t[0])
        # the original event time (DateAndTime has 0.1 s resolution), not the delivery time
        assert abs(when - lost_at) < 1.5, (when, lost_at, ev)
        assert time.time() - when > 2.0
        h.wait_until(lambda: len(s.walk(r.snmpd.target, s.LINK_STATUS)) == 3, 10,
                     what="walk after reconnect")
        w = s.walk(r.snmpd.target, bulk=True)
        st = column(w, s.LINK_STATUS)
        assert st == {"1": "2", "2": "4", "3": "4"}, st


def test_missing_master_logged_once_per_retry_and_rest_keeps_answering():
    with h.TempDir() as tmp:
        sock = os.path.join(tmp, "nobody-here.sock")
        cfg = h.base_config(tmp, snmp={"mode": "subagent", "agentx_socket": "unix:" + sock,
                                       "ping_interval_s": 1})
        with h.Daemon(tmp, cfg) as d:
            time.sleep(4.2)
            fails = [l for l in d.log().splitlines() if "Failed to connect" in l]
            assert 2 <= len(fails) <= 7, fails  # about one per second, not a flood
            port = int(cfg["http"]["listen"].rsplit(":", 1)[1])
            try:
                st, _, _ = h.http_get(port, "/healthz")
                assert st == 200
            except OSError:
                pass  # REST face not built: the daemon being alive is what counts here
            assert d.proc.poll() is None


def test_pysnmp_walks_the_subtree():
    with Rig() as r:
        code = r"""
import sys
from pysnmp.hlapi import *
n = 0
names = []
for (ei, es, ex, vbs) in nextCmd(SnmpEngine(), CommunityData('public'),
        UdpTransportTarget(('127.0.0.1', %d), timeout=3, retries=1), ContextData(),
        ObjectType(ObjectIdentity('1.3.6.1.4.1.32473.1')), lexicographicMode=False):
    if ei or es:
        print('ERROR', ei, es); sys.exit(1)
    for oid, val in vbs:
        n += 1
        if str(oid).startswith('1.3.6.1.4.1.32473.1.6.1.2.'):
            names.append(str(val))
print(n, ','.join(names))
""" % r.snmpd.port
        out = s.run(["/usr/bin/python3", "-c", code], timeout=60)
        count, names = out.strip().splitlines()[-1].split(" ", 1)
        assert names == "scanner1,scanner2,scanner3", out
        assert int(count) == len(s.walk(r.snmpd.target, s.OBJECTS)), out


if __name__ == "__main__":
    h.run_tests([test_walk_and_bulkwalk_agree_with_state, test_missing_rows_and_edges,
                 test_set_is_refused_and_changes_nothing, test_link_down_and_up_traps_exactly_once,
                 test_link_lost_while_snmpd_away_is_delivered_after_restart,
                 test_missing_master_logged_once_per_retry_and_rest_keeps_answering,
                 test_pysnmp_walks_the_subtree])
