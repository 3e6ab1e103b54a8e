"""Inbound listen check: a socket bound only to a loopback address does not satisfy an
inbound flow (nothing outside the host can reach it), a wildcard listener does; REST shows
the addresses the port listens on (listening_on), the cause loopback-only and its detail.

On a Scanner, flow 11 (Control Center -> Scanner, 41002) is inbound."""
import json

import harness as h
import restlib

SCANNER_PORT = 41002


def flow11(c):
    return c.json("/api/v1/flows/11")["peers"][0]


def wait_flow11(c, pred, what):
    return h.wait_until(lambda: (lambda p: p if pred(p) else None)(flow11(c)), 10, what=what)


def test_loopback_only_listener_is_not_up_and_wildcard_is(scanner_lock, rest_daemon):
    h.wait_until(lambda: not h.tcp_listeners(SCANNER_PORT), 10,
                 what="no other listener on %d" % SCANNER_PORT)
    d = rest_daemon(appliance={"name": "scan-test", "role": "scanner"})
    c = d.client()
    p = wait_flow11(c, lambda p: p["state"] != "unknown", "flow 11's first verdict")
    assert (p["state"], p["cause"]) == ("down", "not-listening"), p
    assert p["listening_on"] == [] and p["detail"] == "nothing listens on port 41002", p

    with h.FakeScanner("127.0.0.1", SCANNER_PORT):
        p = wait_flow11(c, lambda p: p["cause"] == "loopback-only" and p["listening_on"],
                        "flow 11 loopback-only with listening_on filled")
        assert (p["state"], p["cause"]) == ("down", "loopback-only"), p
        assert p["listening_on"] == ["127.0.0.1"], p
        assert p["detail"] == "bound to 127.0.0.1 only", p
        assert c.json("/api/v1/flows/11")["state"] == "down"

    with h.FakeScanner("0.0.0.0", SCANNER_PORT) as wildcard:
        h.wait_peer(d, 11, "up")
        p = flow11(c)
        assert (p["state"], p["cause"], p["detail"]) == ("up", "none", ""), p
        assert p["listening_on"] == ["0.0.0.0"], p
        assert wildcard.accepted == 0, "the listen check connected"
    st, hdrs, body = c.get("/api/v1/flows/11")
    restlib.check_response("/api/v1/flows/{id}", "GET", st, hdrs, body)
    json.loads(body)


if __name__ == "__main__":
    h.run_tests([test_loopback_only_listener_is_not_up_and_wildcard_is])
