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


if __name__ == "__main__":
    h.run_tests([test_rest_renders_what_the_cli_renders, test_etag_and_bad_queries])
