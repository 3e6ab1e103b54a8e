"""Checks that prove the service one level up, against real servers on loopback: the update
hosts' TLS certificates from `openssl s_server` (5 and 10 days left, and one that has ended),
SMTP servers that offer STARTTLS (Python's ssl module), do not, fail the handshake or answer
554, LiveUpdate over HTTP, and a CONNECT proxy that allows and refuses. What a user reads:
REST's tls objects and details, /metrics, and the smsaCertificateExpiry trap."""
import calendar
import json
import os
import re
import subprocess
import sys
import time

import harness as h
import restlib

sys.path.insert(0, os.path.join(h.ROOT, "tests", "snmp"))
import snmpenv  # noqa: E402

CERT_EXPIRY = snmpenv.ROOT_OID + ".0.10"          # smsaCertificateExpiry
PEER_TLS = snmpenv.OBJECTS + ".4.1"              # smsaPeerEntry
TLS_STATE, TLS_DAYS_LEFT, TLS_SUBJECT = PEER_TLS + ".40", PEER_TLS + ".42", PEER_TLS + ".44"
PATIENT = {"interval_ms": 1500, "timeout_ms": 1000, "fail_threshold": 2}


def flow(d, fid):
    doc = d.client().json("/api/v1/flows/%d" % fid)
    return {p["label"] if fid in (6, 19) else p["port"]: p for p in doc["peers"]}


def wait_peers(d, fid, pred, what, timeout=20.0):
    """Polls /api/v1/flows/<fid> until pred(peers by label or port) holds; returns them."""
    def read():
        st, hd, body = d.client().get("/api/v1/flows/%d" % fid)
        restlib.check_response("/api/v1/flows/{id}", "GET", st, hd, body)
        peers = flow(d, fid)
        return peers if pred(peers) else None
    return h._wait_rest(d, what, read, timeout)


def epoch(stamp):
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))


def test_the_update_hosts_certificates_expiry_and_trap(tmp, snmptrapd):
    trapd = snmptrapd()
    servers = []
    try:
        ports = {}
        for purpose, days in (("software", 5), ("registration", 10), ("rules", -1)):
            cert = h.make_cert(tmp, "%s.test" % purpose, days)
            ports[purpose] = h.free_port()
            servers.append(h.CertTls(tmp, "127.0.0.1", ports[purpose], *cert).start())
        d = restlib.RestDaemon(
            tmp, probe=PATIENT, tls={"warn_days": 7},
            updates=[{"purpose": p, "host": "127.0.0.1", "port": ports[p], "enabled": True}
                     for p in ports],
            snmp={"mode": "master", "master_listen": "udp:127.0.0.1:%d" % h.free_port("udp"),
                  "trap_sinks": ["127.0.0.1:%d" % trapd.port], "notify_rate_limit": 0})
        with d:
            peers = wait_peers(d, 6, lambda ps: all("tls" in p for p in ps.values()),
                               "a certificate from every update host")
            # a certificate never makes a check down: the one that has ended is up too
            assert all(p["state"] == "up" and p["kind"] == "tls" for p in peers.values()), peers
            five, ten, old = peers["software"], peers["registration"], peers["rules"]
            t = five["tls"]
            assert t["subject"] == "software.test" and t["sans"] == ["127.0.0.1"], t
            assert 4 <= t["days_left"] <= 5, t
            assert t["issuer"] == "CN=software.test" and t["version"].startswith("TLS"), t
            assert t["signature_algorithm"] == "RSA-SHA256" and t["sha1"] is False, t
            # self-signed: not in the trust store, and GnuTLS says why
            assert t["verified"] is False and "issuer is unknown" in t["verify_error"], t
            assert five["addresses"][0]["tls"]["not_after"] == t["not_after"], five
            # tls.warn_days 7: five days is soon, ten is not; the ended one is expired
            assert (t["expiry"], ten["tls"]["expiry"], old["tls"]["expiry"]) == \
                ("soon", "none", "expired"), peers
            assert 9 <= ten["tls"]["days_left"] <= 10, ten
            assert old["tls"]["days_left"] < 0, old

            # the metric, blackbox_exporter's shape, one series per peer
            metrics = d.client().get("/metrics")[2].decode()
            lines = [l for l in metrics.splitlines()
                     if l.startswith("smsa_tls_certificate_not_after_seconds{")]
            got = {l.split('port="')[1].split('"')[0]: int(l.split()[-1]) for l in lines}
            for p in (five, ten, old):
                assert got[str(p["port"])] == epoch(p["tls"]["not_after"]), (got, p)
            assert 'smsa_tls_certificate_verified{flow="6"' in metrics, metrics[-2000:]
            r = subprocess.run(["promtool", "check", "metrics"], input=metrics.encode(),
                               capture_output=True)
            assert r.returncode == 0, r.stdout + r.stderr

            # the page says it beside the check
            page = d.client().get("/")[2].decode()
            assert "certificate: %d days left, not verified" % t["days_left"] in page, page[-3000:]
            assert "certificate expired, not verified" in page, page[-3000:]

            # one notification per threshold crossed: soon for five days, expired for the
            # old one, none for ten days; rounds go on and nothing more comes
            def expiry_traps():
                return [t for t in trapd.traps() if t.get(snmpenv.TRAP_OID) == CERT_EXPIRY]
            h.wait_until(lambda: len(expiry_traps()) >= 2, 15, what="smsaCertificateExpiry")
            first = d.client().json("/api/v1/flows/6")["peers"][0]["checks"]
            h.wait_until(lambda: d.client().json("/api/v1/flows/6")["peers"][0]["checks"]
                         >= first + 2, 15, what="two more rounds")
            traps = expiry_traps()
            assert len(traps) == 2, traps
            by_state = {}
            for tr in traps:
                state = next(v for k, v in tr.items() if k.startswith(TLS_STATE + "."))
                subject = next(v for k, v in tr.items() if k.startswith(TLS_SUBJECT + "."))
                days = next(v for k, v in tr.items() if k.startswith(TLS_DAYS_LEFT + "."))
                by_state[state] = (subject, int(days))
            assert by_state["3"][0] == "software.test" and 4 <= by_state["3"][1] <= 5, by_state
            assert by_state["4"][0] == "rules.test" and by_state["4"][1] < 0, by_state
    finally:
        for s in servers:
            s.stop()


def test_preflight_shows_days_left(tmp):
    cert = h.make_cert(tmp, "software.test", 5)
    port = h.free_port()
    with h.CertTls(tmp, "127.0.0.1", port, *cert):
        cfg = h.base_config(tmp, probe=PATIENT, updates=[
            {"purpose": "software", "host": "127.0.0.1", "port": port, "enabled": True}])
        path = os.path.join(tmp, "preflight.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        r = subprocess.run([h.agentd_path(), "--preflight", "-c", path, "--flow", "6"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.returncode == 0, (r.stdout, r.stderr)
        row = [l for l in r.stdout.splitlines() if "127.0.0.1" in l and "software" in l]
        assert row and re.search(r"certificate: [45] days left, not verified", row[0]), r.stdout


def test_smtp_follows_starttls_and_keeps_a_554_down(tmp):
    cert = h.make_cert(tmp, "mx.test", 10)
    with h.StartTlsSmtp(cert=cert) as tls_mx, h.StartTlsSmtp() as plain_mx, \
            h.StartTlsSmtp(broken=True) as broken_mx, \
            h.StartTlsSmtp(greeting=b"554 5.7.1 no service here\r\n") as refusing_mx:
        mxs = [tls_mx, plain_mx, broken_mx, refusing_mx]
        d = restlib.RestDaemon(
            tmp, probe=PATIENT, appliance={"name": "sc-test", "role": "scanner"},
            peers={"internal_mail_servers": ["127.0.0.1:%d" % m.port for m in mxs]})
        with d:
            peers = wait_peers(
                d, 3, lambda ps: ps[tls_mx.port]["state"] == "up" and
                ps[broken_mx.port]["state"] == "down" and ps[refusing_mx.port]["state"] == "down",
                "the mail servers' verdicts")
            # STARTTLS offered: the check asked for it, and the certificate is the one the
            # handshake after it showed
            assert "STARTTLS" in tls_mx.commands, tls_mx.commands
            assert peers[tls_mx.port]["tls"]["subject"] == "mx.test", peers[tls_mx.port]
            assert 9 <= peers[tls_mx.port]["tls"]["days_left"] <= 10, peers[tls_mx.port]
            # not offered: still up, mail flows in the clear, no certificate
            p = h.wait_until(lambda: flow(d, 3)[plain_mx.port]["state"] == "up" and
                             flow(d, 3)[plain_mx.port], 15, what="plain server up")
            assert "tls" not in p and "STARTTLS" not in plain_mx.commands, (p, plain_mx.commands)
            # offered, then no TLS: GnuTLS's reason
            b = peers[broken_mx.port]
            assert b["cause"] == "protocol-error" and b["detail"].startswith("TLS: "), b
            r = peers[refusing_mx.port]
            assert (r["cause"], r["detail"]) == ("protocol-error", "greeting 554"), r


def test_liveupdate_by_http_and_both_update_flows_through_a_proxy(tmp):
    cert = h.make_cert(tmp, "upd.test", 30)
    tls_port = h.free_port()
    upd = h.CertTls(tmp, "127.0.0.1", tls_port, *cert).start()
    try:
        with h.HttpServer(status=b"HTTP/1.1 404 Not Found") as web, \
                h.ConnectProxy(host="127.0.0.2") as proxy:
            updates = [{"purpose": "rules", "host": "127.0.0.1", "port": tls_port,
                        "enabled": True},
                       {"purpose": "antivirus", "host": "127.0.0.1", "port": web.port,
                        "enabled": True}]
            # direct: any status line proves LiveUpdate, and it is the detail
            with restlib.RestDaemon(tmp, probe=PATIENT, updates=updates) as d:
                p = wait_peers(d, 19, lambda ps: ps["antivirus"]["state"] == "up",
                               "LiveUpdate up")["antivirus"]
                assert (p["kind"], p["detail"], p["via_proxy"]) == \
                    ("http", "HTTP/1.1 404 Not Found", None), p
                assert web.requests and web.requests[0].startswith("HEAD / HTTP/1.0"), web.requests

            # through the proxy: CONNECT host:port, then TLS or HTTP in the tunnel; the
            # address checked is the proxy's
            via = "127.0.0.2:%d" % proxy.port
            second = os.path.join(tmp, "via-proxy")
            os.mkdir(second)
            with restlib.RestDaemon(second, updates=updates,
                                    probe=dict(PATIENT, http_proxy=via)) as d:
                tls6 = wait_peers(d, 6, lambda ps: ps["rules"]["state"] == "up",
                                  "rules up via proxy")["rules"]
                http19 = wait_peers(d, 19, lambda ps: ps["antivirus"]["state"] == "up",
                                    "LiveUpdate up via proxy")["antivirus"]
                for p in (tls6, http19):
                    assert p["via_proxy"] == via, p
                    assert p["detail"].endswith("via proxy " + via), p
                    assert [a["address"] for a in p["addresses"]] == ["127.0.0.2"], p
                assert http19["detail"] == "HTTP/1.1 404 Not Found via proxy " + via, http19
                assert tls6["tls"]["subject"] == "upd.test", tls6
                assert "127.0.0.1:%d" % tls_port in proxy.targets, proxy.targets
                assert "127.0.0.1:%d" % web.port in proxy.targets, proxy.targets
    finally:
        upd.stop()


def test_a_proxy_that_refuses_is_a_protocol_error(tmp):
    with h.ConnectProxy(refuse=b"403 Forbidden") as proxy:
        via = "127.0.0.1:%d" % proxy.port
        updates = [{"purpose": "software", "host": "swupdate.test", "port": 443,
                    "enabled": True},
                   {"purpose": "antivirus", "host": "liveupdate.test", "port": 80,
                    "enabled": True}]
        with restlib.RestDaemon(tmp, updates=updates, probe=dict(PATIENT, http_proxy=via)) as d:
            for fid, label in ((6, "software"), (19, "antivirus")):
                p = wait_peers(d, fid, lambda ps: ps[label]["state"] == "down",
                               "flow %d refused by the proxy" % fid)[label]
                assert p["cause"] == "protocol-error", p
                assert p["detail"] == "403 Forbidden via proxy " + via, p
            # the names are the proxy's to resolve: the proxy was asked for them
            assert "swupdate.test:443" in proxy.targets, proxy.targets
            assert "liveupdate.test:80" in proxy.targets, proxy.targets
