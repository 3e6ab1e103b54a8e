"""Beside the appliance (appliance.placement "beside"): fake appliances on loopback addresses
(127.0.x.y) serve what the real ones do (an SSH banner on 22, an SMTP greeting on 25, TLS on
41443 from openssl s_server, plain listeners on 41002/41025/41015-41017), or answer wrong, or
not at all; the daemon beside them checks each from this host and says so through REST,
metrics, the page, the preflight and --check-config."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

import harness as h

sys.path.insert(0, os.path.join(h.ROOT, "tests", "rest"))
import restlib  # noqa: E402  (the OpenAPI validator shared with the REST tests)

CC = "127.0.41.1"
S1, S2, S3 = "127.0.41.2", "127.0.41.3", "127.0.41.4"


@pytest.fixture
def fleet(tmp, scanner_lock):
    """Starts fake appliances; stops them after the test."""
    started = []

    def start(host, role="scanner", **kw):
        return started.append(h.FakeAppliance(tmp, host, role, **kw).start()) or started[-1]
    yield start
    for a in reversed(started):
        a.stop()


def peer_of(daemon, flow, appliance):
    doc = h.rest_json(daemon, "/api/v1/flows/%d" % flow)
    got = [p for p in doc["peers"] if p["appliance"] == appliance]
    assert len(got) == 1, doc
    return got[0]


def wait_peer_state(daemon, flow, appliance, state, timeout=15.0):
    def read():
        p = peer_of(daemon, flow, appliance)
        return p if p["state"] == state else None
    return h._wait_rest(daemon, "flow %d peer %s %s" % (flow, appliance, state), read, timeout)


def wait_counts(daemon, name, counts, timeout=15.0):
    def read():
        a = h.rest_json(daemon, "/api/v1/appliances/%s" % name)
        return a if a and a["counts"] == counts else None
    return h._wait_rest(daemon, "appliance %s counts %s" % (name, counts), read, timeout)


def test_beside_a_control_center_watches_its_fleet(tmp, fleet, daemon):
    fleet(CC, "control-center")
    fleet(S1)
    fleet(S2, answers={25: b"554 5.7.1 no service\r\n"})
    # S3 serves nothing: every check of it is refused
    cfg = h.beside_config(tmp, CC, [("s1", S1), ("s2", S2), ("s3", S3)])
    d = daemon(cfg)

    # the Control Center's own inbound flows, each proved by its service, from this host
    for flow, kind, port in ((1, "ssh", 22), (12, "tcp", 41002), (13, "tcp", 41025),
                             (15, "tls", 41443)):
        p = wait_peer_state(d, flow, "cc-test", "up")
        assert (p["host"], p["kind"], p["port"], p["label"]) == (CC, kind, port, "cc-test"), p
        f = h.rest_json(d, "/api/v1/flows/%d" % flow)
        assert (f["direction"], f["measured_from"]) == ("inbound", "vantage"), f
    # the fleet, one appliance each
    cc = h.wait_appliance(d, "cc-test", "up")
    assert (cc["role"], cc["self"], cc["host"], cc["addresses"]) == \
        ("control-center", True, CC, [CC]), cc
    cc = wait_counts(d, "cc-test", {"checks": 4, "up": 4, "down": 0})
    assert sorted(c["flow"] for c in cc["checks"]) == [1, 12, 13, 15], cc
    s1 = wait_counts(d, "s1", {"checks": 7, "up": 7, "down": 0})
    assert sorted(c["flow"] for c in s1["checks"]) == [1, 2, 4, 11, 16, 17, 18], s1
    s2 = h.wait_appliance(d, "s2", "degraded")
    assert (s2["cause"], s2["detail"]) == ("protocol-error", "greeting 554"), s2
    s2 = wait_counts(d, "s2", {"checks": 7, "up": 5, "down": 2})  # flows 2 and 4 on port 25
    s3 = h.wait_appliance(d, "s3", "down")
    s3 = wait_counts(d, "s3", {"checks": 7, "up": 0, "down": 7})
    assert s3["cause"] == "refused", s3
    # scanners' mail flows are inbound beside a Control Center, checked by SMTP
    p = peer_of(d, 2, "s2")
    assert (p["kind"], p["state"], p["cause"], p["detail"]) == \
        ("smtp", "down", "protocol-error", "greeting 554"), p

    # every document as the OpenAPI document says
    for path, schema in (("/api/v1/appliances", "ApplianceList"),
                         ("/api/v1/appliances/s2", "Appliance"),
                         ("/api/v1/status", "Status"), ("/api/v1/flows", "FlowList")):
        restlib.validate(h.rest_json(d, path), {"$ref": "#/components/schemas/%s" % schema},
                         path)
    items = h.rest_json(d, "/api/v1/appliances")["items"]
    assert [a["name"] for a in items] == ["cc-test", "s1", "s2", "s3"], items
    st = h.rest_json(d, "/api/v1/status")
    assert st["placement"] == "beside" and st["vantage"], st
    assert st["appliances"]["down"] == 1 and st["appliances"]["degraded"] == 1, st

    # an unknown name, or odd bytes, is a 404; a known one has an ETag that revalidates
    port = int(cfg["http"]["listen"].rsplit(":", 1)[1])
    for bad in ("nope", "s%ff", "s1%2F..", "%00"):
        status, _, _ = h.http_get(port, "/api/v1/appliances/" + bad)
        assert status == 404, bad
    status, hdrs, _ = h.http_get(port, "/api/v1/appliances")
    assert status == 200 and hdrs.get("etag"), hdrs

    # the state changes are events, in the log and on the stream
    ev = h.wait_event(d, "appliance", name="s3", state="down")
    assert ev["role"] == "scanner" and ev["address"] == S3, ev

    # metrics by appliance, clean for promtool
    status, _, body = h.http_get(port, "/metrics")
    text = body.decode()
    assert 'smsa_fleet_appliance_state{appliance_name="s3",appliance_role="scanner",' \
           'state="down"} 1' in text
    assert 'smsa_fleet_appliance_state{appliance_name="s2",appliance_role="scanner",' \
           'state="degraded"} 1' in text
    assert re.search(r'smsa_agent_info\{[^}]*placement="beside"', text), text[:500]
    assert re.search(r'smsa_flow_state\{flow="15",[^}]*measured_from="vantage"', text)
    assert re.search(r'smsa_peer_up\{flow="2",peer="\d+",host="%s",port="25",'
                     r'appliance_name="s2"\} 0' % re.escape(S2), text)
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
        assert r.returncode == 0, r.stdout + r.stderr

    # the page: the placement in its header, the appliances in words
    status, _, body = h.http_get(port, "/")
    page = body.decode()
    assert re.search(r'id="placement">beside, checked from ', page), page[:2000]
    row = re.search(r'<tr data-appliance="s3" data-state="down">.*?</tr>', page)
    assert row and ">scanner<" in row.group(0) and ">down</span>" in row.group(0), page


def test_wrong_services_are_protocol_errors(tmp, fleet, daemon):
    fleet(CC, "control-center", http=True,
          answers={22: b"220 mail.example.net ESMTP\r\n",     # not SSH
                   41443: b"SSH-2.0-OpenSSH_9.2\r\n",        # not TLS
                   41080: b"SSH-2.0-OpenSSH_9.2\r\n"})       # not HTTP
    fleet(S1, answers={22: None})  # accepts, says nothing
    fleet(S2, http=True)
    cfg = h.beside_config(tmp, CC, [("s1", S1)],
                          appliance={"http_management": True})
    d = daemon(cfg)
    p = wait_peer_state(d, 1, "cc-test", "down")
    assert (p["cause"], p["detail"]) == \
        ("protocol-error", 'banner "220 mail.example.net ESMTP"'), p
    p = wait_peer_state(d, 15, "cc-test", "down")
    assert p["cause"] == "protocol-error" and p["detail"].startswith("TLS: "), p
    p = wait_peer_state(d, 14, "cc-test", "down")
    assert (p["kind"], p["cause"], p["detail"]) == \
        ("http", "protocol-error", 'answer "SSH-2.0-OpenSSH_9.2"'), p
    p = wait_peer_state(d, 1, "s1", "down")
    assert p["cause"] == "timeout" and p["detail"].startswith("no identification in"), p
    h.wait_appliance(d, "cc-test", "degraded")


def test_http_status_line_proves_the_service(tmp, fleet, daemon):
    fleet(CC, "all-in-one", http=True)
    cfg = h.beside_config(tmp, CC, role="all-in-one", appliance={"http_management": True})
    d = daemon(cfg)
    p = wait_peer_state(d, 14, "cc-test", "up")
    assert (p["kind"], p["port"]) == ("http", 41080), p
    a = h.wait_appliance(d, "cc-test", "up")
    assert sorted(c["flow"] for c in a["checks"]) == [1, 2, 4, 12, 13, 14, 15], a


def test_beside_a_scanner(tmp, fleet, daemon):
    fleet(S1)
    fleet(CC, "control-center")
    cfg = h.beside_config(tmp, S1, role="scanner", peers={"control_center": CC})
    d = daemon(cfg)
    a = h.wait_appliance(d, "cc-test", "up")
    assert (a["role"], a["host"]) == ("scanner", S1), a
    assert sorted(c["flow"] for c in a["checks"]) == [1, 2, 4, 11, 16, 17, 18], a
    assert [x["name"] for x in h.rest_json(d, "/api/v1/appliances")["items"]] == ["cc-test"]
    # flows 12 and 13 stay outbound probes to the Control Center
    for flow in (12, 13):
        f = h.wait_flow(d, flow, "up")
        assert (f["direction"], f["measured_from"]) == ("outbound", "vantage"), f
        assert f["peers"][0]["host"] == CC and f["peers"][0]["appliance"] is None, f


def test_on_box_says_so(tmp, daemon):
    d = daemon(h.base_config(tmp))
    st = h.rest_json(d, "/api/v1/status")
    assert st["placement"] == "on-box", st
    f = h.rest_json(d, "/api/v1/flows/1")
    assert f["measured_from"] == "appliance" and f["peers"][0]["kind"] == "listen", f
    a = h.rest_json(d, "/api/v1/appliances/cc-test")
    assert (a["host"], a["addresses"], a["self"]) == ("local", [], True), a


def preflight(tmp, cfg, *args):
    path = os.path.join(tmp, "preflight.json")
    h.check_loopback_only(cfg)
    with open(path, "w") as f:
        json.dump(cfg, f)
    p = subprocess.run([h.agentd_path(), "--preflight", "-c", path] + list(args),
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_preflight_beside_is_grouped_by_appliance(tmp, fleet):
    fleet(CC, "control-center")
    fleet(S1)
    fleet(S2, answers={25: b"554 no\r\n"})
    cfg = h.beside_config(tmp, CC, [("s1", S1), ("s2", S2)])
    rc, out, err = preflight(tmp, cfg)
    assert rc == 2, (rc, out, err)  # something is down: CRITICAL
    lines = out.splitlines()
    order = [l.split()[0] for l in lines[1:] if l and l.split()[0] in ("cc-test", "s1", "s2")]
    # grouped: every row of one appliance before the next one's
    assert order == sorted(order, key=["cc-test", "s1", "s2"].index), out
    assert "appliance s2 (scanner, %s): degraded, 5 of 7 checks up; protocol-error: greeting 554" \
        % S2 in out, out
    assert "appliance cc-test (control-center, %s): up, 4 of 4 checks up" % CC in out, out
    assert re.search(r"^CRITICAL: cc-test \(control-center, beside at %s, checked from .+\): "
                     % re.escape(CC), lines[-1]), out
    rc, out, err = preflight(tmp, cfg, "--json")
    assert rc == 2, (rc, err)
    doc = json.loads(out)
    restlib.validate(doc, {"$ref": "#/components/schemas/FlowList"}, "preflight --json")
    assert doc["placement"] == "beside"
    assert {a["name"]: a["state"] for a in doc["appliances"]} == \
        {"cc-test": "up", "s1": "up", "s2": "degraded"}, doc["appliances"]
    # all answering: OK
    rc, out, err = preflight(tmp, h.beside_config(tmp, CC, [("s1", S1)]))
    assert rc == 0, (rc, out, err)


def test_check_config_says_the_placement(tmp):
    path = os.path.join(tmp, "c.json")

    def check(cfg):
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2)
        p = subprocess.run([h.agentd_path(), "--check-config", "-c", path],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr
    rc, out = check(h.beside_config(tmp, CC))
    assert rc == 0 and "placement: beside (control-center cc-test at %s" % CC in out, out
    cfg = h.beside_config(tmp, CC)
    del cfg["appliance"]["address"]
    rc, out = check(cfg)
    assert rc == 1 and "appliance.placement" in out and "beside needs appliance.address" in out, out
    assert re.search(r":\d+:\d+: ", out), out  # with the line of the key
    rc, out = check(h.base_config(tmp))
    assert rc == 0 and "placement: on-box" in out, out


if __name__ == "__main__":
    h.run_tests(None)
