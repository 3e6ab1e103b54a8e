"""REST writes: PUT /ntp, PUT /updates, POST and DELETE /scanners through the core's
persist-then-apply path; every refusal status; a refused write changes nothing."""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import harness  # noqa: E402


def snapshot(c):
    """What a refused write must leave alone: the configuration and the file."""
    return (c.get("/api/v1/config")[2], c.get("/api/v1/scanners")[2])


def file_doc(dm):
    with open(dm.config_path) as f:
        return json.load(f)


def test_ntp_enable_fills_vendor_defaults_and_persists():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        st, h, b = c.request("PUT", "/api/v1/ntp", body={"enabled": True})
        assert st == 200, b
        restlib.check_response("/api/v1/ntp", "PUT", st, h, b)
        doc = json.loads(b)
        assert doc["servers"] == ["pool.ntp.org", "clock.isc.org", "time.nist.gov"]
        assert file_doc(dm)["ntp"] == {"enabled": True, "servers": doc["servers"],
                                       "max_offset_ms": 1000}
        f8 = c.json("/api/v1/flows/8")
        assert [p["host"] for p in f8["peers"]] == doc["servers"]
        st, h, b = c.request("PUT", "/api/v1/ntp",
                             body={"enabled": False, "servers": ["127.0.0.1:9"]})
        assert st == 200 and json.loads(b)["servers"] == ["127.0.0.1:9"]
        assert c.json("/api/v1/flows/8")["state"] == "disabled"


def test_updates_and_scanners_survive_a_restart():
    host = restlib.unique_loopback()
    with harness.TempDir() as d:
        dm = restlib.RestDaemon(d)
        with dm:
            c = dm.client()
            body = {"items": [{"purpose": "rules", "host": "127.0.0.1", "port": 9,
                               "enabled": True}]}
            st, h, b = c.request("PUT", "/api/v1/updates", body=body)
            assert st == 200, b
            restlib.check_response("/api/v1/updates", "PUT", st, h, b)
            st, h, b = c.request("POST", "/api/v1/scanners",
                                 body={"name": "new-1", "host": host})
            assert st == 201, b
            restlib.check_response("/api/v1/scanners", "POST", st, h, b)
            assert h["location"] == "/api/v1/scanners/new-1"
            assert json.loads(b)["link"]["host"] == host
            st, h, b = c.request("POST", "/api/v1/scanners",
                                 body={"name": "gone", "host": "127.0.0.1:9"})
            assert st == 201
            st, h, b = c.request("DELETE", "/api/v1/scanners/gone")
            assert st == 204 and b == b""
            st, h, b = c.request("DELETE", "/api/v1/scanners/gone")
            restlib.check_problem(st, h, b, 404)
            assert [l["name"] for l in c.json("/api/v1/links")["items"]] == ["new-1"]
        # Restarted on the file as the daemon left it (start() would rewrite dm.config).
        dm.config = file_doc(dm)
        dm.start(wait=False)
        try:
            dm.wait_log(r"smsa-agentd .* running", count=2)
            c = dm.client()
            ups = c.json("/api/v1/updates")["items"]
            assert [(u["purpose"], u["host"], u["port"]) for u in ups] == \
                [("rules", "127.0.0.1", 9)]
            assert [s["name"] for s in c.json("/api/v1/scanners")["items"]] == ["new-1"]
        finally:
            dm.stop()


def test_bad_bodies_are_refused_precisely():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        before = snapshot(c)
        cases = [
            ("PUT", "/api/v1/ntp", '{"enabled": tru', 400),
            ("PUT", "/api/v1/ntp", '{"enabled": true,\n "servers": [', 400),
            ("PUT", "/api/v1/ntp", "", 400),
            ("PUT", "/api/v1/ntp", '{"enabled": "yes"}', 422),             # wrong type
            ("PUT", "/api/v1/ntp", '{"enabled": true, "colour": 1}', 422),  # unknown key
            ("PUT", "/api/v1/ntp", '{"enabled": true, "servers": ["bad host!"]}', 422),
            ("PUT", "/api/v1/ntp", '{"enabled": true, "servers": ["a.example:70000"]}', 422),
            ("PUT", "/api/v1/updates",
             '{"items": [{"purpose": "rules", "host": "x.example", "port": 70000}]}', 422),
            ("PUT", "/api/v1/updates", '{"items": [{"purpose": "lunch", "host": "x"}]}', 422),
            ("POST", "/api/v1/scanners", '{"name": "s", "host": "bad host"}', 422),
            ("POST", "/api/v1/scanners", '{"name": "s"}', 422),
            ("POST", "/api/v1/scanners", '[1, 2]', 422),
        ]
        for method, path, body, want in cases:
            st, h, b = c.request(method, path, body=body)
            doc = restlib.check_problem(st, h, b, want)
            restlib.check_response(path, method, st, h, b)
            if want == 400:
                assert doc["line"] >= 1 and doc["column"] >= 0, doc
            if want == 422:
                assert isinstance(doc["path"], str) and doc["detail"], doc
        doc = json.loads(c.request("PUT", "/api/v1/ntp", body='{"enabled": true, "colour": 1}')[2])
        assert doc["path"] == "colour", doc
        doc = json.loads(c.request(
            "PUT", "/api/v1/ntp", body='{"enabled": true, "servers": ["a", "a.example:70000"]}')[2])
        assert doc["path"] == "servers[1]", doc
        doc = json.loads(c.request("PUT", "/api/v1/ntp", body='{\n"enabled": tru\n}')[2])
        assert doc["line"] == 2, doc
        # Not JSON at all.
        st, h, b = c.request("PUT", "/api/v1/ntp", body='{"enabled": true}', ctype="text/plain")
        restlib.check_problem(st, h, b, 415)
        st, h, b = c.request("POST", "/api/v1/scanners", body='{"name":"a","host":"b"}',
                             ctype=None)
        restlib.check_problem(st, h, b, 415)
        assert snapshot(c) == before


def test_if_match():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        st, h, b = c.get("/api/v1/ntp")
        etag = h["etag"]
        assert json.loads(b)["enabled"] is False
        # The tag is the document's: a write that changes nothing keeps it.
        st, h, _ = c.request("PUT", "/api/v1/ntp", body={"enabled": False},
                             headers={"If-Match": etag})
        assert st == 200 and h["etag"] == etag
        st, h, _ = c.request("PUT", "/api/v1/ntp", body={"enabled": True},
                             headers={"If-Match": etag})
        assert st == 200 and h["etag"] != etag
        before = snapshot(c)
        st, h, b = c.request("PUT", "/api/v1/ntp", body={"enabled": False},
                             headers={"If-Match": etag})  # stale now
        restlib.check_problem(st, h, b, 412)
        st, h, b = c.request("POST", "/api/v1/scanners", body={"name": "x", "host": "h"},
                             headers={"If-Match": '"c999-g1-00000000"'})
        restlib.check_problem(st, h, b, 412)
        assert snapshot(c) == before
        st, _, _ = c.request("PUT", "/api/v1/ntp", body={"enabled": False},
                             headers={"If-Match": "*"})
        assert st == 200
        # A scanner's own tag guards its DELETE; none is there to match once it is gone.
        st, h, _ = c.request("POST", "/api/v1/scanners", body={"name": "s9", "host": "h"})
        assert st == 201
        st, h, b = c.request("DELETE", "/api/v1/scanners/s9", headers={"If-Match": '"0"'})
        restlib.check_problem(st, h, b, 412)
        tag = c.get("/api/v1/scanners/s9")[1]["etag"]
        assert c.request("DELETE", "/api/v1/scanners/s9", headers={"If-Match": tag})[0] == 204
        st, h, b = c.request("DELETE", "/api/v1/scanners/s9", headers={"If-Match": "*"})
        restlib.check_problem(st, h, b, 412)


def test_oversize_bodies_are_413():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        before = snapshot(c)
        big = '{"enabled": true, "servers": [' + ",".join(['"a.example"'] * 6000) + "]}"
        assert len(big) > 65536
        st, h, b = c.request("PUT", "/api/v1/ntp", body=big)
        restlib.check_problem(st, h, b, 413)
        # Content-Length alone decides: the body is never sent.
        raw = restlib.raw_exchange(
            dm.port, b"PUT /api/v1/ntp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 66560\r\n\r\n")
        assert restlib.status_of(raw) == 413, raw[:200]
        raw = restlib.raw_exchange(
            dm.port, b"PUT /api/v1/ntp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 99999999999999999999999\r\n\r\n")
        assert restlib.status_of(raw) in (400, 413), raw[:200]
        # Chunked: counted as it comes.
        chunk = b"%x\r\n%s\r\n" % (8192, b" " * 8192)
        raw = restlib.raw_exchange(
            dm.port, b"PUT /api/v1/ntp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 9 + b"0\r\n\r\n")
        assert restlib.status_of(raw) == 413, raw[:200]
        # An endless chunked body: the connection is closed, the daemon goes on.
        s = socket.create_connection(("127.0.0.1", dm.port), timeout=5)
        s.sendall(b"PUT /api/v1/ntp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(1000):
                s.sendall(chunk)
        except OSError:
            pass
        s.close()
        assert snapshot(c) == before


SMSA_NTP_ENABLED = ".1.3.6.1.4.1.32473.1.7.1.0"
SMSA_LINK_NAME = ".1.3.6.1.4.1.32473.1.6.1.2"


def snmp_view(port):
    """(smsaNtpEnabled, the link names) as an NMS sees them over SNMP."""
    target = ["-v2c", "-c", "public", "-m", "", "-Oqv", "-r", "1", "-t", "2",
              "udp:127.0.0.1:%d" % port]
    ntp = subprocess.run(["snmpget"] + target + [SMSA_NTP_ENABLED], check=True,
                         capture_output=True, text=True).stdout.strip()
    links = subprocess.run(["snmpwalk"] + target + [SMSA_LINK_NAME], check=True,
                           capture_output=True, text=True).stdout
    return ntp, links


def test_unpersistable_write_is_refused_and_changes_nothing():
    with harness.TempDir() as d:
        conf = os.path.join(d, "conf")
        os.mkdir(conf)
        # SNMP in master mode on a free port: it must not see the refused change either.
        snmp_port = harness.free_port("udp")
        dm = restlib.RestDaemon(d, snmp={"mode": "master",
                                         "master_listen": "udp:127.0.0.1:%d" % snmp_port})
        dm.config_path = os.path.join(conf, "smsa-agent.json")
        with dm:
            c = dm.client()
            before = snapshot(c)
            snmp_before = snmp_view(snmp_port)
            assert snmp_before[0] == "2", snmp_before  # smsaNtpEnabled: false(2)
            with open(dm.config_path, "rb") as f:
                file_before = f.read()
            # Root ignores permission bits; the immutable attribute stops even root.
            subprocess.run(["chattr", "+i", conf], check=True)
            try:
                for method, path, body in (
                        ("PUT", "/api/v1/ntp", {"enabled": True}),
                        ("PUT", "/api/v1/updates", {"items": []}),
                        ("POST", "/api/v1/scanners", {"name": "n", "host": "127.0.0.1:9"})):
                    st, h, b = c.request(method, path, body=body)
                    doc = restlib.check_problem(st, h, b, 500)
                    assert "not-persisted" in doc["type"], doc
                    restlib.check_response(path, method, st, h, b)
                assert snapshot(c) == before
                assert c.json("/api/v1/ntp")["enabled"] is False
                assert snmp_view(snmp_port) == snmp_before
            finally:
                subprocess.run(["chattr", "-i", conf], check=True)
            with open(dm.config_path, "rb") as f:
                assert f.read() == file_before
            assert c.request("PUT", "/api/v1/ntp", body={"enabled": True})[0] == 200
            # a write that was saved is seen by SNMP at once
            assert snmp_view(snmp_port)[0] == "1"


if __name__ == "__main__":
    harness.run_tests([
        test_ntp_enable_fills_vendor_defaults_and_persists,
        test_updates_and_scanners_survive_a_restart,
        test_bad_bodies_are_refused_precisely,
        test_if_match,
        test_oversize_bodies_are_413,
        test_unpersistable_write_is_refused_and_changes_nothing,
    ])
