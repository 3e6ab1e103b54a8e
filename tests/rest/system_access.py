"""Who may talk to the REST face: a Host that is not one of the agent's names gets 421 (no
DNS rebinding), the status page's cookie is a session (never the token, reads only, logged in
with a POST form), short tokens are refused, failed authentications are counted and logged,
a NUL in a scanner name names no scanner, relative file names are taken from the folder the
daemon was started in, and entity tags stay while other documents move."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import harness  # noqa: E402

EXIT_CONFIG = 78


def names(c):
    return [s["name"] for s in c.json("/api/v1/scanners")["items"]]


def metric(c, name):
    st, _, body = c.get("/metrics")
    assert st == 200
    m = re.search(r"^%s (\d+)$" % re.escape(name), body.decode(), re.M)
    assert m, "%s not in /metrics" % name
    return int(m.group(1))


# ---- the Host header ----

def test_foreign_host_is_421_for_reads_and_writes():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        before = names(c)
        evil = {"Host": "attacker.example"}
        st, h, b = c.request("POST", "/api/v1/scanners", body={"name": "x1", "host": "h"},
                             headers=evil)
        restlib.check_problem(st, h, b, 421)
        restlib.check_response("/api/v1/scanners", "POST", st, h, b)
        assert names(c) == before, "a write with a foreign Host changed the scanners"
        for path in ("/api/v1/status", "/api/v1/config", "/metrics", "/"):
            st, h, b = c.get(path, headers=evil)
            restlib.check_problem(st, h, b, 421)
        # The agent's own names and addresses, with the port it listens on or none.
        own = ["127.0.0.1:%d" % dm.port, "127.0.0.1", "localhost:%d" % dm.port, "LOCALHOST.",
               socket.gethostname(), "%s:%d" % (socket.gethostname(), dm.port)]
        for host in own:
            assert c.get("/api/v1/status", headers={"Host": host})[0] == 200, host
        # Another port is another origin; another address of this host is not ours either.
        for host in ("127.0.0.1:%d" % (dm.port + 1), "127.0.0.2:%d" % dm.port,
                     "[::1]:%d" % dm.port, "localhost.attacker.example", "127.0.0.1:x", ""):
            st, h, b = c.get("/api/v1/status", headers={"Host": host})
            assert st in (400, 421), (host, st)
        dm.wait_log(r"request for host \\?\"attacker\.example\\?\" refused \(421\)")


def test_server_names_apply_on_reload():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        named = {"Host": "agent.example:%d" % dm.port}
        assert c.get("/api/v1/status", headers=named)[0] == 421
        cfg = json.loads(json.dumps(dm.config))
        cfg["http"]["server_names"] = ["agent.example"]
        dm.reload(cfg)
        assert c.get("/api/v1/status", headers=named)[0] == 200
        assert c.request("POST", "/api/v1/scanners", body={"name": "x2", "host": "h"},
                         headers=named)[0] == 201
        # Not a host name: the reload is refused and the list stays.
        cfg["http"]["server_names"] = ["bad name!"]
        dm.write_config(cfg)
        dm.signal(signal.SIGHUP)
        dm.wait_log(r"reload refused.*http\.server_names\[0\]")
        assert c.get("/api/v1/status", headers=named)[0] == 200


# ---- the page's session ----

def login(port, token, host="127.0.0.1"):
    c = http.client.HTTPConnection(host, port, timeout=5)
    try:
        c.request("POST", "/", body=urllib.parse.urlencode({"token": token}),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def test_page_cookie_is_a_read_only_session_not_the_token():
    with harness.TempDir() as d, restlib.RestDaemon(d, token=True) as dm:
        c = dm.client()
        st, h, body = c.get("/", token=False)
        assert st == 401 and b'<form method="post" action="/">' in body, body[:400]
        # The token in a URL opens nothing and sets nothing.
        st, h, _ = c.get("/?token=" + dm.token, token=False)
        assert st == 401 and "set-cookie" not in h
        before = metric(c, "smsa_http_auth_failures_total")
        st, h, body = login(dm.port, "wrong-token-0123456789")
        assert st == 401 and b"not the token" in body and "set-cookie" not in h
        assert metric(c, "smsa_http_auth_failures_total") == before + 1
        st, h, _ = login(dm.port, dm.token)
        assert st == 303 and h["location"] == "/", (st, h)
        cookie = h["set-cookie"]
        m = re.match(r"^smsa_session=([0-9a-f]{64}); (.*)$", cookie)
        assert m, cookie
        assert dm.token not in cookie
        attrs = set(a.strip() for a in m.group(2).split(";"))
        assert {"Path=/", "HttpOnly", "SameSite=Strict"} <= attrs, attrs
        assert "Secure" not in attrs  # plain HTTP here; system_tls checks Secure
        jar = {"Cookie": "smsa_session=" + m.group(1)}
        assert c.get("/", token=False, headers=jar)[0] == 200
        assert c.get("/api/v1/status", token=False, headers=jar)[0] == 200
        assert c.request("HEAD", "/api/v1/status", token=False, headers=jar)[0] == 200
        # Reads only: a write with the session alone is refused and changes nothing.
        st, h, b = c.request("POST", "/api/v1/scanners", body={"name": "x3", "host": "h"},
                             token=False, headers=jar)
        restlib.check_problem(st, h, b, 401)
        assert "x3" not in names(c)
        # The token is no cookie, and a made-up session is none.
        for bad in (dm.token, "0" * 64):
            assert c.get("/", token=False, headers={"Cookie": "smsa_session=" + bad})[0] == 401
            assert c.get("/", token=False, headers={"Cookie": "smsa_token=" + bad})[0] == 401
        # A new token on reload ends the sessions.
        cfg = json.loads(json.dumps(dm.config))
        new_token = "n3w-" + dm.token
        restlib.write_private(cfg["http"]["token_file"], new_token + "\n")
        c.get("/api/v1/status")
        dm.signal(signal.SIGHUP)
        c.token = new_token
        harness.wait_until(lambda: c.get("/api/v1/status")[0] == 200, what="the new token")
        assert c.get("/", token=False, headers=jar)[0] == 401


def test_login_form_is_form_encoded():
    with harness.TempDir() as d, restlib.RestDaemon(d, token=True) as dm:
        c = dm.client()
        st, h, b = c.request("POST", "/", body={"token": dm.token}, token=False)
        restlib.check_problem(st, h, b, 415)
        assert "set-cookie" not in h


# ---- tokens ----

def test_short_token_is_refused_at_start_and_on_reload():
    with harness.TempDir() as d:
        dm = restlib.RestDaemon(d, token=True)
        restlib.write_private(dm.config["http"]["token_file"], "fifteen-chars-x\n")
        dm.start(wait=False)
        try:
            assert dm.proc.wait(10) == EXIT_CONFIG
        finally:
            dm.stop()
        assert re.search(r"holds a token of 15 characters; at least 16 are needed", dm.log())
        r = subprocess.run([harness.agentd_path(), "--check-config", "-c", dm.config_path],
                           capture_output=True, text=True)
        assert r.returncode == 1 and "at least 16 are needed" in r.stderr, r.stderr
    with harness.TempDir() as d, restlib.RestDaemon(d, token=True) as dm:
        c = dm.client()
        restlib.write_private(dm.config["http"]["token_file"], "short-token\n")
        dm.signal(signal.SIGHUP)
        dm.wait_log(r"new token refused: the bearer token stays the previous one")
        assert c.get("/api/v1/status")[0] == 200
        c.token = "short-token"
        assert c.get("/api/v1/status")[0] == 401


def test_failed_authentications_are_counted_and_logged_rate_limited():
    with harness.TempDir() as d, restlib.RestDaemon(d, token=True) as dm:
        c = dm.client()
        assert metric(c, "smsa_http_auth_failures_total") == 0
        # No credentials at all is not a failed authentication: nothing was tried.
        assert c.get("/api/v1/status", token=False)[0] == 401
        for _ in range(20):
            st, _, _ = c.get("/api/v1/status", token=False,
                             headers={"Authorization": "Bearer not-the-token-0000"})
            assert st == 401
        assert metric(c, "smsa_http_auth_failures_total") == 20
        st, _, body = c.get("/metrics")
        assert b"# TYPE smsa_http_auth_failures_total counter" in body
        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
            assert r.returncode == 0, r.stdout + r.stderr
        dm.wait_log(r"authentication failed from 127\.0\.0\.1")
        lines = re.findall(r"authentication failed from", dm.log())
        assert 1 <= len(lines) <= 5, "the failures were not rate-limited: %d lines" % len(lines)


# ---- names and paths ----

def test_nul_in_a_scanner_name_names_no_scanner():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        assert c.request("POST", "/api/v1/scanners", body={"name": "s1", "host": "h"})[0] == 201
        for method in ("DELETE", "GET"):
            st, h, b = c.request(method, "/api/v1/scanners/s1%00x")
            restlib.check_problem(st, h, b, 404)
        st, h, b = c.request("GET", "/api/v1/firewall?format=nft%00x")
        assert st == 400 and b"format" in b, (st, b)
        assert "s1" in names(c)


def find_daemon(binary, config_name):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[:3] == [binary.encode(), b"-c", config_name.encode()]:
            return int(pid)
    return None


def test_relative_config_and_token_file_are_taken_from_the_start_folder():
    """Not in the foreground: daemon() moves to /, and still the files are the ones meant."""
    with harness.TempDir() as d:
        port = harness.free_port()
        token = "rel-token-%s" % os.path.basename(d)
        restlib.write_private(os.path.join(d, "token"), token + "\n")
        cfg = harness.base_config(d, http_port=port)
        cfg["http"]["token_file"] = "token"
        name = "rel-%d.json" % port
        with open(os.path.join(d, name), "w") as f:
            json.dump(cfg, f)
        binary = harness.agentd_path()
        r = subprocess.run([binary, "-c", name], cwd=d, capture_output=True, text=True,
                           timeout=20)
        assert r.returncode == 0, r.stderr
        pid = None
        try:
            pid = harness.wait_until(lambda: find_daemon(binary, name), what="the daemon")
            c = restlib.Client(port, token=token)

            def up():
                try:
                    return c.get("/api/v1/status")[0] == 200
                except OSError:
                    return False
            harness.wait_until(up, what="REST up with the token", timeout=15)
            # A write lands in the file named at start, not in /.
            assert c.request("POST", "/api/v1/scanners", body={"name": "r1", "host": "h"})[0] \
                == 201
            with open(os.path.join(d, name)) as f:
                assert "r1" in [s["name"] for s in json.load(f)["peers"]["scanners"]]
            assert not os.path.exists("/" + name)
            # A reload reads the same file again.
            with open(os.path.join(d, name)) as f:
                doc = json.load(f)
            doc["peers"]["scanners"].append({"name": "r2", "host": "h"})
            with open(os.path.join(d, name), "w") as f:
                json.dump(doc, f)
            os.kill(pid, signal.SIGHUP)
            harness.wait_until(lambda: "r2" in names(c), what="the reload")
        finally:
            if pid:
                os.kill(pid, signal.SIGTERM)
                harness.wait_until(lambda: not os.path.exists("/proc/%d" % pid) or
                                   open("/proc/%d/stat" % pid).read().split()[2] == "Z",
                                   what="the daemon stopped")


# ---- entity tags ----

def generation(c):
    return c.json("/api/v1/status")["generation"]


def test_conditional_gets_are_304_while_scanners_flap():
    """Four scanners on closed ports probed every 200 ms move the model all the time; the
    NTP document does not change, and its tag must not either."""
    scanners = [{"name": "f%d" % i, "host": "127.0.0.1:9"} for i in range(4)]
    with harness.TempDir() as d, restlib.RestDaemon(
            d, peers={"scanners": scanners},
            probe={"interval_ms": 200, "timeout_ms": 150}) as dm:
        c = dm.client()
        st, h, _ = c.get("/api/v1/ntp")
        etag = h["etag"]
        hits = 0
        for _ in range(20):
            g = generation(c)
            harness.wait_until(lambda: generation(c) > g, what="the model moved")
            st, h, b = c.get("/api/v1/ntp", headers={"If-None-Match": etag})
            hits += st == 304
        assert hits == 20, "%d of 20 conditional GETs got 304" % hits


if __name__ == "__main__":
    harness.run_tests([
        test_foreign_host_is_421_for_reads_and_writes,
        test_server_names_apply_on_reload,
        test_page_cookie_is_a_read_only_session_not_the_token,
        test_login_form_is_form_encoded,
        test_short_token_is_refused_at_start_and_on_reload,
        test_failed_authentications_are_counted_and_logged_rate_limited,
        test_nul_in_a_scanner_name_names_no_scanner,
        test_relative_config_and_token_file_are_taken_from_the_start_folder,
        test_conditional_gets_are_304_while_scanners_flap,
    ])
