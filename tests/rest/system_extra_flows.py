"""extra_flows: flows an operator adds to the vendor's table are checked and shown like its
rows on every face (REST, /metrics, the page, SNMP, the firewall export, --preflight), and a
reload adds and removes them live. Real peers on loopback: a TCP listener, a dnsmasq, and a
listening socket for an inbound flow."""
import json
import os
import socket
import subprocess
import sys

import pytest

import harness as h
import restlib

sys.path.insert(0, os.path.join(h.ROOT, "tests", "snmp"))
import snmpenv  # noqa: E402

# patient: the machine is shared, a round may be slow
PROBE = {"interval_ms": 300, "timeout_ms": 250, "fail_threshold": 1, "recover_threshold": 1,
         "dns_query_name": "probe.test"}
WAIT = 30


def flow(id_, port, proto, direction, purpose, check, peers=None):
    f = {"id": id_, "port": port, "protocol": proto, "direction": direction,
         "purpose": purpose, "check": check}
    if peers is not None:
        f["peers"] = peers
    return f


def test_extra_flows_on_every_face_and_reloaded_live(tmp, dnsmasq):
    dns = dnsmasq({"probe.test": "127.0.0.9"})
    tcp_port, listen_port = h.free_port(), h.free_port()
    snmp_port = h.free_port("udp")
    tcp_flow = flow(401, 7000, "tcp", "outbound", "reputation service", "tcp",
                    ["127.0.0.1:%d" % tcp_port])
    dns_flow = flow(402, 53, "udp", "outbound", "later resolver", "dns",
                    ["127.0.0.1:%d" % dns.port])
    in_flow = flow(403, listen_port, "tcp", "inbound", "ThreatCon from the Control Center",
                   "listen")
    udp_port = h.free_port("udp")
    udp_flow = flow(405, udp_port, "udp", "inbound", "SNMP polling", "listen")
    d = restlib.RestDaemon(tmp, probe=PROBE, extra_flows=[tcp_flow, dns_flow, in_flow, udp_flow],
                           snmp={"mode": "master",
                                 "master_listen": "udp:127.0.0.1:%d" % snmp_port})
    server = h.FakeScanner("127.0.0.1", tcp_port)
    listener = udp = None
    try:
        server.start()
        with d:
            c = d.client()
            got = h.wait_flow(d, 401, "up", WAIT)
            assert got["port"] == 7000 and got["purpose"] == "reputation service", got
            assert got["peers"][0]["port"] == tcp_port and got["peers"][0]["kind"] == "tcp"
            st, hd, body = c.get("/api/v1/flows/401")
            restlib.check_response("/api/v1/flows/{id}", "GET", st, hd, body)
            h.wait_flow(d, 402, "up", WAIT)
            # inbound, nothing listening yet: the listener's check says so
            peer = h.wait_peer(d, 403, "down", WAIT)
            assert peer["cause"] == "not-listening" and peer["kind"] == "listen", peer
            listener = socket.socket()
            listener.bind(("127.0.0.1", listen_port))
            listener.listen(4)
            h.wait_until(lambda: "127.0.0.1" in (c.json("/api/v1/flows/403")["peers"][0]
                                                 .get("listening_on") or []),
                         WAIT, what="flow 403 seen listening on 127.0.0.1")

            # over UDP, a bound socket is the listener (here on loopback only)
            peer = h.wait_peer(d, 405, "down", WAIT)
            assert peer["cause"] == "not-listening", peer
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", udp_port))
            h.wait_until(lambda: c.json("/api/v1/flows/405")["peers"][0]["cause"]
                         == "loopback-only", WAIT, what="flow 405 bound to loopback only")

            # the list holds them after the vendor's 20, in id order; an id not configured is 404
            ids = [f["id"] for f in c.json("/api/v1/flows")["items"]]
            assert ids == list(range(1, 21)) + [401, 402, 403, 405], ids
            for missing in (21, 150, 999):
                st, hd, body = c.get("/api/v1/flows/%d" % missing)
                restlib.check_problem(st, hd, body, 404)
            assert c.get("/api/v1/flows/1000")[0] == 404

            metrics = c.get("/metrics")[2].decode()
            assert any(l.startswith('smsa_flow_state{flow="401",port="7000",protocol="tcp",'
                                    'direction="outbound"') and 'state="up"' in l and
                       l.endswith(" 1") for l in metrics.splitlines()), metrics[:3000]
            assert 'purpose="later resolver"' in metrics
            page = c.get("/")[2].decode()
            assert "ThreatCon from the Control Center" in page and "reputation service" in page

            # SNMP: the flow row and its peer row carry index 401
            target = "udp:127.0.0.1:%d" % snmp_port
            ports = dict((o, v) for o, _, v in snmpenv.walk(target, snmpenv.OBJECTS + ".3.1.2"))
            assert ports.get(snmpenv.OBJECTS + ".3.1.2.401") == "7000", ports
            assert ports.get(snmpenv.OBJECTS + ".3.1.2.20") == "21", ports
            peers = [o for o, _, _ in snmpenv.walk(target, snmpenv.OBJECTS + ".4.1.2")]
            assert snmpenv.OBJECTS + ".4.1.2.401.1" in peers, peers

            # the firewall export opens them: the inbound one from anywhere (no management
            # hosts), the outbound ones to their peers
            nft = c.get("/api/v1/firewall?format=nft")[2].decode()
            assert "tcp dport %d accept" % listen_port in nft, nft
            assert "ip daddr 127.0.0.1 tcp dport %d accept" % tcp_port in nft, nft
            assert "# flow 403, ThreatCon from the Control Center" in nft, nft
            assert 'udp dport %d accept comment "flow 405 SNMP polling"' % udp_port in nft, nft

            # the peer goes away: down, then up again
            server.stop()
            h.wait_flow(d, 401, "down", WAIT)
            server = h.FakeScanner("127.0.0.1", tcp_port).start()
            h.wait_flow(d, 401, "up", WAIT)

            # a reload removes 402 and adds 404, without a restart; 401 keeps what it learnt
            checks = c.json("/api/v1/flows/401")["peers"][0]["checks"]
            cfg = dict(d.config)
            cfg["extra_flows"] = [tcp_flow, in_flow, udp_flow,
                                  flow(404, 7001, "tcp", "outbound", "added live", "tcp",
                                       ["127.0.0.1:%d" % tcp_port])]
            d.reload(cfg)
            assert c.get("/api/v1/flows/402")[0] == 404
            h.wait_flow(d, 404, "up", WAIT)
            assert c.json("/api/v1/flows/401")["peers"][0]["checks"] >= checks
            ports = dict((o, v) for o, _, v in snmpenv.walk(target, snmpenv.OBJECTS + ".3.1.2"))
            assert snmpenv.OBJECTS + ".3.1.2.402" not in ports, ports
            assert ports.get(snmpenv.OBJECTS + ".3.1.2.404") == "7001", ports
    finally:
        server.stop()
        for s in (listener, udp):
            if s:
                s.close()


def test_a_bad_entry_on_reload_keeps_the_running_flows(tmp):
    d = restlib.RestDaemon(tmp, probe=PROBE, extra_flows=[
        flow(401, 7000, "tcp", "outbound", "kept", "tcp", ["127.0.0.1:9"])])
    with d:
        c = d.client()
        h.wait_until(lambda: c.json("/api/v1/flows/401"), WAIT, what="flow 401")
        cfg = dict(d.config)
        cfg["extra_flows"] = [flow(42, 7000, "tcp", "outbound", "bad", "tcp", ["127.0.0.1:9"])]
        mark = len(d.log())
        d.write_config(cfg)
        d.signal(__import__("signal").SIGHUP)
        d.wait_log(r"extra_flows\[0\]\.id.*42 is out of range \(101\.\.999\)", WAIT)
        assert "extra_flows[0].id" in d.log()[mark:]
        assert c.json("/api/v1/flows/401")["purpose"] == "kept"


def test_preflight_checks_an_extra_flow(tmp):
    port = h.free_port()
    cfg = h.base_config(tmp, probe=PROBE, extra_flows=[
        flow(401, 7000, "tcp", "outbound", "reputation service", "tcp",
             ["127.0.0.1:%d" % port])])
    cfg["http"] = {"listen": None}
    path = os.path.join(tmp, "preflight.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    with h.FakeScanner("127.0.0.1", port):
        r = subprocess.run([h.agentd_path(), "--preflight", "--json", "-c", path],
                           capture_output=True, text=True, timeout=60)
    doc = json.loads(r.stdout)
    got = [f for f in doc["items"] if f["id"] == 401]
    assert got and got[0]["state"] == "up", r.stdout[-2000:]
    assert got[0]["peers"][0]["port"] == port
    with h.FakeScanner("127.0.0.1", port):
        r = subprocess.run([h.agentd_path(), "--preflight", "-c", path], capture_output=True,
                           text=True, timeout=60)
    rows = [l.split() for l in r.stdout.splitlines()]
    assert ["401", "%d/tcp" % port, "outbound", "127.0.0.1", "127.0.0.1", "up"] in \
        [row[1:7] for row in rows], r.stdout


if __name__ == "__main__":
    h.run_tests([])
