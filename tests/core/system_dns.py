"""DNS against a real dnsmasq on a free port, used both as the daemon's resolver and as a
configured DNS server (flow 7): the DNS check follows the server; when it is gone, peers
named by hostname fail with dns-failure; a changed address set is one event. Bad replies
(wrong id, short, oversized) and silence are failures with the right cause."""
import socket
import struct

import harness as h

SCANNER_PORT = 41002


class FakeDnsServer(h.FakeUdpServer):
    """A UDP DNS server on 127.0.0.1 that answers every query in one way:
    good     a valid answer (A 127.0.0.9) with the query's id
    silent   never answers
    wrong-id a valid answer with another id (a spoofed reply)
    short    5 bytes
    oversized a valid answer padded to 60,000 bytes"""

    def __init__(self, mode):
        super().__init__(self._reply)
        self.mode = mode

    @property
    def queries(self):
        return self.requests

    def _answer(self, q):
        qid, _flags, qdcount = struct.unpack(">HHH", q[:6])
        end = 12
        while q[end] != 0:
            end += 1 + q[end]
        question = q[12:end + 5]
        if self.mode == "wrong-id":
            qid ^= 0x5A5A
        hdr = struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0)
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.9")
        msg = hdr + question + answer
        if self.mode == "short":
            return msg[:5]
        if self.mode == "oversized":
            return msg + b"\0" * (60000 - len(msg))
        return msg

    def _reply(self, n, q):
        if self.mode == "silent" or len(q) < 17:
            return None
        return self._answer(q)


def dns_config(tmp, dns_port, **extra):
    server = "127.0.0.1:%d" % dns_port
    cfg = h.base_config(tmp, probe={"resolver": server, "dns_query_name": "probe.test"},
                        **extra)
    cfg["peers"]["dns_servers"] = [server]
    return cfg


RECORDS = {"scan1.test": "127.0.0.2", "probe.test": "127.0.0.9"}


def test_dns_server_down_fails_the_check_and_the_hostnames():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp, \
            h.FakeScanner("127.0.0.2", SCANNER_PORT):
        dns = h.Dnsmasq(tmp, RECORDS).start()
        try:
            cfg = dns_config(tmp, dns.port,
                             peers={"scanners": [{"name": "s1", "host": "scan1.test"},
                                                 {"name": "ghost", "host": "ghost.test"}]})
            with h.Daemon(tmp, cfg) as d:
                ev = h.wait_event(d, "peer", flow=7, port=dns.port)
                assert ev["state"] == "up", ev
                h.wait_event(d, "flow", flow=7, state="up")
                ev = h.wait_event(d, "link", name="s1")
                assert (ev["state"], ev["address"]) == ("up", "127.0.0.2"), ev
                # A name the server does not know (NXDOMAIN).
                ev = h.wait_event(d, "link", name="ghost")
                assert (ev["state"], ev["cause"]) == ("down", "dns-failure"), ev

                mark = h.log_mark(d)
                dns.stop()
                ev = h.wait_event(d, "peer", since=mark, flow=7, state="down")
                # A closed UDP port on loopback answers ICMP port unreachable: refused.
                assert ev["cause"] in ("refused", "timeout"), ev
                ev = h.wait_event(d, "link", since=mark, name="s1", state="down")
                assert ev["cause"] == "dns-failure", ev
                ev = h.wait_event(d, "peer", since=mark, flow=11, host="scan1.test",
                                  state="down")
                assert ev["cause"] == "dns-failure", ev

                mark = h.log_mark(d)
                dns = h.Dnsmasq(tmp, RECORDS, port=dns.port).start()
                h.wait_event(d, "peer", since=mark, flow=7, state="up")
                h.wait_event(d, "link", since=mark, name="s1", state="up")
        finally:
            dns.stop()


def test_dns_server_silent_is_timeout_and_bad_replies_are_protocol_errors():
    modes = ["good", "silent", "wrong-id", "short", "oversized"]
    servers = {m: FakeDnsServer(m).start() for m in modes}
    try:
        with h.TempDir() as tmp:
            cfg = h.base_config(tmp, probe={"dns_query_name": "probe.test"})
            cfg["peers"]["dns_servers"] = ["127.0.0.1:%d" % s.port for s in servers.values()]
            with h.Daemon(tmp, cfg) as d:
                ev = h.wait_event(d, "peer", flow=7, port=servers["good"].port)
                assert ev["state"] == "up", ev
                want = {"silent": "timeout", "wrong-id": "protocol-error",
                        "short": "protocol-error", "oversized": "protocol-error"}
                for mode, cause in want.items():
                    ev = h.wait_event(d, "peer", flow=7, port=servers[mode].port)
                    assert (ev["state"], ev["cause"]) == ("down", cause), (mode, ev)
                    assert servers[mode].queries >= 2, (mode, servers[mode].queries)
                h.wait_event(d, "flow", flow=7, state="degraded")
                # A spoofed or broken reply is never trusted, not even once.
                assert not h.events(d, "peer", flow=7, port=servers["wrong-id"].port,
                                    state="up")
    finally:
        for s in servers.values():
            s.stop()


def test_address_set_change_is_one_event():
    """An update host (flow 19, antivirus) whose name gains, then loses, an address."""
    with h.TempDir() as tmp:
        port = h.free_port(host="127.0.0.2")
        # LiveUpdate (flow 19) is checked by HTTP: any status line proves it
        ok = b"HTTP/1.1 200 OK\r\n\r\n"
        with h.FakeScanner("127.0.0.2", port, ok), h.FakeScanner("127.0.0.3", port, ok), \
                h.Dnsmasq(tmp, {"lu.test": ["127.0.0.2"]}) as dns:
            cfg = h.base_config(tmp, probe={"resolver": "127.0.0.1:%d" % dns.port},
                                updates=[{"purpose": "antivirus", "host": "lu.test",
                                          "port": port, "enabled": True}])
            with h.Daemon(tmp, cfg) as d:
                h.wait_event(d, "peer", flow=19, host="lu.test", state="up")
                first = h.events(d, "addrset", host="lu.test")
                assert len(first) <= 1, first

                for addrs in (["127.0.0.2", "127.0.0.3"], ["127.0.0.3"]):
                    mark = h.log_mark(d)
                    dns.reload({"lu.test": addrs})
                    ev = h.wait_event(d, "addrset", since=mark, host="lu.test")
                    assert ev["flow"] == "19", ev
                    assert ev["addresses"].split() == addrs, ev
                    # Several more rounds resolve the same set: no further event.
                    q0 = dns_queries(tmp, "lu.test")
                    h.wait_until(lambda: dns_queries(tmp, "lu.test") >= q0 + 6, 10,
                                 what="six more rounds of resolution")
                    evs = h.events(d, "addrset", since=mark, host="lu.test")
                    assert evs == [ev], "one address-set event expected, got %s" % evs
                    assert not h.events(d, "peer", since=mark, flow=19, state="down"), \
                        h.events(d, "peer", since=mark)


def test_a_resolver_that_never_answers_does_not_spin_the_loop():
    """Names looked up against a resolver that swallows every query: each lookup ends in
    c-ares timeouts, and the loop sleeps until each of them. It used to turn without sleeping
    through the last millisecond before every deadline (c-ares gives what is left in whole
    milliseconds): over a thousand wake-ups per lookup."""
    silent = FakeDnsServer("silent").start()
    try:
        with h.TempDir() as tmp:
            scanners = [{"name": "s%02d" % i, "host": "s%02d.test" % i} for i in range(10)]
            cfg = h.base_config(tmp, peers={"scanners": scanners},
                                probe={"interval_ms": 1000, "timeout_ms": 300,
                                       "resolver": "127.0.0.1:%d" % silent.port})
            port = int(cfg["http"]["listen"].rsplit(":", 1)[1])

            def sample():
                """(loop wake-ups, checks made of the links' flow 11) now."""
                body = h.http_get(port, "/metrics")[2].decode()
                turns = [l for l in body.splitlines() if l.startswith("smsa_loop_turns_total ")]
                flow = h.rest_json(d, "/api/v1/flows/11")
                return (float(turns[0].split()[1]), sum(p["checks"] for p in flow["peers"]))

            with h.Daemon(tmp, cfg) as d:
                for sc in scanners:
                    link = h.wait_link(d, sc["name"], "down", timeout=30)
                    assert link["cause"] == "dns-failure", link
                turns0, checks0 = sample()
                # Forty lookups a round (10 scanners, flows 11 and 16-18), each timing out
                # twice: wait for 200 more checks of flow 11 alone.
                h.wait_until(lambda: sample()[1] >= checks0 + 200, 60,
                             what="200 more checks of flow 11")
                turns1, checks1 = sample()
                lookups = 4 * (checks1 - checks0)
                per_lookup = (turns1 - turns0) / lookups
                # A lookup needs a few wake-ups (its round's timer, the timeouts of its A and
                # AAAA queries and of their retries, this test's REST calls): about 8 here.
                # The spin made it over a thousand.
                assert per_lookup < 50, "%.1f loop wake-ups per lookup" % per_lookup
                assert silent.queries >= lookups, (silent.queries, lookups)
    finally:
        silent.stop()


def dns_queries(tmp, name):
    """How many A queries for name dnsmasq has logged so far."""
    with open(tmp + "/dnsmasq.log", errors="replace") as f:
        return sum(1 for line in f if "query[A] %s " % name in line)


if __name__ == "__main__":
    h.run_tests([
        test_dns_server_down_fails_the_check_and_the_hostnames,
        test_dns_server_silent_is_timeout_and_bad_replies_are_protocol_errors,
        test_address_set_change_is_one_event,
        test_a_resolver_that_never_answers_does_not_spin_the_loop,
    ])
