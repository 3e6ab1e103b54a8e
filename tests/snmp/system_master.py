"""Master mode: the daemon is its own SNMP agent on snmp.master_listen, with no snmpd at all.

What a newcomer sees: snmpwalk answers with the configured community (and only with it);
the system group is there; trap sinks from the configuration receive smsaLinkDown;
--master turns a subagent configuration into a master agent.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SCANNER_PORT = 41002


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
            d = h.Daemon(tmp, cfg)
            d.start(wait=False)
            try:
                d.proc.wait(10)
            finally:
                d.stop()
            assert d.proc.returncode != 0, d.log()
            assert "cannot listen on udp:127.0.0.1:%d" % port in d.log(), d.log()


if __name__ == "__main__":
    h.run_tests([test_master_mode_walk_community_and_traps, test_master_flag_overrides_subagent_mode,
                 test_master_usm_user_authpriv, test_master_listen_in_use_is_an_error])
