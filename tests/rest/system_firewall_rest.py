"""GET /api/v1/firewall: the same rules as `smsa-agentd --firewall` on the same configuration
(resolution times and the document's date masked: the daemon's come from its probe rounds,
the CLI's from its own lookups), the documented content types and schema, ETag and 304, and
400 on a bad format or sets. Everything is on loopback; names come from a dnsmasq."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import harness as h  # noqa: E402

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def masked(text):
    return STAMP.sub("<time>", text)


def cli(config_path, fmt, *extra):
    p = subprocess.run([h.agentd_path(), "--firewall", fmt, "-c", config_path] + list(extra),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (p.returncode, p.stderr)
    return p.stdout


def names_resolved(client, hosts):
    doc = client.json("/api/v1/flows")
    have = {p["host"] for f in doc["items"] for p in f["peers"] if p["addresses"]}
    return hosts <= have


def test_rest_renders_what_the_cli_renders():
    with h.TempDir() as tmp:
        dns = h.Dnsmasq(tmp, {"scan1.test": ["127.0.0.2", "::1"], "scan2.test": "127.0.0.3",
                              "upd.test": "127.0.0.4"}).start()
        try:
            peers = {"scanners": [{"name": "scanner1", "host": "scan1.test"},
                                  {"name": "scanner2", "host": "scan2.test"}],
                     "dns_servers": ["127.0.0.1:%d" % dns.port],
                     "management_hosts": ["127.0.0.9"]}
            updates = [{"purpose": "software", "host": "upd.test", "port": 443,
                        "enabled": True}]
            with restlib.RestDaemon(tmp, peers=peers, updates=updates,
                                    probe={"resolver": "127.0.0.1:%d" % dns.port}) as d:
                c = d.client()
                h.wait_until(lambda: names_resolved(c, {"scan1.test", "scan2.test", "upd.test"}),
                             10, what="the daemon resolving every name")
                for fmt, query, extra in (("nft", "format=nft", []),
                                          ("iptables", "format=iptables", []),
                                          ("ip6tables", "format=ip6tables", []),
                                          ("json", "format=json", []),
                                          ("nft", "format=nft&sets=1", ["--firewall-sets"]),
                                          ("iptables", "format=iptables&sets=only",
                                           ["--firewall-sets-only"])):
                    st, hd, body = c.get("/api/v1/firewall?" + query)
                    restlib.check_response("/api/v1/firewall", "GET", st, hd, body)
                    want = "application/json" if fmt == "json" else "text/plain; charset=utf-8"
                    assert hd["content-type"] == want, hd
                    rest = body.decode()
                    mine = cli(d.config_path, fmt, *extra)
                    assert masked(rest) == masked(mine), \
                        "%s differs:\n--- REST\n%s\n--- CLI\n%s" % (query, rest, mine)
                st, hd, body = c.get("/api/v1/firewall?format=nft")
                assert "ip daddr 127.0.0.2 tcp dport 41002 accept" in body.decode(), body
                assert "ip6 daddr ::1 tcp dport 41002 accept" in body.decode(), body
                assert "ip daddr 127.0.0.3 tcp dport 41002 accept" in body.decode(), body
                # the default is JSON
                st, hd, body = c.get("/api/v1/firewall")
                assert st == 200 and hd["content-type"] == "application/json", (st, hd)
                assert json.loads(body)["role"] == "control-center"
        finally:
            dns.stop()


def test_etag_and_bad_queries():
    with h.TempDir() as tmp:
        with restlib.RestDaemon(tmp, peers={"scanners": [{"name": "s1", "host": "127.0.0.2"}]}) \
                as d:
            c = d.client()
            # a probe result in between moves the model generation, and with it the tag:
            # a few tries see an unchanged one
            seen = []
            for _ in range(10):
                st, hd, body = c.get("/api/v1/firewall?format=iptables")
                assert st == 200 and hd.get("etag"), (st, hd)
                st2, hd2, body2 = c.get("/api/v1/firewall?format=iptables",
                                        headers={"If-None-Match": hd["etag"]})
                seen.append(st2)
                if st2 == 304:
                    assert hd2["etag"] == hd["etag"] and body2 == b""
                    break
            assert 304 in seen, seen
            st, hd, body = c.request("HEAD", "/api/v1/firewall?format=nft")
            assert st == 200 and body == b"", (st, body)
            for q, word in (("format=pf", "format"), ("format=nft&sets=yes", "sets")):
                st, hd, body = c.get("/api/v1/firewall?" + q)
                assert st == 400, (q, st, body)
                assert hd["content-type"] == "application/problem+json", hd
                doc = json.loads(body)
                restlib.validate(doc, {"$ref": "#/components/schemas/Problem"}, q)
                assert doc["type"].endswith(":bad-query") and word in doc["detail"], doc
                restlib.check_response("/api/v1/firewall", "GET", st, hd, body)


def test_cached_rendering_follows_every_change():
    """The text is rendered once per generation: repeated GETs give the same bytes, and a
    change of the configuration (a scanner added, then its port) shows at once."""
    with h.TempDir() as tmp:
        with restlib.RestDaemon(tmp, peers={"scanners": [{"name": "s1", "host": "127.0.0.2"}],
                                            "management_hosts": ["127.0.0.9"]}) as d:
            c = d.client()
            bodies = set()
            for _ in range(3):
                st, hd, body = c.get("/api/v1/firewall?format=nft")
                assert st == 200, (st, body)
                bodies.add(body)
            assert len(bodies) == 1
            assert b"127.0.0.5" not in body
            st, _, b = c.request("POST", "/api/v1/scanners",
                                 body={"name": "s2", "host": "127.0.0.5:41999"})
            assert st == 201, (st, b)
            st, hd, body = c.get("/api/v1/firewall?format=nft")
            text = body.decode()
            # the port moves the link (flow 11) only; 16-18 keep theirs
            assert "ip daddr 127.0.0.5 tcp dport 41999 accept comment \"flow 11 s2" in text, text
            assert "ip daddr 127.0.0.5 tcp dport 41015 accept comment \"flow 16 s2" in text, text
            st, hd, body = c.get("/api/v1/firewall?format=json")
            restlib.check_response("/api/v1/firewall", "GET", st, hd, body)
            hosts = {r["host"] for r in json.loads(body)["rules"]}
            assert "127.0.0.5" in hosts, hosts


def test_sets_only_is_a_view_of_set_statements():
    with h.TempDir() as tmp:
        updates = [{"purpose": "software", "host": "127.0.0.4", "port": 443, "enabled": True},
                   {"purpose": "rules", "host": "127.0.0.6", "port": 8443, "enabled": True}]
        with restlib.RestDaemon(tmp, updates=updates) as d:
            c = d.client()
            st, hd, body = c.get("/api/v1/firewall?format=nft&sets=only")
            assert st == 200, (st, body)
            lines = [ln for ln in body.decode().splitlines() if not ln.startswith("#")]
            assert lines, body
            for ln in lines:
                assert re.match(r"^(flush set inet smsa_agent smsa_f\d+_\d+_v[46]|add element "
                                r"inet smsa_agent smsa_f\d+_\d+_v[46] \{ [0-9a-f.:, ]+ \})$",
                                ln), ln
            assert "add element inet smsa_agent smsa_f6_443_v4 { 127.0.0.4 }" in lines, lines
            # the mirror on 8443 is pinned in the ruleset, not put in a set
            st, hd, body = c.get("/api/v1/firewall?format=nft&sets=1")
            assert "ip daddr 127.0.0.6 tcp dport 8443 accept" in body.decode(), body


def test_rest_beside_renders_the_forward_view():
    """Beside, GET /api/v1/firewall is the network firewall's forward view, as the CLI renders
    it: the appliance at appliance.address and its scanners by their addresses, this host
    admitted for its checks, each rule's hook and appliance in JSON (checked against the
    OpenAPI document)."""
    with h.TempDir() as tmp:
        dns = h.Dnsmasq(tmp, {"cc.test": "127.0.0.5", "scan1.test": "127.0.0.2",
                              "scan2.test": "127.0.0.3"}).start()
        try:
            peers = {"scanners": [{"name": "scanner1", "host": "scan1.test"},
                                  {"name": "scanner2", "host": "scan2.test"}],
                     "management_hosts": ["127.0.0.9"]}
            appliance = {"name": "cc-beside", "role": "control-center", "placement": "beside",
                         "address": "cc.test"}
            with restlib.RestDaemon(tmp, peers=peers, appliance=appliance,
                                    probe={"resolver": "127.0.0.1:%d" % dns.port}) as d:
                c = d.client()
                h.wait_until(lambda: names_resolved(c, {"cc.test", "scan1.test", "scan2.test"}),
                             10, what="the daemon resolving every name")
                for fmt in ("nft", "iptables", "json"):
                    st, hd, body = c.get("/api/v1/firewall?format=" + fmt)
                    restlib.check_response("/api/v1/firewall", "GET", st, hd, body)
                    rest = body.decode()
                    mine = cli(d.config_path, fmt)
                    assert masked(rest) == masked(mine), \
                        "%s differs:\n--- REST\n%s\n--- CLI\n%s" % (fmt, rest, mine)
                st, hd, body = c.get("/api/v1/firewall?format=nft")
                text = body.decode()
                assert "type filter hook forward priority filter; policy accept;" in text, text
                assert "ip saddr 127.0.0.9 ip daddr 127.0.0.5 tcp dport 41443 accept" in text
                assert "ip saddr 127.0.0.5 ip daddr 127.0.0.3 tcp dport 41016 accept" in text
                assert "ip daddr { 127.0.0.2, 127.0.0.3, 127.0.0.5 } drop" in text, text
                st, hd, body = c.get("/api/v1/firewall?format=iptables")
                assert "-A SMSA-AGENT-FWD -s 127.0.0.2/32 -d 127.0.0.5/32 -p tcp -m tcp " \
                    "--dport 41025 " in body.decode(), body
                doc = json.loads(c.get("/api/v1/firewall")[2])
                assert doc["placement"] == "beside", doc
                assert {r["hook"] for r in doc["rules"]} == {"forward"}, doc["rules"]
                assert {r["appliance"] for r in doc["rules"]} == \
                    {"cc-beside", "scanner1", "scanner2"}, doc["rules"]
        finally:
            dns.stop()


if __name__ == "__main__":
    h.run_tests([test_rest_renders_what_the_cli_renders, test_etag_and_bad_queries,
                 test_cached_rendering_follows_every_change,
                 test_sets_only_is_a_view_of_set_statements,
                 test_rest_beside_renders_the_forward_view])
