"""Every failure has the cause an operator would name: a closed port is refused, a peer that
never completes the handshake or never greets is a timeout, a wrong or endless greeting is
a protocol error (read with a bound: the daemon does not grow), a good 220 is up, and the
inbound check follows a local listener coming and going. Every verdict is read from REST,
the first one a peer gets (state no longer "unknown") or the one the test's own change
causes, so that the daemon's other verdicts cannot be mistaken for it."""
import socket
import threading

import harness as h

SCANNER_PORT = 41002
PATIENCE = 30  # seconds: a shared machine may run the 2-round verdicts slowly


def wait_peer(d, flow, what, pred):
    """The first peer of flow `flow` (GET /api/v1/flows/<flow>) for which pred holds."""
    def read():
        f = h.rest_json(d, "/api/v1/flows/%d" % flow) or {}
        got = [p for p in f.get("peers", []) if pred(p)]
        return got[0] if got else None
    return h._wait_rest(d, "flow %d: %s" % (flow, what), read, PATIENCE)


def first_verdict(d, flow, port):
    """The peer of flow `flow` on `port` once it has a verdict."""
    return wait_peer(d, flow, "port %d judged" % port,
                     lambda p: p["port"] == port and p["state"] != "unknown")


def first_link_verdict(d, name):
    def read():
        links = h.rest_json(d, "/api/v1/links") or {"items": []}
        got = [l for l in links["items"] if l["name"] == name and l["state"] != "unknown"]
        return got[0] if got else None
    return h._wait_rest(d, "link %s judged" % name, read, PATIENCE)


class HandshakeBlackhole:
    """A listener whose accept queue is full and never drained: Linux drops further SYNs, so
    a connect to it neither completes nor fails (a firewall that drops, on loopback)."""

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.fillers = []

    def start(self):
        self.sock.listen(0)  # an accept queue of one
        for _ in range(2):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            c.connect_ex((self.host, self.port))
            self.fillers.append(c)
        # The first filler completes and sits in the queue; the queue is now full.
        h.wait_until(lambda: self.fillers[0].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                     == 0 and _connected(self.fillers[0]), 2, what="accept queue full")
        return self

    def stop(self):
        for c in self.fillers:
            c.close()
        self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def _connected(s):
    try:
        s.getpeername()
        return True
    except OSError:
        return False


class EndlessTalker:
    """Accepts and sends bytes without a newline until the client goes away (at most
    `limit` bytes a connection, so the test itself is bounded)."""

    def __init__(self, host="127.0.0.1", limit=64 << 20):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.limit = limit
        self.accepted = 0
        self.stopping = False

    def start(self):
        self.sock.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._talk, args=(c,), daemon=True).start()

    def _talk(self, c):
        chunk = b"220" + b"x" * 65533
        sent = 0
        c.settimeout(5)
        try:
            while sent < self.limit and not self.stopping:
                c.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def test_closed_port_is_refused_and_silent_handshake_is_timeout():
    with h.TempDir() as tmp, HandshakeBlackhole() as hole:
        closed = h.free_port()
        cfg = h.base_config(tmp, peers={"scanners": [
            {"name": "closed", "host": "127.0.0.1:%d" % closed},
            {"name": "blackhole", "host": "127.0.0.1:%d" % hole.port}]})
        with h.Daemon(tmp, cfg) as d:
            link = first_link_verdict(d, "closed")
            assert (link["state"], link["cause"]) == ("down", "refused"), link
            link = first_link_verdict(d, "blackhole")
            assert (link["state"], link["cause"]) == ("down", "timeout"), link
            p = first_verdict(d, 11, hole.port)
            assert (p["state"], p["cause"]) == ("down", "timeout"), p


def test_smtp_greetings():
    """Flow 3 (appliance -> internal mail servers, SMTP) on a scanner."""
    with h.TempDir() as tmp, \
            h.FakeScanner("127.0.0.1", h.free_port(), greeting=b"220 mx.test ESMTP\r\n") as good, \
            h.FakeScanner("127.0.0.1", h.free_port()) as mute, \
            h.FakeScanner("127.0.0.1", h.free_port(), greeting=b"554 go away\r\n") as rude, \
            EndlessTalker() as endless:
        servers = [good, mute, rude, endless]
        cfg = h.base_config(tmp, appliance={"name": "scan-test", "role": "scanner"},
                            peers={"internal_mail_servers":
                                   ["127.0.0.1:%d" % s.port for s in servers]})
        with h.Daemon(tmp, cfg) as d:
            p = first_verdict(d, 3, good.port)
            assert p["state"] == "up", p
            p = first_verdict(d, 3, mute.port)
            assert (p["state"], p["cause"]) == ("down", "timeout"), p
            p = first_verdict(d, 3, rude.port)
            assert (p["state"], p["cause"]) == ("down", "protocol-error"), p
            p = first_verdict(d, 3, endless.port)
            assert (p["state"], p["cause"]) == ("down", "protocol-error"), p
            assert good.accepted >= 1 and rude.accepted >= 2

            # The endless greeting is read with a bound: ten more rounds of it, no growth.
            rss0 = h.proc_status(d.pid)["VmRSS"]
            seen = endless.accepted
            h.wait_until(lambda: endless.accepted >= seen + 10, 2 * PATIENCE,
                         what="ten more rounds against the endless greeting")
            rss1 = h.proc_status(d.pid)["VmRSS"]
            assert rss1 - rss0 < 1024, "RSS grew from %d to %d KiB" % (rss0, rss1)
            assert d.proc.poll() is None
        assert d.proc.returncode == 0


def test_ftp_rapid_response_greeting():
    """Flow 20 (Rapid Response over FTP): a 220 greeting is up, a 421 is a protocol error."""
    with h.TempDir() as tmp, \
            h.FakeScanner("127.0.0.1", h.free_port(), greeting=b"220 ready\r\n") as ftp, \
            h.FakeScanner("127.0.0.1", h.free_port(),
                          greeting=b"421 Service not available\r\n") as busy:
        cfg = h.base_config(tmp, updates=[
            {"purpose": "rapid-response", "host": "127.0.0.1", "port": ftp.port,
             "enabled": True},
            {"purpose": "rapid-response", "host": "127.0.0.1", "port": busy.port,
             "enabled": True}])
        with h.Daemon(tmp, cfg) as d:
            p = first_verdict(d, 20, ftp.port)
            assert p["state"] == "up", p
            assert p["rtt_ms"] is None or p["rtt_ms"] >= 0, p
            p = first_verdict(d, 20, busy.port)
            assert (p["state"], p["cause"]) == ("down", "protocol-error"), p
            h.wait_flow(d, 20, "degraded", timeout=PATIENCE)


def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_inbound_listen_check_follows_local_listener():
    """On a scanner, flow 11 (Control Center -> scanner, 41002) is inbound: the daemon checks
    that something listens locally on 41002 where others can reach it. A listener on a
    loopback address only is reported as loopback-only, never up."""
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        h.wait_until(lambda: not h.tcp_listeners(SCANNER_PORT), 2 * PATIENCE,
                     what="no other listener on %d" % SCANNER_PORT)
        cfg = h.base_config(tmp, appliance={"name": "scan-test", "role": "scanner"})
        with h.Daemon(tmp, cfg) as d:
            # Every step waits for the listeners it made (or removed) to show in REST and
            # asserts what they cause: a loopback listener of another program on the shared
            # port, should one appear, is waited out rather than taken for ours.
            def on(addrs, cause):  # both causes are verdicts of down
                return wait_peer(d, 11, "%s, listening on %s" % (cause, addrs or "nothing"),
                                 lambda p: sorted(p["listening_on"] or []) == sorted(addrs)
                                 and (p["state"], p["cause"]) == ("down", cause))
            p = on([], "not-listening")
            assert p["detail"] == "nothing listens on port %d" % SCANNER_PORT, p

            addrs = ["127.0.0.1"] + (["::1"] if _ipv6_loopback() else [])
            for addr in addrs:
                with h.FakeScanner(addr, SCANNER_PORT) as listener:
                    p = on([addr], "loopback-only")
                    assert p["detail"] == "bound to %s only" % addr, p
                on([], "not-listening")
                # The check asks the kernel; it never connects to the local service.
                assert listener.accepted == 0, "listen check connected %d times" \
                    % listener.accepted

            # More loopback addresses than the detail holds: whole addresses, and the rest
            # counted (never "127.0.6" cut mid-address).
            many = ["127.0.60.%d" % n for n in (25, 89, 131, 173, 215)]
            listeners = [h.FakeScanner(a, SCANNER_PORT).start() for a in many]
            try:
                p = on(many, "loopback-only")
                assert p["detail"] == "bound to %s (+2 more) only" % " ".join(many[:3]), p
            finally:
                for x in listeners:
                    x.stop()
            with h.FakeScanner("0.0.0.0", SCANNER_PORT):
                p = wait_peer(d, 11, "up", lambda p: p["state"] == "up")
                assert "0.0.0.0" in p["listening_on"], p


if __name__ == "__main__":
    h.run_tests([
        test_closed_port_is_refused_and_silent_handshake_is_timeout,
        test_smtp_greetings,
        test_ftp_rapid_response_greeting,
        test_inbound_listen_check_follows_local_listener,
    ])
