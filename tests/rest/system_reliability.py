"""Reliability of the REST face under hostile or unlucky conditions: a write that cannot be
made durable leaves the old file, clients outside http.allow cannot take connection slots,
narrowing http.allow or changing the token applies on reload, and names that are not UTF-8
get a proper problem answer."""
import json
import os
import pwd
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import harness  # noqa: E402


def refused(client, path="/healthz"):
    """True when the daemon closes the connection or answers 403."""
    try:
        st, h, b = client.get(path)
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
            __import__("http.client").client.RemoteDisconnected):
        return True
    if st == 403:
        restlib.check_problem(st, h, b, 403)
        return True
    return False


def test_write_not_durable_leaves_old_file():
    """Daemon as nobody, config folder mode 0300: the folder cannot be opened to be synced.
    PUT /api/v1/ntp is refused, the file is byte for byte the old one, and a SIGHUP keeps
    the running configuration as it was."""
    nobody = pwd.getpwnam("nobody")
    with harness.TempDir() as d:
        os.chmod(d, 0o711)
        conf = os.path.join(d, "conf")
        os.mkdir(conf)
        dm = restlib.RestDaemon(d)
        dm.config_path = os.path.join(conf, "smsa-agent.json")
        dm.write_config()
        os.chown(conf, nobody.pw_uid, nobody.pw_gid)
        os.chown(dm.config_path, nobody.pw_uid, nobody.pw_gid)
        os.chmod(conf, 0o300)
        with open(dm.config_path, "rb") as f:
            before = f.read()
        dm.write_config = lambda config=None: None  # the file is set up above
        wrapper = os.path.join(d, "as-nobody")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec /usr/bin/setpriv --reuid=%d --regid=%d --clear-groups %s \"$@\"\n"
                    % (nobody.pw_uid, nobody.pw_gid, dm.binary))
        os.chmod(wrapper, 0o755)
        dm.binary = wrapper
        dm.start()
        try:
            c = dm.client()
            ntp_before = c.json("/api/v1/ntp")
            st, h, b = c.request("PUT", "/api/v1/ntp",
                                 body={"enabled": True, "servers": ["192.0.2.123"]})
            restlib.check_problem(st, h, b, 500)
            assert os.listdir(conf) == ["smsa-agent.json"], os.listdir(conf)
            with open(dm.config_path, "rb") as f:
                assert f.read() == before, "the refused change is in the file"
            assert c.json("/api/v1/ntp") == ntp_before
            dm.signal(signal.SIGHUP)
            dm.wait_log(r"configuration reloaded")
            assert c.json("/api/v1/ntp") == ntp_before, "SIGHUP applied a refused change"
        finally:
            dm.stop()
            os.chmod(conf, 0o700)


def idle_connections(hosts, per_host, port):
    socks = []
    for h in hosts:
        for _ in range(per_host):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((h, 0))
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            socks.append(s)
    return socks


def test_disallowed_clients_take_no_slot():
    """allow 127.0.0.1/32; 256 idle connections from 127.0.0.2-5 (64 each, the per-address
    cap, 256 in all, the global cap): /healthz from 127.0.0.1 still answers."""
    with harness.TempDir() as d, restlib.RestDaemon(d, http={"allow": ["127.0.0.1/32"]}) as dm:
        socks = idle_connections(["127.0.0.%d" % i for i in range(2, 6)], 64, dm.port)
        try:
            time.sleep(0.5)
            st, _, b = dm.client().get("/healthz", timeout=10)
            assert st == 200, (st, b)
            assert "not in http.allow" in dm.log()
            # the refusals are logged a few times, not once per connection
            assert dm.log().count("not in http.allow") <= 10, dm.log()[-2000:]
        finally:
            for s in socks:
                s.close()


def test_idle_allowed_clients_give_way():
    """allow 127.0.0.0/8; 256 idle connections from four allowed addresses fill every slot:
    the idle ones are closed first and /healthz from a fifth address is answered."""
    with harness.TempDir() as d, restlib.RestDaemon(d, http={"allow": ["127.0.0.0/8"]}) as dm:
        socks = idle_connections(["127.0.0.%d" % i for i in range(2, 6)], 64, dm.port)
        try:
            time.sleep(0.5)
            st, _, b = dm.client().get("/healthz", timeout=20)
            assert st == 200, (st, b)
        finally:
            for s in socks:
                s.close()


def test_narrowed_allow_and_new_token_apply_on_reload():
    with harness.TempDir() as d, \
            restlib.RestDaemon(d, token=True, http={"allow": ["127.0.0.0/8"]}) as dm:
        other = restlib.Client(dm.port, token=dm.token, source="127.0.0.2")
        assert other.get("/api/v1/status")[0] == 200
        # a keep-alive connection opened before the change
        import http.client as hc
        keep = hc.HTTPConnection("127.0.0.1", dm.port, timeout=5, source_address=("127.0.0.2", 0))
        keep.request("GET", "/healthz")
        r = keep.getresponse()
        r.read()
        assert r.status == 200

        cfg = json.loads(json.dumps(dm.config))
        cfg["http"]["allow"] = ["127.0.0.1/32"]
        dm.write_config(cfg)
        new_token = "n3w-" + dm.token
        restlib.write_private(dm.config["http"]["token_file"], new_token + "\n")
        dm.signal(signal.SIGHUP)
        dm.wait_log(r"configuration reloaded")
        assert refused(other, "/api/v1/status"), "a client outside the new http.allow got in"
        keep.request("GET", "/healthz")
        r = keep.getresponse()
        assert r.status == 403, r.status
        keep.close()
        c = dm.client()
        assert c.get("/api/v1/status")[0] == 401, "the old token still works"
        c.token = new_token
        assert c.get("/api/v1/status")[0] == 200

        # A token file that became unusable keeps the previous token (never no token).
        os.chmod(dm.config["http"]["token_file"], 0o644)
        dm.signal(signal.SIGHUP)
        dm.wait_log(r"configuration reloaded", count=2)
        assert c.get("/api/v1/status")[0] == 200
        assert c.get("/api/v1/status", token=False)[0] == 401


def test_names_that_are_not_utf8():
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        for method, path, shown in (("GET", "/api/v1/scanners/%ff%fe", "\\xff\\xfe"),
                                    ("DELETE", "/api/v1/scanners/%c0%af", "\\xc0\\xaf"),
                                    ("GET", "/api/v1/scanners/a%00b", None)):
            st, h, b = c.request(method, path)
            doc = restlib.check_problem(st, h, b, 404)
            if shown:
                assert shown in doc["detail"], doc
        assert c.get("/healthz")[0] == 200


if __name__ == "__main__":
    harness.run_tests([
        test_write_not_durable_leaves_old_file,
        test_disallowed_clients_take_no_slot,
        test_idle_allowed_clients_give_way,
        test_narrowed_allow_and_new_token_apply_on_reload,
        test_names_that_are_not_utf8,
    ])
