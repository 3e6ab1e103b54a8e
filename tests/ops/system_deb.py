"""The Debian package, end to end, as root: build it with dpkg-buildpackage from a copy of
the source tree, lintian finds no error, `dpkg -i` creates the user, its state and config
folders and enables the unit; the installed daemon runs as the unit's user with the unit's
ExecStart (no systemd here: the test reads the unit file) and answers REST; a refused
configuration exits 78, which the unit does not restart; `dpkg -r` keeps the configuration;
`dpkg --purge` leaves no file of the package, no /etc/smsa-agent, no /var/lib/smsa-agent.

The daemon runs in a network namespace of its own (loopback only): nothing it does can
leave the box, and its port 8161 cannot clash with anything else."""
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
import harness as h  # noqa: E402

ROOT = opslib.ROOT
PKG = "smsa-agent"
UNIT = "/lib/systemd/system/smsa-agentd.service"
ENABLED = "/etc/systemd/system/multi-user.target.wants/smsa-agentd.service"


def run(argv, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    kw.setdefault("text", True)
    return subprocess.run(argv, **kw)


def installed():
    r = run(["dpkg-query", "-W", "-f=${Status}", PKG])
    return r.returncode == 0 and "installed" in r.stdout


def copy_source(dst):
    """The working tree as git sees it (tracked and new files, no build folders)."""
    files = run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"],
                check=True).stdout.split("\0")
    for rel in filter(None, files):
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, rel))


def build(tmp):
    src = os.path.join(tmp, "src")
    copy_source(src)
    r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src)
    assert r.returncode == 0, "dpkg-buildpackage failed:\n" + r.stdout[-6000:]
    debs = [f for f in os.listdir(tmp) if re.match(r"smsa-agent_.*\.deb$", f)]
    changes = [f for f in os.listdir(tmp) if f.endswith(".changes")]
    assert len(debs) == 1 and len(changes) == 1, os.listdir(tmp)
    return os.path.join(tmp, debs[0]), os.path.join(tmp, changes[0])


def lintian(changes):
    r = run(["lintian", "--pedantic", "--display-info", changes])
    print("lintian output:\n" + (r.stdout.strip() or "(nothing)"), flush=True)
    errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
    assert not errors, "lintian errors:\n" + "\n".join(errors)


def unit_field(text, key):
    m = re.search(r"(?m)^%s=(.*)$" % key, text)
    assert m, "%s has no %s=" % (UNIT, key)
    return m.group(1).strip()


NETNS = None  # set in main: whether the daemon gets a network namespace of its own


class NetnsDaemon:
    """argv as user:group in a new network namespace with only loopback up. Where the host
    allows no namespaces (some containers), in the host's: the installed configuration
    probes nothing beyond the box and the test adds only a loopback scanner."""

    def __init__(self, argv, user, group, log):
        self.log = log
        self.out = open(log, "wb")
        argv = opslib.as_user(user, group, argv)
        if NETNS:
            inner = "ip link set lo up && exec " + " ".join(shlex.quote(a) for a in argv)
            argv = ["unshare", "--net", "sh", "-c", inner]
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def inside(self, argv):
        if not NETNS:
            return run(argv, timeout=30)
        return run(["nsenter", "--net=/proc/%d/ns/net" % self.proc.pid] + argv, timeout=30)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


def check_installed(tmp):
    pw = pwd.getpwnam("smsa-agent")
    assert grp.getgrgid(pw.pw_gid).gr_name == "smsa-agent"
    for d in ("/var/lib/smsa-agent", "/etc/smsa-agent"):
        st = os.stat(d)
        assert st.st_uid == pw.pw_uid and st.st_mode & 0o777 == 0o750, (d, st)
    assert os.path.islink(ENABLED), "the unit is not enabled (%s)" % ENABLED
    assert os.path.exists("/usr/share/snmp/mibs/SMSA-AGENT-MIB.txt")
    assert os.path.exists("/usr/share/man/man8/smsa-agentd.8.gz")
    assert os.access("/usr/sbin/smsa-agent-mibs", os.X_OK)
    # the conffile probes nothing beyond the box; the full example is documentation
    with open("/etc/smsa-agent/smsa-agent.json") as f:
        conf = json.load(f)
    assert not conf["peers"]["scanners"] and not any(u["enabled"] for u in conf["updates"])
    assert os.path.exists("/usr/share/doc/smsa-agent/examples/smsa-agent.json")
    with open(UNIT) as f:
        unit = f.read()
    assert unit_field(unit, "RestartPreventExitStatus") == "78"
    r = run(["smsa-agentd", "--check-config", "-c", "/etc/smsa-agent/smsa-agent.json"])
    assert r.returncode == 0, r.stdout
    # as root, --check-config also asks whether the service's user can read the token
    tok = "/etc/smsa-agent/token"
    with open(tok, "w") as f:
        f.write("s3cret\n")
    os.chmod(tok, 0o600)
    conf["http"]["token_file"] = tok
    with open(os.path.join(tmp, "token.json"), "w") as f:
        json.dump(conf, f)
    r = run(["smsa-agentd", "--check-config", "-c", os.path.join(tmp, "token.json")])
    assert r.returncode == 1 and "user smsa-agent (the service's user) cannot read" in r.stdout, \
        r.stdout
    os.chown(tok, pwd.getpwnam("smsa-agent").pw_uid, -1)
    r = run(["smsa-agentd", "--check-config", "-c", os.path.join(tmp, "token.json")])
    assert r.returncode == 0, r.stdout
    os.unlink(tok)
    return unit


def run_as_unit(tmp, unit):
    argv = shlex.split(unit_field(unit, "ExecStart"))
    user, group = unit_field(unit, "User"), unit_field(unit, "Group")
    d = NetnsDaemon(argv, user, group, os.path.join(tmp, "agentd.log"))
    try:
        h.wait_until(lambda: "running" in d.text() or d.proc.poll() is not None, 15,
                     what="the installed daemon")
        assert d.proc.poll() is None, d.text()
        r = d.inside(["curl", "-sf", "http://127.0.0.1:8161/api/v1/status"])
        assert r.returncode == 0, r.stdout + d.text()
        status = json.loads(r.stdout)
        assert status["role"] == "control-center", status
        # a REST write is saved by the service user into /etc/smsa-agent and logged
        r = d.inside(["curl", "-sf", "-X", "POST", "-H", "Content-Type: application/json",
                      "-d", '{"name": "scanner1", "host": "127.0.0.1"}',
                      "http://127.0.0.1:8161/api/v1/scanners"])
        assert r.returncode == 0, r.stdout + d.text()
        with open("/etc/smsa-agent/smsa-agent.json") as f:
            assert json.load(f)["peers"]["scanners"][0]["name"] == "scanner1"
        h.wait_until(lambda: re.search(r"changed by REST client 127\.0\.0\.1 .*peers\.scanners",
                                       d.text()), 5, what="the write in the log")
    finally:
        rc = d.stop()
    assert rc == 0, "SIGTERM: exit %s\n%s" % (rc, d.text())

    # a configuration the daemon refuses: exit 78, which the unit does not restart
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{"http": {"listen": "0.0.0.0:8161"}, "updates": []}\n')
    os.chmod(bad, 0o644)
    os.chmod(tmp, 0o755)
    argv[argv.index("-c") + 1] = bad
    d = NetnsDaemon(argv, user, group, os.path.join(tmp, "bad.log"))
    try:
        d.proc.wait(15)
    finally:
        d.stop()
    assert d.proc.returncode == 78, (d.proc.returncode, d.text())
    assert "beyond loopback without http.token_file" in d.text(), d.text()


def test_package():
    if installed() or os.path.exists("/etc/smsa-agent"):
        opslib.skip("smsa-agent is installed here (or /etc/smsa-agent exists): not touching it")
    for tool in ("dpkg-buildpackage", "lintian", "curl"):
        if not shutil.which(tool):
            opslib.skip("%s is not installed" % tool)
    global NETNS
    NETNS = opslib.namespaces_ok()
    if not NETNS:
        print("no network namespaces here: the installed daemon runs in the host's", flush=True)
        if h.tcp_listeners(8161):
            opslib.skip("port 8161 is taken and no network namespace can be made")
    try:
        pwd.getpwnam("smsa-agent")
        had_user = True
    except KeyError:
        had_user = False
    with h.TempDir() as tmp:
        t0 = time.monotonic()
        deb, changes = build(tmp)
        print("built %s in %.0f s" % (os.path.basename(deb), time.monotonic() - t0), flush=True)
        lintian(changes)
        try:
            r = run(["dpkg", "-i", deb])
            assert r.returncode == 0, r.stdout
            files = [l for l in run(["dpkg", "-L", PKG], check=True).stdout.splitlines()
                     if l and not os.path.isdir(l)]
            unit = check_installed(tmp)
            run_as_unit(tmp, unit)

            r = run(["dpkg", "-r", PKG])
            assert r.returncode == 0, r.stdout
            assert os.path.exists("/etc/smsa-agent/smsa-agent.json"), "remove lost the config"
            assert os.path.isdir("/var/lib/smsa-agent"), "remove lost the state"
            assert not os.path.exists("/usr/sbin/smsa-agentd")

            r = run(["dpkg", "--purge", PKG])
            assert r.returncode == 0, r.stdout
            left = [f for f in files + ["/etc/smsa-agent", "/var/lib/smsa-agent", ENABLED,
                                        "/usr/share/doc/smsa-agent"]
                    if os.path.lexists(f)]
            assert not left, "left after purge: %s" % left
            assert run(["dpkg-query", "-W", PKG]).returncode != 0 or not installed()
        finally:
            if installed() or os.path.exists("/etc/smsa-agent"):
                run(["dpkg", "--purge", PKG])
            # purge keeps the system user (Debian's way); the machine is left as found
            if not had_user:
                run(["userdel", "smsa-agent"])
                run(["groupdel", "smsa-agent"])


pytestmark = opslib.needs_root("installing and purging the Debian package")

if __name__ == "__main__":
    h.run_tests([test_package])
