"""Ports of multi-flow peers: a port written in a peer entry is the port of that list's own
first flow only (the link flow 11 on a Control Center, 12 on a Scanner); flows 13 and 16-18
are probed on their catalogue ports, and REST shows the port actually probed.

A scanner given as 127.0.0.x:41002 with only 41002 listening has an up link and flows 16-18
down (refused) on 41015-41017, not up on 41002."""
import harness as h
import restlib

SCANNER_PORT = 41002


def flow(c, fid):
    return c.json("/api/v1/flows/%d" % fid)


def wait_peer(c, fid, pred, what, timeout=15):
    def ok():
        peers = flow(c, fid)["peers"]
        return peers if peers and pred(peers[0]) else None
    return h.wait_until(ok, timeout, what=what)[0]


def test_scanner_port_is_the_link_port_only(scanner_lock, scanners, rest_daemon):
    addr = restlib.unique_loopback()
    scanners(addr, SCANNER_PORT)
    d = rest_daemon(peers={"scanners": [{"name": "s1",
                                         "host": "%s:%d" % (addr, SCANNER_PORT)}]})
    c = d.client()
    h.wait_link(d, "s1", "up")
    for fid, port in ((16, 41015), (17, 41016), (18, 41017)):
        p = wait_peer(c, fid, lambda p: p["state"] == "down", "flow %d down" % fid)
        assert p["port"] == port, p
        assert p["cause"] == "refused", p
        assert p["detail"] == "connection refused", p
    p = flow(c, 11)["peers"][0]
    assert (p["port"], p["state"]) == (SCANNER_PORT, "up"), p
    links = c.json("/api/v1/links")
    assert [(l["name"], l["port"], l["state"]) for l in links["items"]] == \
        [("s1", SCANNER_PORT, "up")], links


def test_control_center_port_on_a_scanner_is_flow_12_only(scanner_lock, scanners, rest_daemon):
    addr = restlib.unique_loopback()
    scanners(addr, SCANNER_PORT)
    d = rest_daemon(appliance={"name": "scan-test", "role": "scanner"},
                    peers={"control_center": "%s:%d" % (addr, SCANNER_PORT), "scanners": []})
    c = d.client()
    h.wait_link(d, "control-center", "up")
    p = wait_peer(c, 13, lambda p: p["state"] == "down", "flow 13 down")
    assert (p["port"], p["cause"]) == (41025, "refused"), p
    p = flow(c, 12)["peers"][0]
    assert (p["port"], p["state"]) == (SCANNER_PORT, "up"), p


def test_an_overridden_port_moves_the_link_not_the_other_flows(scanners, rest_daemon):
    """scanner:<free port>: the link is probed there; 16-18 stay on their own ports."""
    addr = restlib.unique_loopback()
    port = h.free_port(host=addr)
    scanners(addr, port)
    d = rest_daemon(peers={"scanners": [{"name": "s1", "host": "%s:%d" % (addr, port)}]})
    c = d.client()
    h.wait_link(d, "s1", "up")
    assert [p["port"] for p in flow(c, 11)["peers"]] == [port]
    assert [p["port"] for p in flow(c, 16)["peers"]] == [41015]
    st, _, text = c.request("GET", "/metrics")
    assert st == 200, st
    lines = [l for l in text.decode().splitlines() if l.startswith("smsa_peer_up{")]
    ports = {l.split('flow="')[1].split('"')[0]: l.split('port="')[1].split('"')[0]
             for l in lines if 'port="' in l and 'flow="' in l}
    assert ports.get("11") == str(port) and ports.get("16") == "41015", ports


if __name__ == "__main__":
    h.run_tests([
        test_scanner_port_is_the_link_port_only,
        test_control_center_port_on_a_scanner_is_flow_12_only,
        test_an_overridden_port_moves_the_link_not_the_other_flows,
    ])
