"""`--check-config` means "will start": for each setting that start refuses (listening
beyond loopback without a token, a token file readable by group or others or unreadable by
the user running the daemon, TLS files missing, unparseable or not a pair, a listen address
or allow entry that does not parse), --check-config exits 1 with the reason, and start
exits 78 (EX_CONFIG) with the same reason. A file that passes the check starts."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
import harness as h  # noqa: E402


def agentd(args, user=None):
    argv = [h.agentd_path()] + args
    if user:
        argv = opslib.as_user(user, user if user != "nobody" else "nogroup", argv)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=30)
    return r.returncode, r.stdout


def write_config(tmp, http, name="smsa-agent.json"):
    cfg = h.base_config(tmp, http=http)
    h.check_loopback_only(cfg)
    path = os.path.join(tmp, name)
    import json
    with open(path, "w") as f:
        json.dump(cfg, f)
    os.chmod(path, 0o644)
    return path


def refused(path, reason, user=None):
    """--check-config says no (1) and start says no (78), both giving the reason."""
    rc, out = agentd(["--check-config", "-c", path], user)
    assert rc == 1 and reason in out, "--check-config: exit %d, want 1 and %r:\n%s" % (
        rc, reason, out)
    rc, out = agentd(["-f", "-c", path], user)
    assert rc == 78 and reason in out, "start: exit %d, want 78 and %r:\n%s" % (rc, reason, out)


def accepted(tmp, path):
    rc, out = agentd(["--check-config", "-c", path])
    assert rc == 0 and "configuration is valid" in out, out
    d = h.Daemon(tmp, None)
    d.config_path = path
    d.write_config = lambda config=None: None  # start the very file that was checked
    d.start()
    assert d.stop() == 0


def service_uid():
    """The service user's uid when --check-config, run as root, checks files as that user."""
    if os.geteuid() != 0:
        return None
    import pwd
    try:
        return pwd.getpwnam("smsa-agent").pw_uid
    except KeyError:
        return None


def for_service(tmp, *paths):
    """Files the service can read: its own, in a folder it can enter."""
    os.chmod(tmp, 0o755)
    uid = service_uid()
    if uid is not None:
        for p in paths:
            os.chown(p, uid, -1)


def token(tmp, mode, name="token"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("s3cret-token-of-28-characters\n")
    os.chmod(path, mode)
    for_service(tmp, path)
    return path


def test_beyond_loopback_without_token():
    with h.TempDir() as tmp:
        path = write_config(tmp, {"listen": "0.0.0.0:%d" % h.free_port()})
        refused(path, "beyond loopback without http.token_file")


def test_token_file_modes():
    with h.TempDir() as tmp:
        for mode in (0o640, 0o604):
            path = write_config(tmp, {"token_file": token(tmp, mode)})
            refused(path, "is accessible by group or others")
        path = write_config(tmp, {"token_file": token(tmp, 0o600)})
        accepted(tmp, path)
        path = write_config(tmp, {"token_file": os.path.join(tmp, "missing")})
        refused(path, "cannot read http.token_file")
        short = os.path.join(tmp, "short")
        with open(short, "w") as f:
            f.write("fifteen-chars-x\n")
        os.chmod(short, 0o600)
        path = write_config(tmp, {"token_file": short})
        refused(path, "holds a token of 15 characters; at least 16 are needed")


def test_token_file_unreadable_by_the_service_user():
    """A token file only root can read: refused when the daemon runs as another user, and by
    --check-config run as root (it checks as the service user smsa-agent when it exists)."""
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        path = write_config(tmp, {"token_file": token(tmp, 0o600)})
        if os.geteuid() == 0:
            os.chown(os.path.join(tmp, "token"), 0, 0)
            refused(path, "cannot read http.token_file", user="nobody")
            if service_uid() is None:
                print("(no user smsa-agent here: the root path of --check-config is covered "
                      "by ops.system_deb)")
                return
            os.chown(os.path.join(tmp, "token"), 0, 0)
            rc, out = agentd(["--check-config", "-c", path])
            assert rc == 1 and "user smsa-agent (the service's user) cannot read" in out, out
        else:
            os.chmod(os.path.join(tmp, "token"), 0o000)
            refused(path, "cannot read http.token_file")


def test_tls_files():
    with h.TempDir() as tmp:
        def pem(*args):
            subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        other = os.path.join(tmp, "other.pem")
        pem("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost")
        pem("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-out", other)
        garbage = os.path.join(tmp, "garbage.pem")
        with open(garbage, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        refused(write_config(tmp, {"tls_cert": os.path.join(tmp, "none.pem"), "tls_key": key}),
                "cannot read http.tls_cert")
        refused(write_config(tmp, {"tls_cert": garbage, "tls_key": key}), "http.tls_cert")
        refused(write_config(tmp, {"tls_cert": cert, "tls_key": garbage}), "http.tls_key")
        refused(write_config(tmp, {"tls_cert": cert, "tls_key": other}), "http.tls_cert")
        for_service(tmp, cert, key)
        accepted(tmp, write_config(tmp, {"tls_cert": cert, "tls_key": key}))


def test_addresses_that_do_not_parse():
    with h.TempDir() as tmp:
        refused(write_config(tmp, {"listen": "127.0.0.1:99999"}), "http.listen")
        refused(write_config(tmp, {"allow": ["127.0.0.0/8", "10.0.0.0/33"]}), "http.allow[1]")


def test_bad_file_exits_78():
    """A file that does not parse: --check-config 1 with line and column, start 78."""
    with h.TempDir() as tmp:
        path = os.path.join(tmp, "smsa-agent.json")
        with open(path, "w") as f:
            f.write('{"probe": {"interval_ms": 10,}}\n')
        refused(path, "smsa-agent.json:1:")


if __name__ == "__main__":
    h.run_tests([test_bad_file_exits_78, test_beyond_loopback_without_token, test_token_file_modes,
                 test_token_file_unreadable_by_the_service_user, test_tls_files,
                 test_addresses_that_do_not_parse])
