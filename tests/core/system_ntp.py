"""NTP (flow 8) against a real chronyd serving at local stratum 8 on a free port, and against
fake servers that send Kiss-o'-Death codes, spoofed, short or unsynchronised replies."""
import json
import re
import statistics
import struct
import time

import harness as h


def FakeNtpServer(reply):
    """A fake SNTP server: replies come from reply(n, request) (harness.FakeUdpServer)."""
    return h.FakeUdpServer(reply, bufsize=1024)


def ntp_reply(req, leap=0, stratum=2, refid=b"\x7f\x00\x00\x01", skew=0.0, origin=None):
    """A mode-4 reply to req from a server whose clock is `skew` seconds ahead of ours."""
    now = time.time() + skew
    first = (leap << 6) | (4 << 3) | 4
    hdr = struct.pack(">BBbb", first, stratum, req[2] if len(req) > 2 else 6, -20)
    root = struct.pack(">II", 0, 0)
    ts = h.ntp_timestamp(now)
    org = origin if origin is not None else req[40:48]
    return hdr + root + refid + ts + org + ts + ts


def kod(code):
    return lambda n, req: ntp_reply(req, leap=3, stratum=0, refid=code)


def good(skew=0.0):
    return lambda n, req: ntp_reply(req, skew=skew)


def ntp_config(tmp, servers, **probe):
    return h.base_config(tmp, ntp={"enabled": True,
                                   "servers": ["127.0.0.1:%d" % p for p in servers]},
                         **({"probe": probe} if probe else {}))


def interval_s(d):
    return d.config["probe"]["interval_ms"] / 1000.0


def test_chronyd_gives_real_stratum_offset_and_delay():
    with h.TempDir() as tmp:
        chrony = h.Chronyd(tmp, stratum=8).start()
        try:
            with h.Daemon(tmp, ntp_config(tmp, [chrony.port])) as d:
                ev = h.wait_event(d, "ntp", peer=1)
                assert ev["state"] == "up", ev
                # chronyd at `local stratum 8` answers with stratum 8 itself (checked with a
                # plain SNTP query in harness.sntp_query), refid 127.127.1.1 (its local clock).
                assert ev["stratum"] == "8", ev
                assert abs(int(ev["offset_us"])) < 1000000, ev
                assert 0 <= int(ev["delay_us"]) < 1000000, ev
                assert ev["refid"] not in ("", "DENY", "RATE"), ev
                h.wait_event(d, "flow", flow=8, state="up")
                assert h.wait_event(d, "peer", flow=8, peer=1)["state"] == "up"

                mark = h.log_mark(d)
                chrony.stop()
                ev = h.wait_event(d, "ntp", since=mark, peer=1, state="down")
                # Nothing on the port: ICMP port unreachable (refused) or no answer (timeout).
                assert ev["cause"] in ("timeout", "refused"), ev
                h.wait_event(d, "flow", since=mark, flow=8, state="down")
        finally:
            chrony.stop()


def test_kiss_of_death_deny_and_rstr_stop_polling():
    with h.TempDir() as tmp, FakeNtpServer(kod(b"DENY")) as deny, \
            FakeNtpServer(kod(b"RSTR")) as rstr, FakeNtpServer(good()) as ok:
        with h.Daemon(tmp, ntp_config(tmp, [deny.port, rstr.port, ok.port])) as d:
            for index, server in ((1, deny), (2, rstr)):
                ev = h.wait_event(d, "ntp", peer=index, state="down")
                assert ev["cause"] == "kiss-of-death", ev
            h.wait_event(d, "ntp", peer=3, state="up")
            # Ten intervals later: the good server was polled on, the other two never again.
            counts = (deny.requests, rstr.requests)
            polled = ok.requests
            time.sleep(10 * interval_s(d))
            assert ok.requests >= polled + 5, "the good server is still polled"
            assert (deny.requests, rstr.requests) == counts, \
                "polled after a Kiss-o'-Death: %s -> %s" % (counts, (deny.requests,
                                                                     rstr.requests))
            assert not h.events(d, "ntp", peer=1, state="up")
            # REST says so under one name, in /ntp and in /flows alike.
            port = int(d.config["http"]["listen"].rsplit(":", 1)[1])
            ntp = json.loads(h.http_get(port, "/api/v1/ntp")[2])["status"]
            peers = json.loads(h.http_get(port, "/api/v1/flows/8")[2])["peers"]
            assert [s["kod_stopped"] for s in ntp] == [True, True, False], ntp
            assert [p["ntp"]["kod_stopped"] for p in peers] == [True, True, False], peers


def test_kiss_of_death_deny_is_the_address_verdict_at_once():
    """With fail_threshold 2, one DENY stops polling: the address must not wait for a second
    failure that never comes (it stayed `unknown` forever)."""
    with h.TempDir() as tmp, FakeNtpServer(kod(b"DENY")) as deny:
        cfg = ntp_config(tmp, [deny.port], fail_threshold=2)
        with h.Daemon(tmp, cfg) as d:
            peer = h.wait_peer(d, 8, "down")
            assert (peer["cause"], peer["detail"]) == ("kiss-of-death", "KoD DENY"), peer
            addr = h._wait_rest(d, "the address down", lambda: [
                a for a in (h.rest_json(d, "/api/v1/flows/8") or {"peers": [{}]})["peers"][0]
                .get("addresses", []) if a["state"] == "down"], 10)[0]
            assert (addr["cause"], addr["detail"]) == ("kiss-of-death", "KoD DENY"), addr
            assert deny.requests == 1, deny.requests


def clock(d):
    return (h.rest_json(d, "/api/v1/ntp") or {}).get("clock")


def wait_clock(d, state, answering=None, timeout=10.0):
    """Waits until GET /api/v1/ntp's clock is in `state` (with that many servers answering)."""
    def read():
        c = clock(d)
        ok = c and c["state"] == state and answering in (None, c["answering"])
        return c if ok else None
    return h._wait_rest(d, "clock %s" % state, read, timeout)


def metric(d, name, **labels):
    """The value of one series of GET /metrics, or None."""
    port = int(d.config["http"]["listen"].rsplit(":", 1)[1])
    want = "%s{%s}" % (name, ",".join('%s="%s"' % kv for kv in labels.items())) \
        if labels else name
    for line in h.http_get(port, "/metrics")[2].decode().splitlines():
        key, _, value = line.rpartition(" ")
        if key == want:
            return float(value)
    return None


def clock_events(d):
    return re.findall(r"event clock state=(\S+) cause=(\S+)", d.log())


def test_the_clock_is_judged_by_the_servers_median_offset():
    """Two servers 5 s ahead of this host: the clock is degraded, cause offset, on every face;
    within ntp.max_offset_ms it is up; when no server answers it is down; NTP off: disabled.
    Each change is a clock event."""
    skew = {"s": 5.0}

    def reply(n, req):
        return None if skew["s"] is None else ntp_reply(req, skew=skew["s"])

    with h.TempDir() as tmp, FakeNtpServer(reply) as a, FakeNtpServer(reply) as b:
        cfg = ntp_config(tmp, [a.port, b.port])
        with h.Daemon(tmp, cfg) as d:
            c = wait_clock(d, "degraded", answering=2)
            assert c["cause"] == "offset", c
            assert abs(c["offset_ms"] - 5000) < 50, c
            assert (c["answering"], c["measured_from"]) == (2, "appliance"), c
            # the detail says the measured offset (5000 ms give or take the exchange's own time)
            shown = re.fullmatch(r"offset (\d+(?:\.\d+)?) ms, beyond 1000 ms", c["detail"])
            assert shown and abs(float(shown.group(1)) - 5000) < 50, c
            assert (h.rest_json(d, "/api/v1/ntp") or {})["max_offset_ms"] == 1000
            assert abs(metric(d, "smsa_clock_offset_seconds") - 5.0) < 0.05
            assert metric(d, "smsa_clock_state", state="degraded") == 1
            assert metric(d, "smsa_clock_state", state="up") == 0

            skew["s"] = 0.2
            c = wait_clock(d, "up")
            assert c["cause"] == "none" and abs(c["offset_ms"] - 200) < 50, c

            skew["s"] = None
            c = wait_clock(d, "down")
            assert (c["cause"], c["offset_ms"], c["answering"]) == ("timeout", None, 0), c
            assert metric(d, "smsa_clock_offset_seconds") is None

            off = dict(cfg, ntp={"enabled": False, "servers": []})
            d.reload(off)
            wait_clock(d, "disabled")
            assert clock_events(d) == [("degraded", "offset"), ("up", "none"),
                                       ("down", "timeout"), ("disabled", "none")], d.log()


def test_the_bound_is_the_operators():
    """5 s off is within a bound of 6000 ms."""
    with h.TempDir() as tmp, FakeNtpServer(good(skew=5.0)) as a:
        cfg = ntp_config(tmp, [a.port])
        cfg["ntp"]["max_offset_ms"] = 6000
        with h.Daemon(tmp, cfg) as d:
            c = wait_clock(d, "up")
            assert abs(c["offset_ms"] - 5000) < 50, c


def test_kiss_of_death_rate_backs_off():
    normal = 8  # good replies, then RATE to every request

    def reply(n, req):
        return ntp_reply(req) if n < normal else kod(b"RATE")(n, req)

    with h.TempDir() as tmp, FakeNtpServer(reply) as srv:
        with h.Daemon(tmp, ntp_config(tmp, [srv.port])):
            h.wait_until(lambda: srv.requests >= normal + 4, 30,
                         what="four requests after the first RATE")
            t = srv.times
            base = statistics.median(b - a for a, b in zip(t[1:normal], t[2:normal]))
            # gaps[i] follows the (i+1)-th RATE reply.
            gaps = [b - a for a, b in zip(t[normal:], t[normal + 1:])]
            shown = "base %.2fs, then %s" % (base, " ".join("%.2f" % g for g in gaps))
            # The round after a RATE may already be scheduled; the one after must not be.
            assert gaps[1] >= 1.6 * base, shown
            # Every further RATE doubles it again.
            assert gaps[2] >= 1.6 * gaps[1], shown
            print("RATE: " + shown)


def test_spoofed_short_and_unsynchronised_replies_are_not_trusted():
    def spoofed(n, req):
        return ntp_reply(req, origin=h.ntp_timestamp(time.time() - 1000))

    def short(n, req):
        return ntp_reply(req)[:20]

    def unsynchronised(n, req):
        return ntp_reply(req, leap=3, stratum=16, refid=b"INIT")

    servers = [FakeNtpServer(f).start()
               for f in (spoofed, short, unsynchronised, good(skew=2.5))]
    try:
        with h.TempDir() as tmp:
            with h.Daemon(tmp, ntp_config(tmp, [s.port for s in servers])) as d:
                for index in (1, 2):
                    ev = h.wait_event(d, "ntp", peer=index)
                    assert (ev["state"], ev["cause"]) == ("down", "protocol-error"), ev
                ev = h.wait_event(d, "ntp", peer=3)
                assert ev["state"] == "down", ev
                ev = h.wait_event(d, "ntp", peer=4)
                assert (ev["state"], ev["stratum"]) == ("up", "2"), ev
                # The server's clock runs 2.5 s ahead: the offset says so (loopback delay is
                # well under the 50 ms allowed here).
                assert abs(int(ev["offset_us"]) - 2500000) < 50000, ev
                assert not h.events(d, "ntp", peer=1, state="up")
                assert not h.events(d, "ntp", peer=2, state="up")
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    h.run_tests([
        test_chronyd_gives_real_stratum_offset_and_delay,
        test_kiss_of_death_deny_and_rstr_stop_polling,
        test_kiss_of_death_deny_is_the_address_verdict_at_once,
        test_the_clock_is_judged_by_the_servers_median_offset,
        test_the_bound_is_the_operators,
        test_kiss_of_death_rate_backs_off,
        test_spoofed_short_and_unsynchronised_replies_are_not_trusted,
    ])
