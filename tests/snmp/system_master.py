"""Master mode: the daemon is its own SNMP agent on snmp.master_listen, with no snmpd at all.

What a newcomer sees: snmpwalk answers with the configured community (and only with it);
the system group is there; trap sinks from the configuration receive smsaLinkDown;
--master turns a subagent configuration into a master agent.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SCANNER_PORT = 41002
QUEUED = s.OBJECTS + ".2.4.0"


def config(tmp, port, trap_port, mode="master"):
    return h.base_config(
        tmp, peers={"scanners": [{"name": "scanner1", "host": "127.0.0.2"},
                                 {"name": "scanner2", "host": "127.0.0.3"}]},
        snmp={"mode": mode, "master_listen": "udp:127.0.0.1:%d" % port, "community": "sesame",
              "trap_sinks": ["127.0.0.1:%d" % trap_port], "trap_community": "public",
              "agentx_socket": "unix:" + os.path.join(tmp, "none.sock")})


def test_master_mode_walk_community_and_traps():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        port = h.free_port("udp")
        try:
            with h.FakeScanner("127.0.0.2", SCANNER_PORT):
                d = h.Daemon(tmp, config(tmp, port, trapd.port))
                with d:
                    d.wait_log(r"master agent listening")
                    h.wait_link(d, "scanner1", "up")
                    h.wait_link(d, "scanner2", "down")
                    target = "127.0.0.1:%d" % port
                    w = s.walk(target, community="sesame")
                    names = {o.rsplit(".", 1)[1]: v for o, _, v in w
                             if o.startswith(s.LINK_NAME + ".")}
                    assert names == {"1": "scanner1", "2": "scanner2"}, names
                    b = s.walk(target, community="sesame", bulk=True)
                    assert [o for o, _, _ in b] == [o for o, _, _ in w]
                    sysd = s.walk(target, ".1.3.6.1.2.1.1.1", community="sesame")
                    assert sysd, "sysDescr missing"
                    out = s.run(["snmpget", "-v2c", "-c", "wrong", "-t", "0.5", "-r", "0",
                                 target, s.LINK_NAME + ".1"], check=False)
                    assert "Timeout" in out, out
                    out = s.run(["snmpget", "-v2c", "-c", "sesame", "-On", target,
                                 s.LINK_NAME + ".9"], check=False)
                    assert "No Such Instance" in out, out
                    h.wait_until(lambda: trapd.link_traps("down", "scanner2"), 10,
                                 what="smsaLinkDown to the configured trap sink")
                    assert trapd.link_traps("down", "scanner2")[0]["_cause"] == "refused"
                assert d.proc.returncode == 0
        finally:
            trapd.stop()


def answers(target, community, patient=True):
    """Whether the agent answers with this community: patiently (2 s, one retry) where an
    answer is expected, briefly where silence is."""
    wait = ["-t", "2", "-r", "1"] if patient else ["-t", "0.5", "-r", "0"]
    out = s.run(["snmpget", "-v2c", "-c", community] + wait + ["-On", target,
                                                               s.OBJECTS + ".1.1.0"], check=False)
    return "cc-test" in out


def test_master_reload_applies_community_and_sinks():
    """A reload that changes the community, the trap sinks or the trap community applies at
    once, without a restart: the old community no longer answers, the new one does, the next
    notification goes to the new sink only, and an inform sink added by a reload waits for
    its receiver."""
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        old_sink = s.Snmptrapd(tmp).start()
        new_dir = os.path.join(tmp, "new")
        os.mkdir(new_dir)
        new_sink = s.Snmptrapd(new_dir).start()
        port = h.free_port("udp")
        target = "127.0.0.1:%d" % port
        box = h.FakeScanner("127.0.0.2", SCANNER_PORT).start()
        informs = None
        try:
            cfg = config(tmp, port, old_sink.port)
            with h.Daemon(tmp, cfg) as d:
                d.wait_log(r"master agent listening")
                h.wait_link(d, "scanner1", "up")
                h.wait_until(lambda: old_sink.link_traps("down", "scanner2"), 10,
                             what="smsaLinkDown to the first sink")
                assert answers(target, "sesame")

                cfg["snmp"].update({"community": "open-sesame", "trap_community": "traps2",
                                    "trap_sinks": ["127.0.0.1:%d" % new_sink.port]})
                d.reload(cfg)
                assert h.rest_json(d, "/api/v1/status")["pending_restart"] == []
                assert answers(target, "open-sesame")
                assert not answers(target, "sesame", patient=False), "the old community answers"
                box.stop()
                h.wait_until(lambda: new_sink.link_traps("down", "scanner1"), 10,
                             what="smsaLinkDown to the new sink")
                time.sleep(0.5)
                assert not old_sink.link_traps("down", "scanner1"), "the old sink still gets traps"
                assert len(new_sink.link_traps()) == 1, new_sink.traps()
                d.wait_log(r"notifications go to 1 trap sink and 0 inform sinks", count=2)

                # an inform sink from a reload: what happens next waits for its receiver
                inform_port = h.free_port("udp")
                cfg["snmp"]["trap_sinks"] = [{"address": "127.0.0.1:%d" % inform_port,
                                              "inform": True}]
                d.reload(cfg)
                box = h.FakeScanner("127.0.0.2", SCANNER_PORT).start()
                h.wait_link(d, "scanner1", "up")
                h.wait_until(lambda: int(s.parse_varbinds(
                    s.run(["snmpget", "-v2c", "-c", "open-sesame", "-On", target, QUEUED]))[0][2])
                    >= 1, 10, what="the inform queued for its absent receiver")
                inform_dir = os.path.join(tmp, "inform")
                os.mkdir(inform_dir)
                informs = s.Snmptrapd(inform_dir, port=inform_port).start()
                h.wait_until(lambda: informs.link_traps("up", "scanner1"), 30, step=0.2,
                             what="smsaLinkUp as an inform to the new sink")
                assert not new_sink.link_traps("up"), new_sink.traps()
                log = d.log()
                assert "not applied" not in log, log
                # no notification carries what a v1 trap cannot (a Counter64): net-snmp's
                # conversion to v1 says nothing
                assert "snmp: send_trap" not in log, log
            assert d.proc.returncode == 0
        finally:
            box.stop()
            for t in (old_sink, new_sink, informs):
                if t:
                    t.stop()


def test_master_inform_waits_through_a_new_trap_community():
    """An inform waiting for its receiver when a reload changes the trap community goes again
    on a new session, whose socket takes the closed one's number, and still arrives."""
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        port = h.free_port("udp")
        inform_port = h.free_port("udp")
        cfg = h.base_config(
            tmp, peers={"scanners": [{"name": "lost", "host": "127.0.1.9"}]},
            snmp={"mode": "master", "master_listen": "udp:127.0.0.1:%d" % port,
                  "community": "sesame",
                  "trap_sinks": [{"address": "127.0.0.1:%d" % inform_port, "inform": True}]})
        receiver = None
        try:
            with h.Daemon(tmp, cfg) as d:
                h.wait_link(d, "lost", "down")
                target = "127.0.0.1:%d" % port
                h.wait_until(lambda: int(s.parse_varbinds(s.run(
                    ["snmpget", "-v2c", "-c", "sesame", "-On", target, QUEUED]))[0][2]) >= 1, 10,
                    what="the inform queued for its absent receiver")
                time.sleep(1.5)  # sent and unanswered: in flight on its session
                cfg["snmp"]["trap_community"] = "traps2"
                d.reload(cfg)
                receiver = s.Snmptrapd(tmp, port=inform_port).start()
                h.wait_until(lambda: receiver.link_traps("down", "lost"), 20, step=0.2,
                             what="smsaLinkDown as an inform after the reload")
        finally:
            if receiver:
                receiver.stop()


def test_master_over_ipv6_answers_its_community():
    """A master agent on udp6 answers v2c with its community (rocommunity alone maps IPv4
    sources only), and still does after a reload changes the community."""
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        cfg = config(tmp, port, h.free_port("udp"))
        cfg["peers"]["scanners"] = []
        cfg["snmp"]["master_listen"] = "udp6:[::1]:%d" % port
        target = "udp6:[::1]:%d" % port
        with h.Daemon(tmp, cfg) as d:
            d.wait_log(r"master agent listening")
            assert answers(target, "sesame")
            assert not answers(target, "wrong", patient=False)
            cfg["snmp"]["community"] = "open-sesame"
            d.reload(cfg)
            assert answers(target, "open-sesame")
            assert not answers(target, "sesame", patient=False), "the old one answers over IPv6"


def test_master_flag_overrides_subagent_mode():
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        cfg = config(tmp, port, h.free_port("udp"), mode="subagent")
        cfg["peers"]["scanners"] = []
        with h.Daemon(tmp, cfg, args=["--master"]) as d:
            d.wait_log(r"master agent listening")
            w = s.walk("127.0.0.1:%d" % port, s.OBJECTS + ".1", community="sesame")
            assert [v for o, _, v in w if o == s.OBJECTS + ".1.1.0"] == ["cc-test"], w
            assert "Failed to connect" not in d.log()


def test_master_usm_user_authpriv():
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        cfg = config(tmp, port, h.free_port("udp"))
        cfg["peers"]["scanners"] = []
        cfg["snmp"].update({"usm_user": "nms", "usm_auth_key": "auth pass phrase",
                            "usm_priv_key": "privpass123"})
        with h.Daemon(tmp, cfg) as d:
            d.wait_log(r"master agent listening")
            v3 = ["-v3", "-l", "authPriv", "-u", "nms", "-a", "SHA", "-A", "auth pass phrase",
                  "-x", "AES", "-X", "privpass123"]
            out = s.run(["snmpget", "-On"] + v3 + ["127.0.0.1:%d" % port,
                                                   s.OBJECTS + ".1.1.0"])
            assert "cc-test" in out, out
            out = s.run(["snmpget", "-On", "-v3", "-l", "authPriv", "-u", "nms", "-a", "SHA",
                         "-A", "wrong pass phrase", "-x", "AES", "-X", "privpass123",
                         "-t", "0.5", "-r", "0", "127.0.0.1:%d" % port, s.OBJECTS + ".1.1.0"],
                        check=False)
            assert "cc-test" not in out, out


def test_master_listen_in_use_is_an_error():
    with h.TempDir() as tmp:
        import socket
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
            busy.bind(("127.0.0.1", 0))
            port = busy.getsockname()[1]
            cfg = config(tmp, port, h.free_port("udp"))
            cfg["peers"]["scanners"] = []  # nothing probed on the scanner port, so no lock
            d = h.Daemon(tmp, cfg)
            d.start(wait=False)
            try:
                d.proc.wait(10)
            finally:
                d.stop()
            assert d.proc.returncode != 0, d.log()
            assert "cannot listen on udp:127.0.0.1:%d" % port in d.log(), d.log()


if __name__ == "__main__":
    h.run_tests([test_master_mode_walk_community_and_traps,
                 test_master_reload_applies_community_and_sinks,
                 test_master_inform_waits_through_a_new_trap_community,
                 test_master_over_ipv6_answers_its_community,
                 test_master_flag_overrides_subagent_mode,
                 test_master_usm_user_authpriv, test_master_listen_in_use_is_an_error])
