"""Causes with a detail: every failed check keeps a short text beside its cause, in REST
(peers, their addresses, /ntp) and in the event's log line: a DNS server answering REFUSED,
an SMTP server greeting 554, NTP servers sending Kiss-o'-Death RATE or stratum 16."""
import struct
import time

import harness as h
import restlib


class RefusingDns(h.FakeUdpServer):
    """Answers every query with its own question and rcode REFUSED (5)."""

    def __init__(self):
        super().__init__(self._reply)

    @staticmethod
    def _reply(n, q):
        if len(q) < 17:
            return None
        qid, = struct.unpack(">H", q[:2])
        end = 12
        while q[end] != 0:
            end += 1 + q[end]
        return struct.pack(">HHHHHH", qid, 0x8185, 1, 0, 0, 0) + q[12:end + 5]


def ntp_reply(req, stratum, refid):
    """A mode-4 reply echoing req's transmit timestamp (leap 3 with stratum 0: a KoD)."""
    now = h.ntp_timestamp(time.time())
    first = ((3 if stratum == 0 else 0) << 6) | (4 << 3) | 4
    return struct.pack(">BBbb", first, stratum, 6, -20) + struct.pack(">II", 0, 0) + refid + \
        now + req[40:48] + now + now


def wait_detail(c, fid, want, timeout=15):
    def got():
        peers = c.json("/api/v1/flows/%d" % fid)["peers"]
        return peers[0] if peers and peers[0]["detail"] == want else None
    try:
        return h.wait_until(got, timeout, what="flow %d detail %r" % (fid, want))
    except AssertionError:
        raise AssertionError("flow %d: %s" % (fid, c.json("/api/v1/flows/%d" % fid)["peers"]))


def test_refused_554_kod_and_stratum_16_show_their_detail():
    rate = h.FakeUdpServer(lambda n, req: ntp_reply(req, 0, b"RATE"), bufsize=1024)
    s16 = h.FakeUdpServer(lambda n, req: ntp_reply(req, 16, b"\0\0\0\0"), bufsize=1024)
    smtp_port = h.free_port()
    with h.TempDir() as tmp, RefusingDns() as dns, rate, s16, \
            h.FakeScanner("127.0.0.1", smtp_port, greeting=b"554 5.3.2 no service here\r\n"):
        dm = restlib.RestDaemon(
            tmp, appliance={"name": "aio-test", "role": "all-in-one"},
            peers={"scanners": [], "dns_servers": ["127.0.0.1:%d" % dns.port],
                   "internal_mail_servers": ["127.0.0.1:%d" % smtp_port]},
            ntp={"enabled": True, "servers": ["127.0.0.1:%d" % rate.port,
                                              "127.0.0.1:%d" % s16.port]})
        with dm:
            c = dm.client()
            p = wait_detail(c, 7, "rcode REFUSED")
            assert p["cause"] == "protocol-error", p
            assert p["addresses"][0]["detail"] == "rcode REFUSED", p

            p = wait_detail(c, 3, "greeting 554")
            assert p["cause"] == "protocol-error", p

            def ntp_status():
                st = {s["port"]: s for s in c.json("/api/v1/ntp")["status"]}
                a, b = st.get(rate.port), st.get(s16.port)
                return (a, b) if a and b and a["detail"] and b["detail"] else None
            a, b = h.wait_until(ntp_status, 15, what="NTP details")
            assert (a["cause"], a["detail"]) == ("kiss-of-death", "KoD RATE"), a
            assert (b["cause"], b["detail"]) == ("protocol-error", "stratum 16"), b

            ev = h.wait_event(dm, "peer", flow=7, state="down")
            assert ev["detail"] == '"rcode REFUSED"', ev
            code, hdrs, body = c.get("/api/v1/flows")
            restlib.check_response("/api/v1/flows", "GET", code, hdrs, body)
            code, hdrs, body = c.get("/api/v1/ntp")
            restlib.check_response("/api/v1/ntp", "GET", code, hdrs, body)


def test_connection_refused_reaches_the_link(rest_daemon):
    port = h.free_port()
    dm = rest_daemon(peers={"scanners": [{"name": "gone", "host": "127.0.0.1:%d" % port}]})
    c = dm.client()
    h.wait_link(dm, "gone", "down")
    link = c.json("/api/v1/links")["items"][0]
    assert (link["cause"], link["detail"]) == ("refused", "connection refused"), link
    code, hdrs, body = c.get("/api/v1/links")
    restlib.check_response("/api/v1/links", "GET", code, hdrs, body)


if __name__ == "__main__":
    h.run_tests([
        test_refused_554_kod_and_stratum_16_show_their_detail,
        test_connection_refused_reaches_the_link,
    ])
