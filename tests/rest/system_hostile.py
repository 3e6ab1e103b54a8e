"""Bad input: nothing a client sends crashes the daemon, stalls it or changes state; each gets
a precise error or a closed connection."""
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import harness  # noqa: E402


def alive(dm, c):
    assert dm.proc.poll() is None, "daemon exited:\n" + dm.log()[-3000:]
    t0 = time.monotonic()
    st, _, b = c.get("/api/v1/status")
    assert st == 200, (st, b)
    return time.monotonic() - t0


def snapshot(c):
    return c.get("/api/v1/config")[2]


def test_hostile_bodies():
    with harness.TempDir() as d, restlib.RestDaemon(d, token=True) as dm:
        c = dm.client()
        before = snapshot(c)
        bodies = [
            b"[" * 60000,                                   # deep nesting
            b'{"enabled": ' + b"[" * 30000 + b"]" * 30000 + b"}",
            b'{"enabled": true, "servers": [' + b"9" * 5000 + b"]}",  # huge number
            b'{"enabled": 1e999999}',
            b'{"enabled": -99999999999999999999999999}',
            b'{"enabled": true, "servers": ["\xff\xfe\xfd"]}',      # invalid UTF-8
            b'{"enabled": true, "servers": ["\xc0\xaf"]}',         # overlong
            b'{"enabled": true\x00, "servers": []}',                # NUL bytes
            b'{"enabled": true, "servers": ["a\\u0000b"]}',
            b"\x00" * 1000,
            b'{"enabled": true, "enabled": false}',                 # duplicate key
            b'\xef\xbb\xbf{"enabled": true}',                       # BOM
            b'"just a string"',
            b"null",
        ]
        for body in bodies:
            for path in ("/api/v1/ntp", "/api/v1/updates"):
                st, h, b = c.request("PUT", path, body=body)
                assert st in (400, 422), (body[:40], st, b[:200])
                restlib.check_problem(st, h, b, st)
            st, h, b = c.request("POST", "/api/v1/scanners", body=body)
            assert st in (400, 422), (body[:40], st)
        assert snapshot(c) == before
        alive(dm, c)


def test_absurd_requests():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        before = snapshot(c)
        raws = [
            b"GET /" + b"a" * 200000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",        # huge URL
            b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 200000 + b"\r\n\r\n",
            b"GET /api/v1/status HTTP/1.1\r\n" + b"X-H: v\r\n" * 20000 + b"\r\n",
            b"GET /api/v1/st\x00atus HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",             # NUL in URL
            b"GET /api/v1/%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            b"GET /api/v1/../v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            b"GET /api/v1/scanners/%ff%fe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            b"GET /api/v1/flows/\xff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(500),  # TLS hello
            b"GET\r\n\r\n",
            b"GET / HTTP/9.9\r\n\r\n",
            b"PUT /api/v1/ntp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: -5\r\n\r\n{}",
            b"PUT /api/v1/ntp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"PUT /api/v1/ntp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
            os.urandom(4000),
        ]
        for raw in raws:
            out = restlib.raw_exchange(dm.port, raw, timeout=3)
            st = restlib.status_of(out)
            assert st is None or 400 <= st < 500 or st == 505 or \
                raw.startswith(b"GET /api/v1/../"), \
                (raw[:60], out[:200])
            alive(dm, c)
        assert snapshot(c) == before


def test_a_name_that_is_not_utf8_is_answered():
    """A scanner name from the URL that is not UTF-8 still gets its 404 problem (the bytes
    shown as \\xHH), rather than a closed connection."""
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        for path, shown in (("/api/v1/scanners/%ff%fe", "\\xff\\xfe"),
                            ("/api/v1/scanners/caf%c3", "caf\\xc3")):
            st, h, b = c.get(path)
            doc = restlib.check_problem(st, h, b, 404)
            assert doc["detail"] == 'no scanner named "%s"' % shown, doc


def test_idle_half_open_and_a_thousand_connections():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    with harness.TempDir() as d, restlib.RestDaemon(d, http={"timeout_s": 2}) as dm:
        c = dm.client()
        before = snapshot(c)
        # Half-open: a request line and then silence, and connections that say nothing.
        lingering = []
        for i in range(20):
            s = socket.create_connection(("127.0.0.1", dm.port))
            if i % 2:
                s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            lingering.append(s)
        # Idle connections time out (http.timeout_s) and free their slots.
        time.sleep(3)
        closed = 0
        for s in lingering:
            s.settimeout(0.5)
            try:
                closed += s.recv(100) == b""
            except OSError:
                closed += 1
            s.close()
        assert closed == len(lingering), closed
        alive(dm, c)
        # A thousand at once, from several source addresses.
        socks = []
        for i in range(1000):
            try:
                s = socket.socket()
                s.setblocking(False)
                s.bind(("127.0.0.%d" % (2 + i % 50), 0))
                s.connect_ex(("127.0.0.1", dm.port))
                socks.append(s)
            except OSError:
                break
        assert len(socks) == 1000
        time.sleep(0.5)
        for s in socks[::3]:
            try:
                s.send(b"GET /api/v1/links HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            except OSError:
                pass
        time.sleep(0.5)
        # While they are open the connection limit (http.max_connections) holds newcomers in
        # the kernel's backlog; the daemon itself must keep running.
        assert dm.proc.poll() is None
        for s in socks:
            s.close()
        time.sleep(1.0)
        took = alive(dm, c)
        assert took < 2.0, took
        assert snapshot(c) == before


if __name__ == "__main__":
    harness.run_tests([
        test_hostile_bodies,
        test_absurd_requests,
        test_a_name_that_is_not_utf8_is_answered,
        test_idle_half_open_and_a_thousand_connections,
    ])
