"""A fleet end to end: three agents (three Control Centers, two scanners each) on loopback,
scraped by a real Prometheus that loads the shipped rules unchanged, alerting a real
Alertmanager (the shipped etc/prometheus/alertmanager.yml, with the test's webhook and short
group timings) whose webhook is a tiny HTTP server of this test.

One Control Center loses one scanner: exactly one SmsaLinkDown reaches the webhook, naming
that appliance and that link; when the scanner is back it is resolved. The time from the
loss to the webhook is printed (a number, not an assertion)."""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

import harness as h

ETC = os.path.join(h.ROOT, "etc", "prometheus")
RULES = os.path.join(ETC, "smsa-agent.rules.yml")
SCANNER_PORT = 41002
# appliance -> {scanner name: address}
FLEET = {
    "cc-east": {"east-s1": "127.0.3.1", "east-s2": "127.0.3.2"},
    "cc-west": {"west-s1": "127.0.3.3", "west-s2": "127.0.3.4"},
    "cc-north": {"north-s1": "127.0.3.5", "north-s2": "127.0.3.6"},
}
LOSER, LOST = "cc-west", "west-s2"


class Webhook:
    """Alertmanager's webhook receiver: records (monotonic time, payload)."""

    def __init__(self):
        self.posts = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                outer.posts.append((time.monotonic(), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.server.shutdown()
        self.server.server_close()

    def alerts(self, name, status=None):
        """[(time, alert)] of every alert of that name in every notification."""
        return [(t, a) for t, p in self.posts for a in p.get("alerts", [])
                if a["labels"].get("alertname") == name
                and (status is None or a["status"] == status)]


def alertmanager_config(webhook_port):
    """The shipped example, with the test's receiver URL and short group timings (the only
    changes: a page in seconds instead of half a minute)."""
    with open(os.path.join(ETC, "alertmanager.yml")) as f:
        cfg = yaml.safe_load(f)
    cfg["receivers"][0]["webhook_configs"][0]["url"] = "http://127.0.0.1:%d/" % webhook_port
    cfg["route"].update(group_wait="1s", group_interval="1s")
    return cfg


def prometheus_config(targets, am_port):
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                   "scrape_timeout": "900ms"},
        "rule_files": [RULES],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": ["127.0.0.1:%d" % am_port]}]}]},
        "scrape_configs": [{"job_name": "smsa-agent",
                            "static_configs": [{"targets": targets}]}],
    }


def write_yaml(path, doc):
    with open(path, "w") as f:
        yaml.safe_dump(doc, f)
    return path


def prom_query(port, q):
    import urllib.parse
    st, _, body = h.http_get(port, "/api/v1/query?query=" + urllib.parse.quote(q))
    assert st == 200, body
    return json.loads(body)["data"]["result"]


def test_one_lost_scanner_pages_once():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp, Webhook() as hook:
        scanners, agents, procs = {}, {}, []
        try:
            for app, scs in FLEET.items():
                for name, addr in scs.items():
                    scanners[name] = h.FakeScanner(addr, SCANNER_PORT).start()
                d = os.path.join(tmp, app)
                os.makedirs(d)
                cfg = h.base_config(d, appliance={"name": app, "role": "control-center"},
                                    peers={"scanners": [{"name": n, "host": a}
                                                        for n, a in scs.items()]})
                agents[app] = h.Daemon(d, cfg).start()
            for app, scs in FLEET.items():
                for name in scs:
                    h.wait_link(agents[app], name, "up")

            am_port, prom_port = h.free_port(), h.free_port()
            am = h.Process(["prometheus-alertmanager",
                            "--config.file=" + write_yaml(os.path.join(tmp, "am.yml"),
                                                          alertmanager_config(hook.port)),
                            "--storage.path=" + os.path.join(tmp, "am-data"),
                            "--web.listen-address=127.0.0.1:%d" % am_port,
                            "--cluster.listen-address="],
                           log_path=os.path.join(tmp, "alertmanager.log")).start()
            procs.append(am)
            targets = [a.config["http"]["listen"] for a in agents.values()]
            prom = h.Process(["prometheus",
                              "--config.file=" + write_yaml(os.path.join(tmp, "prom.yml"),
                                                            prometheus_config(targets, am_port)),
                              "--storage.tsdb.path=" + os.path.join(tmp, "prom-data"),
                              "--web.listen-address=127.0.0.1:%d" % prom_port],
                             log_path=os.path.join(tmp, "prometheus.log")).start()
            procs.append(prom)

            def all_scraped():
                try:
                    r = prom_query(prom_port, 'smsa_link_up == 1')
                except (OSError, AssertionError):
                    return False
                return len(r) == 6
            h.wait_until(all_scraped, 60, step=0.5, what="Prometheus scraping six links up")
            time.sleep(3)  # a few evaluations with every link up
            assert hook.alerts("SmsaLinkDown") == [], hook.posts

            t_loss = time.monotonic()
            scanners[LOST].stop()
            h.wait_link(agents[LOSER], LOST, "down")
            t_agent = time.monotonic()
            h.wait_until(lambda: hook.alerts("SmsaLinkDown", "firing"), 120, step=0.1,
                         what="SmsaLinkDown at the webhook")
            t_hook = hook.alerts("SmsaLinkDown", "firing")[0][0]
            print("loss to agent verdict: %.1f s; loss to webhook: %.1f s "
                  "(agent: 300 ms rounds, fail_threshold 2; Prometheus: 1 s scrape and "
                  "evaluation; shipped for: 30s; Alertmanager group_wait 1s)"
                  % (t_agent - t_loss, t_hook - t_loss), flush=True)
            time.sleep(5)  # anything more would have come by now (group_interval 1s)
            firing = hook.alerts("SmsaLinkDown", "firing")
            assert len(firing) == 1, firing
            labels = firing[0][1]["labels"]
            assert labels["appliance"] == LOSER and labels["link"] == LOST, labels
            assert labels["role"] == "control-center" and labels["severity"] == "critical"
            assert LOSER in firing[0][1]["annotations"]["summary"]
            assert LOST in firing[0][1]["annotations"]["summary"]

            t_back = time.monotonic()
            scanners[LOST] = h.FakeScanner(FLEET[LOSER][LOST], SCANNER_PORT).start()
            h.wait_until(lambda: hook.alerts("SmsaLinkDown", "resolved"), 60, step=0.1,
                         what="SmsaLinkDown resolved at the webhook")
            resolved = hook.alerts("SmsaLinkDown", "resolved")
            print("return to resolved at the webhook: %.1f s"
                  % (resolved[0][0] - t_back), flush=True)
            assert resolved[0][1]["labels"] == labels
            assert len(hook.alerts("SmsaLinkDown", "firing")) == 1
        finally:
            for p in reversed(procs):
                p.stop()
            for a in agents.values():
                a.stop()
            for s in scanners.values():
                s.stop()


if __name__ == "__main__":
    h.run_tests([test_one_lost_scanner_pages_once])
