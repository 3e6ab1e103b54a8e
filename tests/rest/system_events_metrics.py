"""A scanner that goes down shows in /links, in /metrics and on the event stream;
/metrics is clean under promtool."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import harness  # noqa: E402


class SseReader:
    """Reads /api/v1/events in a thread, collecting (event, id, data) tuples."""

    def __init__(self, port, token=None):
        self.events, self.comments = [], []
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        auth = ("Authorization: Bearer %s\r\n" % token) if token else ""
        self.sock.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % auth).encode())
        self.head = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
                if not self.head and b"\r\n\r\n" in buf:
                    self.head, buf = buf.split(b"\r\n\r\n", 1)
                # Chunked transfer: pick out SSE blocks, ignoring the chunk-size lines.
                text = buf.decode("utf-8", "replace")
                for block in text.split("\n\n")[:-1]:
                    ev = {}
                    for line in block.split("\n"):
                        line = line.strip("\r")
                        for key in ("event", "id", "data"):
                            if line.startswith(key + ": "):
                                ev[key] = line[len(key) + 2:]
                        if line.startswith(":"):
                            self.comments.append(line)
                    if "event" in ev:
                        self.events.append(ev)
                buf = text.rsplit("\n\n", 1)[-1].encode()
        except OSError:
            return

    def close(self):
        self.sock.close()


def test_scanner_down_reaches_links_metrics_and_sse(scanner_lock):
    host = restlib.unique_loopback()
    scanner = harness.FakeScanner(host, 41002).start()
    try:
        with harness.TempDir() as d, restlib.RestDaemon(
                d, token=True, peers={"scanners": [{"name": "edge-1", "host": host}]}) as dm:
            c = dm.client()
            harness.wait_until(lambda: c.json("/api/v1/links")["items"][0]["state"] == "up",
                               what="link up")
            sse = SseReader(dm.port, dm.token)
            time.sleep(0.3)
            assert b"200 OK" in sse.head and b"text/event-stream" in sse.head, sse.head
            scanner.stop()
            harness.wait_until(lambda: c.json("/api/v1/links")["items"][0]["state"] == "down",
                               what="link down")
            link = c.json("/api/v1/links")["items"][0]
            assert link["cause"] == "refused" and link["down_count"] >= 1, link
            metrics = c.get("/metrics")[2].decode()
            lbl = 'link="edge-1",host="%s"' % host
            assert 'smsa_link_up{%s} 0' % lbl in metrics
            assert 'smsa_link_cause_info{%s,cause="refused"} 1' % lbl in metrics
            assert 'smsa_link_downs_total{%s} 1' % lbl in metrics

            def link_event():
                return [e for e in sse.events if e["event"] == "link"]
            harness.wait_until(link_event, timeout=5, what="link event on the stream")
            ev = json.loads(link_event()[-1]["data"])
            restlib.validate(ev, {"$ref": "#/components/schemas/Event"})
            assert ev["name"] == "edge-1" and ev["new_state"] == "down"
            assert ev["cause"] == "refused" and ev["address"] == host
            assert int(link_event()[-1]["id"]) == ev["seq"]
            for e in sse.events:
                restlib.validate(json.loads(e["data"]), {"$ref": "#/components/schemas/Event"})
            sse.close()
            # The stream client is gone; the daemon still answers.
            time.sleep(0.2)
            assert c.get("/api/v1/status")[0] == 200
    finally:
        scanner.stop()


def test_slow_sse_client_does_not_hold_the_daemon(scanner_lock):
    host = restlib.unique_loopback()
    with harness.TempDir() as d, restlib.RestDaemon(
            d, peers={"scanners": [{"name": "flappy", "host": host}]},
            probe={"interval_ms": 100, "timeout_ms": 50, "fail_threshold": 1,
                   "recover_threshold": 1, "resolver": "127.0.0.1:9"}) as dm:
        c = dm.client()
        # Clients that never read.
        idle = [socket.create_connection(("127.0.0.1", dm.port)) for _ in range(5)]
        for s in idle:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for _ in range(6):  # flap the link to make events
            fs = harness.FakeScanner(host, 41002).start()
            time.sleep(0.35)
            fs.stop()
            time.sleep(0.35)
        t0 = time.monotonic()
        assert c.get("/api/v1/status")[0] == 200
        assert time.monotonic() - t0 < 0.5
        m = c.get("/metrics")[2].decode()
        assert "smsa_sse_clients" in m
        for s in idle:
            s.close()


def test_metrics_are_clean_under_promtool(scanner_lock):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed"
    host = restlib.unique_loopback()
    with harness.FakeScanner(host, 41002), harness.TempDir() as d, restlib.RestDaemon(
            d, peers={"scanners": [{"name": "s-1", "host": host}]},
            ntp={"enabled": True, "servers": ["127.0.0.1:9"]},
            updates=[{"purpose": "rules", "host": "127.0.0.1", "port": 9, "enabled": True}]) as dm:
        c = dm.client()
        harness.wait_until(lambda: c.json("/api/v1/links")["items"][0]["state"] == "up",
                           what="link up")
        st, h, body = c.get("/metrics")
        assert st == 200
        assert h["content-type"] == "text/plain; version=0.0.4; charset=utf-8", h
        r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
        assert r.returncode == 0, r.stdout + r.stderr
        text = body.decode()
        for name in ('smsa_agent_info{appliance="cc-test",role="control-center",placement="on-box",version="',
                     "smsa_agent_start_time_seconds ", 'smsa_appliance_state{state="',
                     "smsa_peer_up{", "smsa_peer_last_success_rtt_seconds{",
                     "smsa_peer_rounds_total{", "smsa_peer_failed_rounds_total{",
                     "smsa_peer_downs_total{", "smsa_peer_cause_info{", "smsa_flow_state{",
                     "smsa_link_up{", "smsa_link_cause_info{", "smsa_link_downs_total{",
                     "smsa_update_address_changes_total{", "smsa_probes_total ",
                     "smsa_probe_failures_total ", "smsa_loop_turn_max_seconds ",
                     "smsa_events_total ", "smsa_http_refused_clients_total ",
                     "smsa_http_auth_failures_total "):
            assert name in text, name
        # Prometheus has its own up; the retired names are gone (docs/metrics.md).
        for gone in ("smsa_up ", "smsa_info{", "smsa_uptime_seconds", "smsa_overall_state",
                     "smsa_probe_checks_total", "smsa_probe_rounds_failed_total",
                     "smsa_probe_duration_seconds", "smsa_peer_cause{", "smsa_link_cause{",
                     "smsa_link_down_total", "smsa_peer_down_total", "smsa_http_forbidden"):
            assert gone not in text, gone
        # Every metric family is documented in docs/metrics.md, and nothing more.
        families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
        doc = open(os.path.join(harness.ROOT, "docs", "metrics.md")).read()
        documented = set(re.findall(r"^\| `(smsa_\w+)`", doc, re.M))
        assert families <= documented, families - documented
        # One-hot: exactly one state per flow.
        for fid in range(1, 21):
            ones = [l for l in text.splitlines()
                    if l.startswith('smsa_flow_state{flow="%d",' % fid) and l.endswith(" 1")]
            assert len(ones) == 1, (fid, ones)


if __name__ == "__main__":
    harness.run_tests([
        test_scanner_down_reaches_links_metrics_and_sse,
        test_slow_sse_client_does_not_hold_the_daemon,
        test_metrics_are_clean_under_promtool,
    ])
