"""Control Center-Scanner links against real TCP listeners on 127.0.0.x:41002.

What an operator sees: every configured scanner gets a link that comes up when the scanner
answers; a scanner that stops is reported down once, with the cause, and the others stay
quiet; it comes back when the scanner does; a scanner name that resolves to several
addresses keeps the link up while any of them answers.
"""
import time

import harness as h

SCANNER_PORT = 41002
# A scanner serves flow 11 (41002) and flows 16-18 (41015-41017) to its Control Center.
SCANNER_PORTS = (41002, 41015, 41016, 41017)


class ScannerBox:
    """Every port a real scanner listens on, on one loopback address."""

    def __init__(self, host):
        self.host = host
        self.listeners = []

    def start(self):
        self.listeners = [h.FakeScanner(self.host, p).start() for p in SCANNER_PORTS]
        return self

    def stop(self):
        for s in self.listeners:
            s.stop()
        self.listeners = []

    @property
    def accepted_41002(self):
        return self.listeners[0].accepted if self.listeners else 0


def scanners_config(tmpdir, scanners, **extra):
    return h.base_config(tmpdir, peers={"scanners": [
        {"name": name, "host": host} for name, host in scanners]}, **extra)


def quiet_window(d):
    """Long enough for several probe rounds (interval 300 ms, fail_threshold 2)."""
    interval = d.config["probe"]["interval_ms"] / 1000.0
    time.sleep(6 * interval)


def test_all_links_come_up_and_one_goes_down_alone():
    boxes = {"scanner1": "127.0.0.2", "scanner2": "127.0.0.3", "scanner3": "127.0.0.4"}
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        running = {n: ScannerBox(a).start() for n, a in boxes.items()}
        try:
            d = h.Daemon(tmp, scanners_config(tmp, boxes.items()))
            with d:
                for name, addr in boxes.items():
                    ev = h.wait_event(d, "link", name=name, state="up")
                    assert ev["address"] == addr, ev
                h.wait_event(d, "flow", flow=11, state="up")
                assert not h.events(d, "link", state="down"), h.events(d, "link")

                mark = h.log_mark(d)
                running["scanner2"].stop()
                ev = h.wait_event(d, "link", since=mark, name="scanner2", state="down")
                assert ev["cause"] == "refused", ev
                assert ev["address"] == "127.0.0.3", ev
                h.wait_event(d, "flow", since=mark, flow=11, state="degraded")
                quiet_window(d)
                links = h.events(d, "link", since=mark)
                assert len(links) == 1, "one link event expected, got %s" % links
                # Hysteresis: the rounds that failed before fail_threshold are not reported
                # (a one-address peer is never "degraded").
                peer = [e["state"] for e in h.events(d, "peer", since=mark, flow=11)]
                assert peer == ["down"], "flow 11 peer events after the stop: %s" % peer

                mark = h.log_mark(d)
                running["scanner2"].start()
                ev = h.wait_event(d, "link", since=mark, name="scanner2", state="up")
                h.wait_event(d, "flow", since=mark, flow=11, state="up")
                quiet_window(d)
                links = h.events(d, "link", since=mark)
                assert links == [ev], "one link-up event expected, got %s" % links
                peer = [e["state"] for e in h.events(d, "peer", since=mark, flow=11)]
                assert peer == ["up"], "flow 11 peer events after the restart: %s" % peer
                assert d.proc.poll() is None
            assert d.proc.returncode == 0, d.log()[-2000:]
        finally:
            for b in running.values():
                b.stop()


def test_scanner_down_at_start_is_reported():
    """The first verdict after start is an event too: a lost scanner is never silent."""
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        d = h.Daemon(tmp, scanners_config(tmp, [("absent", "127.0.0.5")]))
        with d:
            ev = h.wait_event(d, "link", name="absent", state="down")
            assert ev["cause"] == "refused", ev
            box = ScannerBox("127.0.0.5").start()
            try:
                h.wait_event(d, "link", name="absent", state="up")
                mark = h.log_mark(d)
            finally:
                box.stop()
            h.wait_event(d, "link", since=mark, name="absent", state="down")
            assert len(h.events(d, "link", name="absent", state="down")) == 2


def test_hostname_with_one_of_two_addresses_answering_is_degraded_link_up():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        dns = h.Dnsmasq(tmp, {"multi.test": ["127.0.0.6", "127.0.0.7"]})
        box = ScannerBox("127.0.0.6")
        with dns:
            box.start()
            try:
                cfg = scanners_config(tmp, [("multi", "multi.test")],
                                      probe={"resolver": "127.0.0.1:%d" % dns.port})
                d = h.Daemon(tmp, cfg)
                with d:
                    ev = h.wait_event(d, "peer", flow=11, host="multi.test", state="degraded")
                    assert ev["port"] == str(SCANNER_PORT), ev
                    link = h.wait_event(d, "link", name="multi")
                    assert link["state"] == "up", link
                    assert link["address"] == "127.0.0.6", link
                    quiet_window(d)
                    assert not h.events(d, "link", name="multi", state="down"), \
                        h.events(d, "link")
                    # The second address is the one that fails: stop the first, the link goes.
                    mark = h.log_mark(d)
                    box.stop()
                    ev = h.wait_event(d, "link", since=mark, name="multi", state="down")
                    assert ev["cause"] == "refused", ev
                    h.wait_event(d, "peer", since=mark, flow=11, host="multi.test",
                                 state="down")
            finally:
                box.stop()


def test_links_still_report_after_a_reload_and_a_rest_write():
    """A SIGHUP or a REST write rebuilds the model and carries the state over; the links must
    keep reporting their transitions afterwards (they once went silent: found by bench/soak)."""
    import json
    import signal
    boxes = {"scanner1": "127.0.0.2", "scanner2": "127.0.0.3"}
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        running = {n: ScannerBox(a).start() for n, a in boxes.items()}
        try:
            d = h.Daemon(tmp, scanners_config(tmp, boxes.items()))
            with d:
                for name in boxes:
                    h.wait_event(d, "link", name=name, state="up")
                d.signal(signal.SIGHUP)
                d.wait_log(r"configuration reloaded")
                mark = h.log_mark(d)
                running["scanner1"].stop()
                h.wait_event(d, "link", since=mark, name="scanner1", state="down")

                port = int(d.config["http"]["listen"].rsplit(":", 1)[1])
                import http.client
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("PUT", "/api/v1/ntp", body=json.dumps(
                    {"enabled": False, "servers": ["127.0.0.1:9"]}),
                    headers={"Content-Type": "application/json"})
                assert c.getresponse().status == 200
                c.close()
                mark = h.log_mark(d)
                running["scanner1"].start()
                running["scanner2"].stop()
                h.wait_event(d, "link", since=mark, name="scanner1", state="up")
                h.wait_event(d, "link", since=mark, name="scanner2", state="down")
                st, _, body = h.http_get(port, "/api/v1/links")
                states = {x["name"]: x["state"] for x in json.loads(body)["items"]}
                assert states == {"scanner1": "up", "scanner2": "down"}, states
        finally:
            for b in running.values():
                b.stop()


if __name__ == "__main__":
    h.run_tests([
        test_all_links_come_up_and_one_goes_down_alone,
        test_scanner_down_at_start_is_reported,
        test_hostname_with_one_of_two_addresses_answering_is_degraded_link_up,
        test_links_still_report_after_a_reload_and_a_rest_write,
    ])
