"""The Debian package, end to end, as root: build it with dpkg-buildpackage from a copy of
the source tree, lintian finds no error, `dpkg -i` creates the user, its state and config
folders and a random token the configuration names, and enables the unit; the installed
daemon runs as the unit's user with the unit's ExecStart (no systemd here: the test reads the
unit file) and answers REST to the token only; a refused configuration exits 78, which the
unit does not restart; an upgrade keeps the token; `dpkg -r` keeps the configuration;
`dpkg --purge` leaves no file of the package, no /etc/smsa-agent, no /var/lib/smsa-agent, and
none of the base MIB files smsa-agent-mibs recorded. The rules' promtool tests and the
OpenAPI document ship.

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
    # an installed agent answers no one without its token: generated at install
    assert conf["http"]["token_file"] == "/etc/smsa-agent/token", conf["http"]
    st = os.lstat("/etc/smsa-agent/token")
    assert st.st_uid == pw.pw_uid and st.st_mode & 0o7777 == 0o600, st
    assert re.fullmatch(r"[0-9a-f]{64}\n", token()), "not 32 random bytes in hex"
    doc = "/usr/share/doc/smsa-agent/"
    for shipped in ("openapi.yaml", "examples/prometheus/smsa-agent.rules.test.yml"):
        assert os.path.isfile(doc + shipped), doc + shipped + " is not shipped"
    if shutil.which("promtool"):
        r = run(["promtool", "test", "rules", "smsa-agent.rules.test.yml"],
                cwd=doc + "examples/prometheus")
        assert r.returncode == 0, r.stdout
    r = run(["smsa-agentd", "--check-config", "-c", "/etc/smsa-agent/smsa-agent.json"])
    assert r.returncode == 0, r.stdout
    # as root, --check-config also asks whether the service's user can read the token
    tok = "/etc/smsa-agent/token-test"
    with open(tok, "w") as f:
        f.write("s3cret-of-at-least-16\n")
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


def token():
    with open("/etc/smsa-agent/token") as f:
        return f.read()


def run_as_unit(tmp, unit):
    argv = shlex.split(unit_field(unit, "ExecStart"))
    user, group = unit_field(unit, "User"), unit_field(unit, "Group")
    d = NetnsDaemon(argv, user, group, os.path.join(tmp, "agentd.log"))
    try:
        h.wait_until(lambda: "running" in d.text() or d.proc.poll() is not None, 15,
                     what="the installed daemon")
        assert d.proc.poll() is None, d.text()
        r = d.inside(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                      "http://127.0.0.1:8161/api/v1/status"])
        assert r.stdout == "401", "answered without the token: " + r.stdout
        auth = "Authorization: Bearer " + token().strip()
        r = d.inside(["curl", "-sf", "-H", auth, "http://127.0.0.1:8161/api/v1/status"])
        assert r.returncode == 0, r.stdout + d.text()
        status = json.loads(r.stdout)
        assert status["role"] == "control-center", status
        # a REST write is saved by the service user into /etc/smsa-agent and logged
        r = d.inside(["curl", "-sf", "-X", "POST", "-H", auth, "-H", "Content-Type: application/json",
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
        mibs, fake_mibs = "/usr/share/snmp/mibs/ietf", False
        try:
            r = run(["dpkg", "-i", deb])
            assert r.returncode == 0, r.stdout
            files = [l for l in run(["dpkg", "-L", PKG], check=True).stdout.splitlines()
                     if l and not os.path.isdir(l)]
            unit = check_installed(tmp)
            run_as_unit(tmp, unit)
            # an upgrade (the same package again) keeps the token
            before = token()
            r = run(["dpkg", "-i", deb])
            assert r.returncode == 0, r.stdout
            assert token() == before, "the upgrade replaced the token"
            # what smsa-agent-mibs copied (it records the names) goes with the purge
            fake_mibs = not os.path.exists(mibs)
            if fake_mibs:
                os.makedirs(mibs)
                for name in ("SNMPv2-SMI.txt", "SNMPv2-TC.txt", "MINE.txt"):
                    open(os.path.join(mibs, name), "w").close()
                with open(os.path.join(mibs, ".smsa-agent-mibs"), "w") as f:
                    f.write("SNMPv2-SMI.txt\nSNMPv2-TC.txt\n../../../../etc/passwd\n")

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
            if fake_mibs:
                assert sorted(os.listdir(mibs)) == ["MINE.txt"], os.listdir(mibs)
                assert os.path.exists("/etc/passwd")
                shutil.rmtree(mibs)
            assert run(["dpkg-query", "-W", PKG]).returncode != 0 or not installed()
        finally:
            if fake_mibs and os.path.isdir(mibs):
                shutil.rmtree(mibs)
            if installed() or os.path.exists("/etc/smsa-agent"):
                run(["dpkg", "--purge", PKG])
            # purge keeps the system user (Debian's way); the machine is left as found
            if not had_user:
                run(["userdel", "smsa-agent"])
                run(["groupdel", "smsa-agent"])


pytestmark = opslib.needs_root("installing and purging the Debian package")

if __name__ == "__main__":
    h.run_tests([test_package])
