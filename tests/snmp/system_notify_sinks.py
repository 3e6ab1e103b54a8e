"""Master mode's sinks as an operator writes them: a sink given by host name is resolved on
the loop with the daemon's resolver, so a DNS server that never answers holds nothing (the
REST face keeps answering while notifications wait for the name), and a name that resolves
gets its traps and informs. A link notification carries the link's address as a GET of
smsaLinkAddress answers it."""
import os
import socket
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "ops"))
import harness as h  # noqa: E402
import opslib  # noqa: E402
import snmpenv as s  # noqa: E402

QUEUED = s.OBJECTS + ".2.4.0"
LINK_ADDR_TYPE = s.OBJECTS + ".6.1.5"
LINK_ADDR = s.OBJECTS + ".6.1.6"


def master(tmp, port, sinks, scanners, resolver):
    return h.base_config(
        tmp, peers={"scanners": scanners},
        probe={"resolver": resolver},
        snmp={"mode": "master", "master_listen": "udp:127.0.0.1:%d" % port,
              "community": "sesame", "trap_sinks": sinks, "trap_community": "public"})


def snmpget(port, oid):
    out = s.run(["snmpget", "-v2c", "-c", "sesame", "-On", "-t", "2", "-r", "1",
                 "127.0.0.1:%d" % port, oid])
    return s.parse_varbinds(out)[0]


def test_link_trap_address_is_the_address_get_answers():
    """A link lost because its name no longer resolves: the trap's smsaLinkAddress (and its
    type) is what a GET of the link's smsaLinkAddress answers, the address the link had."""
    with h.TempDir() as tmp:
        listener = h.FakeScanner("127.0.0.1", h.free_port()).start()
        dns = h.Dnsmasq(tmp, {"scan1.test": "127.0.0.1"}).start()
        trapd = s.Snmptrapd(tmp).start()
        port = h.free_port("udp")
        cfg = master(tmp, port, ["127.0.0.1:%d" % trapd.port],
                     [{"name": "scan1", "host": "scan1.test:%d" % listener.port}],
                     "127.0.0.1:%d" % dns.port)
        try:
            with h.Daemon(tmp, cfg) as d:
                h.wait_link(d, "scan1", "up")
                dns.reload({})  # the name is gone: the link goes down with dns-failure
                h.wait_until(lambda: trapd.link_traps("down", "scan1"), 15, step=0.2,
                             what="smsaLinkDown for the link whose name went away")
                trap = trapd.link_traps("down", "scan1")[0]
                assert trap["_cause"] == "dns-failure", trap
                index = next(k for k in trap if k.startswith(s.LINK_NAME + "."))
                index = index.rsplit(".", 1)[1]
                got = {}
                for col in (LINK_ADDR_TYPE, LINK_ADDR):
                    oid = "%s.%s" % (col, index)
                    _, _, value = snmpget(port, oid)
                    got[col] = value
                    assert trap.get(oid) == value, (oid, trap, value)
                assert got[LINK_ADDR].split() == ["7F", "00", "00", "01"], got
        finally:
            trapd.stop()
            dns.stop()
            listener.stop()


def test_sink_names_resolve_and_receive():
    """A trap sink and an inform sink written as host names (resolved by the daemon's
    resolver) receive smsaLinkDown."""
    with h.TempDir() as tmp:
        traps = s.Snmptrapd(os.path.join(tmp), port=h.free_port("udp")).start()
        inform_dir = os.path.join(tmp, "inform")
        os.mkdir(inform_dir)
        informs = s.Snmptrapd(inform_dir, port=h.free_port("udp")).start()
        dns = h.Dnsmasq(tmp, {"nms.test": "127.0.0.1"}).start()
        port = h.free_port("udp")
        cfg = master(tmp, port, ["nms.test:%d" % traps.port,
                                 {"address": "udp:nms.test:%d" % informs.port,
                                  "inform": True}],
                     [{"name": "lost1", "host": "127.0.0.1:%d" % h.free_port()}],
                     "127.0.0.1:%d" % dns.port)
        try:
            with h.Daemon(tmp, cfg) as d:
                h.wait_until(lambda: traps.link_traps("down", "lost1"), 15, step=0.2,
                             what="smsaLinkDown at the trap sink named nms.test")
                h.wait_until(lambda: informs.link_traps("down", "lost1"), 15, step=0.2,
                             what="smsaLinkDown at the inform sink named nms.test")
                h.wait_until(lambda: snmpget(port, QUEUED)[2] == "0", 15, step=0.2,
                             what="the inform acknowledged")
                assert "snmp: sink nms.test:%d is udp:127.0.0.1:%d" % (traps.port, traps.port) \
                    in d.log(), d.log()
        finally:
            traps.stop()
            informs.stop()
            dns.stop()


class SilentDns:
    """A DNS server that never answers: a UDP socket on port 53 of a loopback address that
    reads every query and drops it."""

    def __init__(self):
        self.sock = None
        for last in range(2, 250):
            host = "127.0.53.%d" % last
            sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sk.bind((host, 53))
            except OSError:
                sk.close()
                continue
            self.sock, self.host = sk, host
            break
        if not self.sock:
            raise RuntimeError("no free loopback address for port 53")
        self.queries = 0
        import threading
        self.thread = threading.Thread(target=self._drop, daemon=True)
        self.thread.start()

    def _drop(self):
        while True:
            try:
                self.sock.recv(4096)
            except OSError:
                return
            self.queries += 1

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(2)


def in_own_resolv_conf(tmp, resolv_text):
    """A launcher that runs smsa-agentd in a mount namespace of its own where
    /etc/resolv.conf says resolv_text: whatever resolves through the C library (as net-snmp
    does) asks the same server as the daemon's own resolver."""
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write(resolv_text)
    launcher = os.path.join(tmp, "agentd-in-ns")
    with open(launcher, "w") as f:
        f.write("#!/bin/sh\nexec unshare --mount --propagation private sh -c "
                "'mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"' %s %s \"$@\"\n"
                % (resolv, h.agentd_path()))
    os.chmod(launcher, stat.S_IRWXU)
    return launcher


def test_silent_dns_never_holds_the_loop():
    """The sinks' name asks a DNS server that never answers (the daemon's resolver and the C
    library's alike): /healthz keeps answering promptly while the link-down notifications
    wait, queued, for the inform sink's name."""
    if os.geteuid() != 0 or not opslib.namespaces_ok():
        opslib.skip("needs root and mount namespaces to give the daemon a resolv.conf naming "
                    "a silent DNS server")
    with h.TempDir() as tmp:
        dns = SilentDns()
        try:
            launcher = in_own_resolv_conf(tmp, "nameserver %s\n" % dns.host)
            port = h.free_port("udp")
            sink_port = h.free_port("udp")
            trap_port = h.free_port("udp")
            cfg = master(tmp, port, ["nms.test:%d" % trap_port,
                                     {"address": "nms.test:%d" % sink_port, "inform": True}],
                         [{"name": "lost%d" % i, "host": "127.0.0.1:%d" % h.free_port()}
                          for i in range(3)],
                         "%s:53" % dns.host)
            http_port = int(cfg["http"]["listen"].rpartition(":")[2])
            with h.Daemon(tmp, cfg, binary=launcher) as d:
                h.wait_until(lambda: dns.queries > 0, 15, what="a query for the sink's name")
                slowest, answered = 0.0, 0
                deadline = time.monotonic() + 6  # a C library lookup would take 10 s or more
                while time.monotonic() < deadline:
                    t0 = time.monotonic()
                    try:
                        status, _, _ = h.http_get(http_port, "/healthz", timeout=15)
                    except OSError as e:
                        raise AssertionError("/healthz: %s" % e)
                    slowest = max(slowest, time.monotonic() - t0)
                    assert status == 200
                    answered += 1
                    time.sleep(0.05)
                # generous: a held loop is held for seconds
                assert slowest < 1.0, "/healthz took %.1f s (%d answers)" % (slowest, answered)
                queued = int(snmpget(port, QUEUED)[2])
                assert queued >= 3, queued  # each link's notification waits for the sink
                for p in (trap_port, sink_port):
                    d.wait_log(r"snmp: sink nms\.test:%d: .*gets nothing until its name "
                               r"resolves" % p, timeout=15)
        finally:
            dns.close()


if __name__ == "__main__":
    h.run_tests([test_link_trap_address_is_the_address_get_answers,
                 test_sink_names_resolve_and_receive, test_silent_dns_never_holds_the_loop])
