"""The fleet through SNMP, with the agent beside a Control Center and its two scanners (fake
appliances on 127.0.93.x that answer as the real services do), walked through a real snmpd
with the agent as its AgentX subagent, and with the agent as its own master agent.

What an NMS sees: smsaAgentPlacement says beside and smsaAgentVantage names this host; every
flow is measured from the vantage; smsaApplianceTable lists the Control Center and both
scanners (names, roles, addresses and states agreeing with GET /api/v1/appliances); a
scanner that stops answering gives one smsaApplianceDown with its address and cause, and
smsaApplianceUp when it is back; appliances found up at start raise nothing; the rate limit
damps appliance notifications as it does flow ones, never link ones.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SCANNER_PORT = 41002
# Addresses of their own: other tests serve 22, 25 and 41443 on the usual 127.0.0.x.
CC = "127.0.93.1"
SCANNERS = {"scanner1": "127.0.93.2", "scanner2": "127.0.93.3"}

PLACEMENT = s.OBJECTS + ".1.6.0"
VANTAGE = s.OBJECTS + ".1.7.0"
MEASURED_FROM = s.OBJECTS + ".3.1.11"
APPL = s.OBJECTS + ".9.1"
APPL_LABEL, APPL_ROLE, APPL_SELF, APPL_HOST = APPL + ".2", APPL + ".3", APPL + ".4", APPL + ".5"
APPL_ADDR_TYPE, APPL_ADDR, APPL_STATUS, APPL_CAUSE = (APPL + ".6", APPL + ".7", APPL + ".8",
                                                      APPL + ".9")
APPL_CHECKS = APPL + ".12"
APPLIANCE_DOWN = s.ROOT_OID + ".0.5"
APPLIANCE_UP = s.ROOT_OID + ".0.6"
ROLE = {1: "control-center", 2: "scanner", 3: "all-in-one"}


def column(vbs, col_oid):
    p = col_oid + "."
    return {o[len(p):]: val for o, _, val in vbs if o.startswith(p)}


def hex_address(ip):
    return ["%02X" % int(b) for b in ip.split(".")]


def appliance_traps(trapd, kind=None, index=None):
    """smsaApplianceDown ("down") and smsaApplianceUp ("up") received, with _kind and
    _index (the smsaApplianceIndex their objects are instances of)."""
    out = []
    for t in trapd.traps():
        oid = t.get(s.TRAP_OID)
        if oid not in (APPLIANCE_DOWN, APPLIANCE_UP):
            continue
        t["_kind"] = "down" if oid == APPLIANCE_DOWN else "up"
        t["_index"] = next((k[len(APPL_LABEL) + 1:] for k in t if k.startswith(APPL_LABEL + ".")),
                           None)
        if (kind is None or t["_kind"] == kind) and (index is None or t["_index"] == index):
            out.append(t)
    return out


class Fleet:
    """The Control Center and its scanners as fake appliances, snmptrapd, and the agent
    beside them with `snmp` as its SNMP section (filled in by the caller from the rig)."""

    def __init__(self, mode, **snmp):
        self.mode, self.snmp = mode, snmp

    def __enter__(self):
        self.lock = h.PortLock(SCANNER_PORT).__enter__()
        self.tmpdir = h.TempDir()
        self.tmp = self.tmpdir.__enter__()
        self.parts = []
        self.trapd = self.snmpd = self.d = None
        try:
            self.trapd = s.Snmptrapd(self.tmp).start()
            if self.mode == "subagent":
                self.snmpd = s.Snmpd(self.tmp, trap_port=self.trapd.port).start()
                snmp = {"mode": "subagent", "agentx_socket": "unix:" + self.snmpd.socket,
                        "ping_interval_s": 1}
                self.target, self.community = self.snmpd.target, "public"
            else:
                port = h.free_port("udp")
                snmp = {"mode": "master", "master_listen": "udp:127.0.0.1:%d" % port,
                        "community": "sesame", "trap_sinks": ["127.0.0.1:%d" % self.trapd.port],
                        "trap_community": "public",
                        "agentx_socket": "unix:" + os.path.join(self.tmp, "none.sock")}
                self.target, self.community = "127.0.0.1:%d" % port, "sesame"
            snmp.update(self.snmp)
            self.cc = h.FakeAppliance(self.tmp, CC, "control-center").start()
            self.scanners = {n: h.FakeAppliance(self.tmp, a).start()
                             for n, a in SCANNERS.items()}
            cfg = h.beside_config(self.tmp, CC, scanners=sorted(SCANNERS.items()), snmp=snmp)
            self.d = h.Daemon(self.tmp, cfg).start()
            self.d.wait_log(r"AgentX session to the master agent is open"
                            if self.mode == "subagent" else r"master agent listening")
            for n in ["cc-test"] + sorted(SCANNERS):
                h.wait_appliance(self.d, n, "up", timeout=30)
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *a):
        rc = self.d.stop() if self.d else 0
        for p in [getattr(self, "cc", None)] + list(getattr(self, "scanners", {}).values()):
            if p:
                p.stop()
        for p in (self.snmpd, self.trapd):
            if p:
                p.stop()
        self.tmpdir.__exit__(*a)
        self.lock.__exit__(*a)
        assert rc == 0, "daemon exit code %s" % rc

    def walk(self, oid=s.OBJECTS):
        return s.walk(self.target, oid, community=self.community)


def check_walk(f):
    w = f.walk()
    scalars = {o: v for o, _, v in w}
    assert scalars[PLACEMENT] == "2", scalars.get(PLACEMENT)  # beside(2)
    assert scalars[VANTAGE] == socket.gethostname(), scalars.get(VANTAGE)
    measured = column(w, MEASURED_FROM)
    assert list(measured) == [str(i) for i in range(1, 21)], measured
    assert set(measured.values()) == {"2"}, measured  # vantage(2), every flow

    rest = h.rest_json(f.d, "/api/v1/appliances")["items"]
    by_index = {str(a["index"]): a for a in rest}
    labels = column(w, APPL_LABEL)
    assert labels == {i: a["name"] for i, a in by_index.items()}, (labels, rest)
    assert sorted(labels.values()) == ["cc-test", "scanner1", "scanner2"], labels
    idx = {n: i for i, n in labels.items()}
    roles = {labels[i]: ROLE[int(v)] for i, v in column(w, APPL_ROLE).items()}
    assert roles == {"cc-test": "control-center", "scanner1": "scanner",
                     "scanner2": "scanner"}, roles
    assert column(w, APPL_SELF)[idx["cc-test"]] == "1"  # true(1)
    assert column(w, APPL_SELF)[idx["scanner1"]] == "2"
    hosts = {labels[i]: v for i, v in column(w, APPL_HOST).items()}
    assert hosts == {"cc-test": CC, "scanner1": SCANNERS["scanner1"],
                     "scanner2": SCANNERS["scanner2"]}, hosts
    types = column(w, APPL_ADDR_TYPE)
    assert set(types.values()) == {"1"}, types  # ipv4(1)
    addrs = {labels[i]: v.split() for i, v in column(w, APPL_ADDR).items()}
    assert addrs == {n: hex_address(a) for n, a in hosts.items()}, addrs
    status = {labels[i]: s.STATE[int(v)] for i, v in column(w, APPL_STATUS).items()}
    assert status == {"cc-test": "up", "scanner1": "up", "scanner2": "up"}, status
    assert {labels[i]: a["state"] for i, a in by_index.items()} == status
    checks = {labels[i]: int(v) for i, v in column(w, APPL_CHECKS).items()}
    assert checks == {labels[i]: a["counts"]["checks"] for i, a in by_index.items()}, checks
    assert all(n > 0 for n in checks.values()), checks
    return idx


def check_down_and_up(f, idx):
    # found up at start: leaving unknown for up raises nothing
    assert not appliance_traps(f.trapd), appliance_traps(f.trapd)
    i = idx["scanner2"]
    f.scanners["scanner2"].stop()
    h.wait_appliance(f.d, "scanner2", "down", timeout=20)
    h.wait_until(lambda: appliance_traps(f.trapd, "down", i), 45, what="smsaApplianceDown")
    t = appliance_traps(f.trapd, "down", i)[0]
    assert t[APPL_LABEL + "." + i] == "scanner2", t
    assert ROLE[int(t[APPL_ROLE + "." + i])] == "scanner", t
    assert t[APPL_HOST + "." + i] == SCANNERS["scanner2"], t
    assert t[APPL_ADDR_TYPE + "." + i] == "1", t
    assert t[APPL_ADDR + "." + i].split() == hex_address(SCANNERS["scanner2"]), t
    assert s.STATE[int(t[APPL_STATUS + "." + i])] == "down", t
    assert s.CAUSE[int(t[APPL_CAUSE + "." + i])] == "refused", t
    assert s.event_time_of(t) is not None, t
    # the table says the same
    w = f.walk(APPL)
    assert s.STATE[int(column(w, APPL_STATUS)[i])] == "down", w
    assert s.CAUSE[int(column(w, APPL_CAUSE)[i])] == "refused", w

    f.scanners["scanner2"] = h.FakeAppliance(f.tmp, SCANNERS["scanner2"]).start()
    h.wait_appliance(f.d, "scanner2", "up", timeout=20)
    h.wait_until(lambda: appliance_traps(f.trapd, "up", i), 45, what="smsaApplianceUp")
    up = appliance_traps(f.trapd, "up", i)
    assert len(up) == 1, up
    # it answers again: up, or degraded while some of its checks still fail
    assert s.STATE[int(up[0][APPL_STATUS + "." + i])] in ("up", "degraded"), up
    assert len(appliance_traps(f.trapd, "down", i)) == 1, appliance_traps(f.trapd, "down", i)
    # nothing about the appliances that stayed up
    assert all(t["_index"] == i for t in appliance_traps(f.trapd)), appliance_traps(f.trapd)


SENT, SUPPRESSED = s.OBJECTS + ".2.1.0", s.OBJECTS + ".2.2.0"


def counters(f):
    out = s.run(["snmpget", "-v2c", "-c", f.community, "-On", f.target, SENT, SUPPRESSED])
    c = {o: int(v) for o, _, v in s.parse_varbinds(out)}
    return c[SENT], c[SUPPRESSED]


def test_rate_limit_damps_appliance_notifications_not_link_ones():
    """One notification a minute: a first flow change takes the only token, then a scanner
    that goes away gives its smsaLinkDown (never limited) while its smsaApplianceDown is
    suppressed and counted with the flow changes."""
    with Fleet("master", notify_rate_limit=1) as f:
        assert not appliance_traps(f.trapd), appliance_traps(f.trapd)
        sent0, supp0 = counters(f)
        # flow 17 (41016) of scanner1 fails: the flow degrades, news that takes the token
        part = next(p for p in f.scanners["scanner1"].parts if p.port == 41016)
        part.stop()
        h.wait_flow(f.d, 17, "degraded")
        h.wait_until(lambda: sum(counters(f)) > sent0 + supp0, 45, what="the flow notification")
        spent = time.monotonic()  # the bucket's only token went just before this
        marks = {k: len(h.events(f.d, k)) for k in ("link", "appliance", "flow")}
        sent1, supp1 = counters(f)

        f.scanners["scanner2"].stop()
        h.wait_appliance(f.d, "scanner2", "down", timeout=20)
        h.wait_until(lambda: f.trapd.link_traps("down", "scanner2"), 45, what="smsaLinkDown")
        for flow in (1, 2, 4, 11, 16, 18):  # the flows scanner2 receives or is a peer of
            h.wait_flow(f.d, flow, "degraded")

        def notified(kind, key, news):
            """Events of a kind after the mark that raise a notification, by the rule of that
            kind (news(was, state)): every state is followed per key from the log's start."""
            before, n = {}, 0
            for i, e in enumerate(h.events(f.d, kind)):
                state, was = e.get("state"), before.get(e.get(key), "unknown")
                before[e.get(key)] = state
                if i >= marks[kind] and news(was, state):
                    n += 1
            return n

        # links and appliances: going down, or leaving down for an answer; flows: any change
        # but a first verdict that finds nothing wrong (on a loaded machine a slow check may
        # give its flow's first verdict only now)
        def down_or_back(was, state):
            return state == "down" or (was == "down" and state != "unknown")

        def flow_news(was, state):
            return was != "unknown" or state in ("down", "degraded")

        def settled():
            # every change after the mark that is news is either sent or suppressed, and
            # counted once
            links = notified("link", "name", down_or_back)
            downs = notified("appliance", "name", down_or_back)
            flows = notified("flow", "flow", flow_news)
            sent, supp = counters(f)
            last[:] = [sent - sent1, supp - supp1, links, flows, downs]
            done = (sent - sent1) + (supp - supp1) == links + flows + downs
            return (sent, supp, links, flows, downs) if done and links and downs else None
        last = []
        try:
            sent, supp, links, flows, downs = h.wait_until(settled, 45,
                                                           what="every change counted")
        except AssertionError as e:
            raise AssertionError("%s: sent %d, suppressed %d, link news %d, flow changes %d, "
                                 "appliance news %d" % tuple([e] + last)) from None
        assert links >= 1 and downs >= 1, (links, downs)
        # The bucket gains its next token a minute after the first was spent: a run slower than
        # that (a loaded machine, the sanitizers) may send one limited notification more.
        refilled = 0 if time.monotonic() - spent < 50 else 1
        assert sent - sent1 - links <= refilled, (sent, sent1, links, refilled)
        assert supp - supp1 >= flows + downs - refilled, (supp, supp1, flows, downs, refilled)
        if not refilled:
            assert not appliance_traps(f.trapd), appliance_traps(f.trapd)


def test_fleet_through_the_subagent():
    with Fleet("subagent") as f:
        check_down_and_up(f, check_walk(f))


def test_fleet_in_master_mode():
    with Fleet("master") as f:
        check_down_and_up(f, check_walk(f))


if __name__ == "__main__":
    h.run_tests([test_fleet_through_the_subagent, test_fleet_in_master_mode,
                 test_rate_limit_damps_appliance_notifications_not_link_ones])
