"""REST reads: every resource against api/openapi.yaml, ETags, auth, the allow list and the
start-up refusals."""
import json
import re
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import harness  # noqa: E402

GETS = [
    ("/api/v1/status", "/api/v1/status"),
    ("/api/v1/flows", "/api/v1/flows"),
    ("/api/v1/flows/11", "/api/v1/flows/{id}"),
    ("/api/v1/flows/8", "/api/v1/flows/{id}"),
    ("/api/v1/links", "/api/v1/links"),
    ("/api/v1/ntp", "/api/v1/ntp"),
    ("/api/v1/updates", "/api/v1/updates"),
    ("/api/v1/scanners", "/api/v1/scanners"),
    ("/api/v1/scanners/s1", "/api/v1/scanners/{name}"),
    ("/api/v1/config", "/api/v1/config"),
]


def config_sections(scanner_host):
    return dict(
        peers={"scanners": [{"name": "s1", "host": scanner_host},
                            {"name": "s2", "host": "127.0.0.1:9"}]},
        ntp={"enabled": True, "servers": ["127.0.0.1:9"]},
        updates=[{"purpose": "rules", "host": "127.0.0.1", "port": 9, "enabled": True},
                 {"purpose": "antivirus", "host": "localhost", "port": 9, "enabled": False}],
        snmp={"mode": "off", "community": "s3cr3t-community"},
    )


def test_every_resource_matches_the_spec():
    host = restlib.unique_loopback()
    with harness.TempDir() as d, harness.FakeScanner(host, 41002), \
            restlib.RestDaemon(d, **config_sections(host)) as dm:
        c = dm.client()
        harness.wait_until(lambda: c.json("/api/v1/links")["items"][0]["state"] == "up",
                           what="link s1 up")
        for path, template in GETS:
            st, h, b = c.get(path)
            assert st == 200, (path, st, b)
            assert re.match(r'^"[^"]+"$', h.get("etag", "")), (path, h)
            restlib.check_response(template, "GET", st, h, b)
        st, h, b = c.get("/healthz")
        assert (st, b) == (200, b"ok\n")
        restlib.check_response("/healthz", "GET", st, h, b)

        status = c.json("/api/v1/status")
        assert status["appliance"] == "cc-test" and status["role"] == "control-center"
        assert status["flows"]["total"] == 20 and status["links"]["total"] == 2
        flows = c.json("/api/v1/flows")["items"]
        assert [f["id"] for f in flows] == list(range(1, 21))
        f11 = c.json("/api/v1/flows/11")
        assert (f11["port"], f11["protocol"], f11["direction"]) == (41002, "tcp", "outbound")
        assert {p["label"] for p in f11["peers"]} == {"s1", "s2"}
        p = [p for p in f11["peers"] if p["label"] == "s1"][0]
        assert p["state"] == "up" and p["addresses"][0]["address"] == host
        assert p["rtt_ms"] is not None and p["checks"] >= 1
        links = {l["name"]: l for l in c.json("/api/v1/links")["items"]}
        assert links["s1"]["address"] == host and links["s1"]["port"] == 41002
        f8 = c.json("/api/v1/flows/8")
        assert all("ntp" in p for p in f8["peers"])
        ntp = c.json("/api/v1/ntp")
        assert ntp["enabled"] is True and ntp["servers"] == ["127.0.0.1:9"]
        assert ntp["status"][0]["host"] == "127.0.0.1"
        ups = c.json("/api/v1/updates")["items"]
        assert [u["purpose"] for u in ups] == ["rules", "antivirus"]
        assert ups[1]["enabled"] is False
        cfg = c.get("/api/v1/config")[2].decode()
        assert "s3cr3t-community" not in cfg and "********" in cfg
        assert json.loads(cfg)["http"]["token_file"] is None


def test_flow_ids_outside_the_table_are_404():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        for bad in ("0", "21", "-1", "x", "1x", "01", "99999999999999999999", "1.0", "%31"):
            st, h, b = c.get("/api/v1/flows/" + bad)
            if bad == "%31":  # MHD decodes the path: this is flow 1
                assert st == 200, (bad, st)
                continue
            restlib.check_problem(st, h, b, 404)
        st, h, b = c.get("/api/v1/scanners/nope")
        restlib.check_problem(st, h, b, 404)
        # "/" is the status page (tests/ui).
        for path in ("/api", "/api/v1", "/api/v1/", "/api/v1/flows/", "/api/v2/status",
                     "/api/v1/status/x", "/metricsx"):
            st, h, b = c.get(path)
            restlib.check_problem(st, h, b, 404)


def test_etags_and_conditional_gets():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        for path in ("/api/v1/links", "/api/v1/flows/1", "/api/v1/config", "/metrics"):
            st, h, b = c.get(path)
            etag = h["etag"]
            assert not etag.startswith("W/")
            st2, h2, b2 = c.get(path, headers={"If-None-Match": etag})
            # The model may move between the two requests; then a new tag comes with 200.
            if h2.get("etag") == etag:
                assert st2 == 304 and b2 == b"", (path, st2)
            st3, _, _ = c.get(path, headers={"If-None-Match": '"c0-g0-00000000"'})
            assert st3 == 200
            st4, h4, _ = c.get(path, headers={"If-None-Match": "*"})
            assert st4 == 304
        st, h, b = c.request("HEAD", "/api/v1/status")
        assert st == 200 and b == b"" and "etag" in h


def test_wrong_method_is_405_with_allow():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        for method, path, allow in (("DELETE", "/api/v1/ntp", "GET, HEAD, PUT"),
                                    ("POST", "/api/v1/status", "GET, HEAD"),
                                    ("PUT", "/api/v1/scanners", "GET, HEAD, POST"),
                                    ("PATCH", "/api/v1/updates", "GET, HEAD, PUT"),
                                    ("BREW", "/api/v1/links", "GET, HEAD"),
                                    ("PUT", "/api/v1/scanners/s1", "GET, HEAD, DELETE")):
            st, h, b = c.request(method, path, body={} if method in ("PUT", "POST") else None)
            restlib.check_problem(st, h, b, 405)
            assert h.get("allow") == allow, (method, path, h)
        st, h, _ = c.request("OPTIONS", "/api/v1/ntp")
        assert st == 204 and h["allow"] == "GET, HEAD, PUT"


def test_bearer_token():
    with harness.TempDir() as d, restlib.RestDaemon(d, token=True) as dm:
        c = dm.client()
        anon = restlib.Client(dm.port)
        wrong = restlib.Client(dm.port, token=dm.token[:-1] + "X")
        longer = restlib.Client(dm.port, token=dm.token + "X")
        for path in ("/api/v1/status", "/api/v1/links", "/metrics", "/api/v1/nope",
                     "/api/v1/events"):
            for cl in (anon, wrong, longer):
                st, h, b = cl.get(path)
                restlib.check_problem(st, h, b, 401)
                assert h.get("www-authenticate", "").startswith("Bearer"), h
        st, h, b = c.request("GET", "/api/v1/status", headers={"Authorization": "Basic Zm9v"},
                             token=False)
        restlib.check_problem(st, h, b, 401)
        st, h, b = anon.request("PUT", "/api/v1/ntp", body={"enabled": True})
        restlib.check_problem(st, h, b, 401)
        assert c.json("/api/v1/ntp")["enabled"] is False
        assert c.get("/api/v1/status")[0] == 200
        assert c.get("/metrics")[0] == 200
        assert anon.get("/healthz")[0] == 200
        assert dm.token not in dm.log()


def test_client_outside_allow_is_disconnected():
    with harness.TempDir() as d, \
            restlib.RestDaemon(d, http={"allow": ["127.0.0.2/32"]}) as dm:
        # from 127.0.0.1: closed at accept, before any request is read
        for path in ("/api/v1/status", "/healthz", "/metrics", "/nope"):
            try:
                raw = restlib.raw_exchange(dm.port, b"GET " + path.encode() + b" HTTP/1.1\r\n"
                                           b"Host: 127.0.0.1\r\n\r\n")
            except (ConnectionResetError, BrokenPipeError):
                raw = b""
            assert raw == b"", raw[:200]
        ok = restlib.Client(dm.port, source="127.0.0.2")
        assert ok.get("/api/v1/status")[0] == 200


def test_start_refused_when_unsafe():
    with harness.TempDir() as d:
        # A token file others can read.
        dm = restlib.RestDaemon(d, token=True)
        os.chmod(dm.config["http"]["token_file"], 0o644)
        dm.start(wait=False)
        assert dm.proc.wait(10) != 0
        assert "token_file" in dm.log() and dm.token not in dm.log()
        dm.stop()
    with harness.TempDir() as d:
        dm = restlib.RestDaemon(d, http={"token_file": os.path.join(d, "missing")})
        dm.start(wait=False)
        assert dm.proc.wait(10) != 0
        dm.stop()
    with harness.TempDir() as d:
        # Beyond loopback without a token.
        anywhere = "0.0.0.0:%d" % harness.free_port(host="0.0.0.0")
        dm = restlib.RestDaemon(d, http={"listen": anywhere})
        dm.start(wait=False)
        assert dm.proc.wait(10) != 0
        assert "beyond loopback" in dm.log()
        dm.stop()
    with harness.TempDir() as d:
        # ... and with one it starts.
        dm = restlib.RestDaemon(d, token=True,
                                http={"listen": "0.0.0.0:%d"
                                      % harness.free_port(host="0.0.0.0")})
        dm.port = int(dm.config["http"]["listen"].rsplit(":", 1)[1])
        with dm:
            assert dm.client().get("/api/v1/status")[0] == 200


if __name__ == "__main__":
    harness.run_tests([
        test_every_resource_matches_the_spec,
        test_flow_ids_outside_the_table_are_404,
        test_etags_and_conditional_gets,
        test_wrong_method_is_405_with_allow,
        test_bearer_token,
        test_client_outside_allow_is_disconnected,
        test_start_refused_when_unsafe,
    ])
