"""Logs an operator can read, and a command line that says what it takes: flow events name
the flow's port and purpose; a peer whose round trip is unknown shows none (never -1); a
REST write names the client's address and the key paths it changed; --help and the man page
list every option the daemon accepts."""
import http.client
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
import harness as h  # noqa: E402

ROOT = opslib.ROOT


def request(port, method, path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, body=json.dumps(body),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def test_flow_and_peer_events():
    with h.TempDir() as tmp:
        closed = h.free_port()  # nothing listens: refused, no round trip
        cfg = h.base_config(tmp, peers={"scanners": [
            {"name": "scanner1", "host": "127.0.0.1:%d" % closed}]})
        with h.Daemon(tmp, cfg) as d:
            h.wait_event(d, "flow", flow=11, state="down")
            log = d.log()
        flow = [l for l in log.splitlines() if "event flow flow=11 " in l][-1]
        assert "port=41002" in flow and "proto=tcp" in flow, flow
        assert 'purpose="Control Center-Scanner communication"' in flow, flow
        peer = [l for l in log.splitlines() if "event peer flow=11 " in l][-1]
        assert "cause=refused" in peer and 'purpose="Control Center-Scanner' in peer, peer
        assert "rtt" not in peer and "=-1" not in peer, peer


def test_rest_write_names_client_and_keys():
    with h.TempDir() as tmp:
        port = h.free_port()
        cfg = h.base_config(tmp, http_port=port, updates=[
            {"purpose": "rules", "host": "127.0.0.1", "port": h.free_port(), "enabled": False}])
        with h.Daemon(tmp, cfg) as d:
            st, body = request(port, "POST", "/api/v1/scanners",
                               {"name": "scanner7", "host": "127.0.0.1:%d" % h.free_port()})
            assert st == 201, body
            d.wait_log(r"configuration changed by REST client 127\.0\.0\.1 port \d+ "
                       r"\(POST /api/v1/scanners\) and saved to .*: peers\.scanners "
                       r"\(0 -> 1 items\)")
            st, body = request(port, "PUT", "/api/v1/updates", {"items": [
                {"purpose": "rules", "host": "127.0.0.1",
                 "port": cfg["updates"][0]["port"], "enabled": True}]})
            assert st == 200, body
            d.wait_log(r"(?m)\(PUT /api/v1/updates\) and saved to .*: updates\[0\]\.enabled$")
            st, body = request(port, "DELETE", "/api/v1/scanners/scanner7", None)
            assert st == 204, body
            d.wait_log(r"\(DELETE /api/v1/scanners/scanner7\) and saved to .*: "
                       r"peers\.scanners \(1 -> 0 items\)")


def long_options():
    """Every long option in main.c's getopt table."""
    with open(os.path.join(ROOT, "agent", "main.c")) as f:
        src = f.read()
    table = src[src.index("struct option opts[]"):]
    table = table[:table.index("};")]
    names = re.findall(r'\{"([a-z-]+)",', table)
    assert len(names) >= 7, names
    return names


def test_help_and_man_page_list_every_option():
    out = subprocess.run([h.agentd_path(), "--help"], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    with open(os.path.join(ROOT, "docs", "smsa-agentd.8")) as f:
        man = f.read().replace("\\-", "-")
    for name in long_options():
        assert "--" + name in out, "--help does not list --%s:\n%s" % (name, out)
        assert "--" + name in man, "smsa-agentd.8 does not describe --%s" % name
    for short in ("-c", "-f", "-d", "-h"):
        assert re.search(r"(?m)^\s+%s, --" % short, out), "--help lacks %s:\n%s" % (short, out)
    for word in ("SIGHUP", "SIGTERM", "78", "/etc/smsa-agent/smsa-agent.json"):
        assert word in man, word


if __name__ == "__main__":
    h.run_tests([test_flow_and_peer_events, test_rest_write_names_client_and_keys,
                 test_help_and_man_page_list_every_option])
