"""The shipped snmpd.conf snippet (etc/snmp/smsa-agent.conf) against Debian's own
snmpd.conf, taken unchanged from Debian's snmpd package except for the listening port and
the AgentX socket path (and includeDir pointing at a folder holding the snippet): a walk of
enterprises.32473 returns the appliance's objects, the subagent connecting as an
unprivileged user of group smsa-agent (the socket permissions the snippet sets). Then the
same snippet under a minimal non-Debian snmpd.conf, and a trap that snmptrapd prints by
name with the base MIBs of smsa-agent-mibs. snmpd logs no warning at start and none per
notification, and an SNMPv1 `trapsink` gets the link-down trap too. The docs' way to see
traps in snmptrapd's journal works where Debian's unit (`-LOw`) shows none."""
import grp
import json
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
import harness as h  # noqa: E402

ROOT = opslib.ROOT
SNIPPET = os.path.join(ROOT, "etc", "snmp", "smsa-agent.conf")
ENTERPRISE = ".1.3.6.1.4.1.32473"
CLIENT_ENV = dict(os.environ, MIBS="", SNMPCONFPATH="/nonexistent")
GROUP = "smsa-agent"


def pristine_snmpd_conf(tmp):
    x = opslib.debian_package("snmpd", tmp)
    if not x:
        opslib.skip("cannot get Debian's snmpd package (apt-get download snmpd failed)")
    with open(os.path.join(x, "etc", "snmp", "snmpd.conf")) as f:
        return f.read()


def debian_conf(text, port, socket, include_dir):
    """Debian's file with only the port, the socket and the include folder changed."""
    out, n = re.subn(r"(?m)^agentaddress\s+.*$", "agentaddress udp:127.0.0.1:%d" % port, text)
    assert n == 1, "Debian's snmpd.conf has no single agentaddress line"
    out, n = re.subn(r"(?m)^(master\s+agentx)\s*$",
                     r"\1\nagentXSocket unix:%s" % socket, out)
    assert n == 1, "Debian's snmpd.conf has no 'master agentx' line"
    out, n = re.subn(r"(?m)^includeDir\s+/etc/snmp/snmpd.conf.d\s*$",
                     "includeDir %s" % include_dir, out)
    assert n == 1, "Debian's snmpd.conf has no includeDir line"
    return out


class Snmpd(h.Process):
    def __init__(self, tmp, conf_text, name):
        self.conf = os.path.join(tmp, name + ".conf")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        # as Debian's unit runs it: privileges dropped to Debian-snmp
        super().__init__(["snmpd", "-f", "-Lo", "-C", "-c", self.conf, "-u", "Debian-snmp",
                          "-g", "Debian-snmp", "-I", "-smux,mteTrigger,mteTriggerConf",
                          "-p", os.path.join(tmp, name + ".pid")],
                         log_path=os.path.join(tmp, name + ".log"),
                         env=dict(CLIENT_ENV,
                                  SNMP_PERSISTENT_DIR=os.path.join(tmp, name + "-state")))


def start_subagent(tmp, socket, scanners=()):
    cfg = h.base_config(tmp, snmp={"mode": "subagent", "agentx_socket": socket,
                                   "ping_interval_s": 1},
                        http={"listen": None},
                        peers={"scanners": list(scanners)})
    h.check_loopback_only(cfg)
    path = os.path.join(tmp, "agent-%s.json" % os.path.basename(os.path.dirname(socket)))
    with open(path, "w") as f:
        json.dump(cfg, f)
    os.chmod(path, 0o644)
    log = path + ".log"
    argv = opslib.as_user("nobody", GROUP, [h.agentd_path(), "-f", "-c", path])
    p = h.Process(argv, log_path=log).start()
    try:
        h.wait_until(lambda: "AgentX session to the master agent is open" in open(log).read()
                     or p.proc.poll() is not None, 15, what="AgentX session")
    except AssertionError:
        p.stop()
        raise AssertionError("subagent did not connect:\n" + open(log).read()[-3000:])
    if p.proc.poll() is not None:
        raise AssertionError("subagent exited:\n" + open(log).read()[-3000:])
    return p


def walk(port):
    r = subprocess.run(["snmpwalk", "-v2c", "-c", "public", "-On", "-t", "3", "-r", "1",
                        "127.0.0.1:%d" % port, ENTERPRISE], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=CLIENT_ENV, timeout=60)
    return r.stdout


def run_in(tmp, conf_text, name, scanners=(), then=None):
    """snmpd on conf_text, our subagent, a walk: the walk's text (then() runs before the
    subagent stops)."""
    sockdir = os.path.join(tmp, name + "-agentx")
    snmpd = Snmpd(tmp, conf_text, name).start()
    try:
        socket = os.path.join(sockdir, "master")
        h.wait_until(lambda: os.path.exists(socket) or snmpd.proc.poll() is not None, 10,
                     what="snmpd's AgentX socket")
        assert snmpd.proc.poll() is None, open(snmpd.log_path).read()
        st = os.stat(socket)
        assert grp.getgrgid(st.st_gid).gr_name == GROUP and st.st_mode & 0o060 == 0o060, \
            "socket %s: gid %d mode %o" % (socket, st.st_gid, st.st_mode)
        agent = start_subagent(tmp, socket, scanners)
        try:
            out = walk_until_registered(agent_port(conf_text))
            if then:
                then()
            return out
        finally:
            agent.stop()
    finally:
        snmpd.stop()


def agent_port(conf_text):
    return int(re.search(r"(?m)^agentaddress udp:127\.0\.0\.1:(\d+)", conf_text).group(1))


def walk_until_registered(port):
    out = ""

    def ok():
        nonlocal out
        out = walk(port)
        return (ENTERPRISE + ".1.") in out
    try:
        h.wait_until(ok, 15, step=0.5, what="the subtree in a walk")
    except AssertionError:
        raise AssertionError("walk of %s through snmpd:\n%s" % (ENTERPRISE, out))
    return out


# What snmpd must not say with the snippet: a start warning ("Can't identify user (root).")
# or one per notification ("send_trap: v1 traps can't carry Counter64 varbinds", "failed to
# convert v2->v1 template PDU").
COMPLAINT = re.compile(r"can't|cannot|warning|error|fail|counter64|convert", re.I)


def complaints(tmp, name):
    with open(os.path.join(tmp, name + ".log"), errors="replace") as f:
        return [line for line in f.read().splitlines() if COMPLAINT.search(line)]


def stock_conf_with_snippet(tmp, name, sinks):
    """Debian's snmpd.conf reading a folder with the snippet and the operator's sink lines."""
    text = pristine_snmpd_conf(tmp)
    incl = os.path.join(tmp, name + ".conf.d")
    os.makedirs(incl)
    with open(SNIPPET) as f, open(os.path.join(incl, "smsa-agent.conf"), "w") as g:
        g.write(f.read())
    with open(os.path.join(incl, "nms.conf"), "w") as f:
        f.write("".join(line + "\n" for line in sinks))
    return debian_conf(text, h.free_port("udp"), os.path.join(tmp, name + "-agentx", "master"),
                       incl)


def snmptrapd(tmp, port, name):
    """snmptrapd on port logging every trap (numeric OIDs) to tmp/name.log."""
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write("disableAuthorization yes\n")
    log = os.path.join(tmp, name + ".log")
    return log, h.Process(["snmptrapd", "-f", "-On", "-Lf", log, "-C", "-c", conf, "-p",
                           os.path.join(tmp, name + ".pid"), "udp:127.0.0.1:%d" % port],
                          log_path=os.path.join(tmp, name + ".out"),
                          env=dict(CLIENT_ENV,
                                   SNMP_PERSISTENT_DIR=os.path.join(tmp, name + "-st")))


def check_walk(out):
    """The appliance's name (smsaApplianceName.0) and the whole flow table are there."""
    assert '%s.1.1.1.0 = STRING: "cc-test"' % ENTERPRISE in out, out
    ports = re.findall(r"(?m)^%s\.1\.3\.1\.2\.(\d+) = \w+: (\d+)$" % re.escape(ENTERPRISE), out)
    assert ("11", "41002") in ports and len(ports) == 20, ports


pytestmark = opslib.needs_root("running snmpd as Debian does (privileges dropped to "
                              "Debian-snmp)")


@pytest.fixture(scope="module", autouse=True)
def with_group():
    """The group smsa-agent is present during the tests (the package creates it; created here
    for the tests and removed again when it was not there)."""
    try:
        grp.getgrnam(GROUP)
        created = False
    except KeyError:
        subprocess.run(["groupadd", "--system", GROUP], check=True)
        created = True
    try:
        yield
    finally:
        if created:
            subprocess.run(["groupdel", GROUP], check=False)


def test_debian_stock_snmpd_conf():
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)  # the subagent runs as nobody
        text = pristine_snmpd_conf(tmp)
        incl = os.path.join(tmp, "snmpd.conf.d")
        os.makedirs(incl)
        with open(SNIPPET) as f, open(os.path.join(incl, "smsa-agent.conf"), "w") as g:
            g.write(f.read())
        # the operator's trap sink, in a file of its own next to the snippet
        trap_port = h.free_port("udp")
        with open(os.path.join(incl, "nms.conf"), "w") as f:
            f.write("trap2sink 127.0.0.1:%d public\n" % trap_port)
        with open(os.path.join(tmp, "snmptrapd.conf"), "w") as f:
            f.write("disableAuthorization yes\n")
        traps = os.path.join(tmp, "traps.log")
        trapd = h.Process(["snmptrapd", "-f", "-On", "-Lf", traps, "-C", "-c",
                           os.path.join(tmp, "snmptrapd.conf"), "-p",
                           os.path.join(tmp, "trapd.pid"), "udp:127.0.0.1:%d" % trap_port],
                          log_path=os.path.join(tmp, "trapd.out"),
                          env=dict(CLIENT_ENV, SNMP_PERSISTENT_DIR=os.path.join(tmp, "ts")))
        closed = h.free_port()  # a scanner nobody listens for: its link goes down

        def link_down_trap():
            h.wait_until(lambda: os.path.exists(traps) and
                         (ENTERPRISE + ".0.1") in open(traps).read(), 15,
                         what="smsaLinkDown through snmpd's trap sink")
        port = h.free_port("udp")
        conf = debian_conf(text, port, os.path.join(tmp, "debian-agentx", "master"), incl)
        with trapd:
            out = run_in(tmp, conf, "debian",
                         scanners=[{"name": "scanner1", "host": "127.0.0.1:%d" % closed}],
                         then=link_down_trap)
        check_walk(out)
        assert '"scanner1"' in open(traps).read() or "scanner1" in open(traps).read()
        # nothing at start (agentXPerms) and nothing per notification (the sequence number)
        assert complaints(tmp, "debian") == [], open(os.path.join(tmp, "debian.log")).read()


def test_v1_trapsink_gets_link_down():
    """An SNMPv1 trapsink (RFC 3584 conversion by snmpd) receives smsaLinkDown: enterprise
    smsaAgentMIB, specific trap 1, with the link's name; snmpd logs no conversion warning."""
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        trap_port = h.free_port("udp")
        conf = stock_conf_with_snippet(tmp, "v1", ["trapsink 127.0.0.1:%d public" % trap_port])
        log, trapd = snmptrapd(tmp, trap_port, "v1-traps")
        closed = h.free_port()

        def received():
            return open(log, errors="replace").read() if os.path.exists(log) else ""

        def v1_link_down():
            try:
                h.wait_until(lambda: "Enterprise Specific Trap (1)" in received() and
                             "scanner1" in received(), 15, what="smsaLinkDown as an SNMPv1 trap")
            except AssertionError:
                raise AssertionError("snmptrapd got:\n%s\nsnmpd said:\n%s" % (
                    received(), open(os.path.join(tmp, "v1.log")).read()))
        with trapd:
            run_in(tmp, conf, "v1", scanners=[{"name": "scanner1",
                                               "host": "127.0.0.1:%d" % closed}],
                   then=v1_link_down)
        assert re.search(re.escape(ENTERPRISE) + r"\s", received()), received()
        assert complaints(tmp, "v1") == [], open(os.path.join(tmp, "v1.log")).read()


def unit_snmptrapd_args(text):
    """The arguments of the snmptrapd command in the last ExecStart= with one."""
    found = re.findall(r"ExecStart=/usr/sbin/snmptrapd ([^\n'\\]*)", text)
    assert found, "no ExecStart=/usr/sbin/snmptrapd in:\n" + text
    return found[-1].split()


def test_snmptrapd_journal_shows_traps():
    """What journalctl -u snmptrapd shows is snmptrapd's stdout: under the ExecStart of
    Debian's unit no trap is there; under the drop-in that docs/debian.md writes it is."""
    with h.TempDir() as tmp:
        x = opslib.debian_package("snmptrapd", tmp)
        if not x:
            opslib.skip("cannot get Debian's snmptrapd package (apt-get download failed)")
        with open(os.path.join(x, "lib", "systemd", "system", "snmptrapd.service")) as f:
            stock = unit_snmptrapd_args(f.read())
        with open(os.path.join(ROOT, "docs", "debian.md")) as f:
            documented = unit_snmptrapd_args(f.read())
        conf = os.path.join(tmp, "snmptrapd.conf")
        with open(conf, "w") as f:
            f.write("authCommunity log public\n")  # as docs/debian.md adds it
        shown = {}
        for name, args in (("stock", stock), ("documented", documented)):
            port = h.free_port("udp")
            # the listening addresses of the unit (udp:162 udp6:162) become a free loopback
            # port; -Lf adds a file that logs everything, to know the trap arrived
            opts = [a for a in args if not re.match(r"udp6?:\d+$", a)]
            every = os.path.join(tmp, name + ".all")
            trapd = h.Process(["/usr/sbin/snmptrapd"] + opts +
                              ["-Lf", every, "-C", "-c", conf, "udp:127.0.0.1:%d" % port],
                              log_path=os.path.join(tmp, name + ".stdout"),
                              env=dict(CLIENT_ENV,
                                       SNMP_PERSISTENT_DIR=os.path.join(tmp, name + "-st")))
            with trapd:
                def arrived():
                    subprocess.run(["snmptrap", "-v2c", "-c", "public", "127.0.0.1:%d" % port,
                                    "", ENTERPRISE + ".0.1", ENTERPRISE + ".1.6.1.2.1", "s",
                                    "scanner1"], env=CLIENT_ENV, check=True)
                    return os.path.exists(every) and "scanner1" in open(every).read()
                h.wait_until(arrived, 15, step=0.5, what="the trap at snmptrapd (%s)" % name)
            with open(trapd.log_path, errors="replace") as f:
                shown[name] = f.read()
        assert "scanner1" not in shown["stock"], shown["stock"]
        assert '"scanner1"' in shown["documented"], shown["documented"]


def widening_lines():
    """From docs/debian.md: the sed that keeps "public" to this host, the nms.conf lines
    (SNMPv3) and the NMS's own community line (SNMPv2c)."""
    with open(os.path.join(ROOT, "docs", "debian.md")) as f:
        text = f.read()
    sed = re.search(r"(?ms)^(sed -i .*?/etc/snmp/snmpd\.conf)$", text)
    nms = re.search(r"(?ms)^cat > /etc/snmp/snmpd\.conf\.d/nms\.conf <<'EOF'\n(.*?)^EOF$", text)
    community = re.search(r"`(rocommunity \S+ 192\.0\.2\.10 -V systemonly)`", text)
    assert sed and nms and community, "docs/debian.md lacks the agentaddress advice"
    return sed.group(1).replace("\\\n", " "), nms.group(1), community.group(1)


def reads_subtree(port, source, *auth):
    r = subprocess.run(["snmpget", "--clientaddr=" + source, "-On", "-t", "1", "-r", "0"] +
                       list(auth) + ["127.0.0.1:%d" % port, ENTERPRISE + ".1.1.1.0"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=CLIENT_ENV, timeout=30)
    return '"cc-test"' in r.stdout


def test_widening_agentaddress_as_documented():
    """Debian's "rocommunity public default" answers any source, and the snippet puts the
    appliance's subtree in its view: another host reads it once snmpd listens beyond
    loopback. The documented lines close that, and let the NMS in by SNMPv3 or by a
    community of its own from its address; "public" from this host still reads."""
    sed, nms_conf, community = widening_lines()
    nms, other = "127.0.0.2", "127.0.0.4"  # the NMS and another host, as loopback sources
    v3 = ["-v3", "-l", "authPriv", "-u", "nms", "-a", "SHA", "-A", "auth passphrase", "-x",
          "AES", "-X", "priv passphrase"]
    public = ["-v2c", "-c", "public"]
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        seen = {}
        for case in ("before", "after"):
            wide = "agentaddress udp:127.0.0.3:%d" % h.free_port("udp")
            conf = stock_conf_with_snippet(tmp, case, [wide] if case == "before" else [])
            if case == "after":
                path = os.path.join(tmp, case + ".conf")
                with open(path, "w") as f:
                    f.write(conf)
                subprocess.run(["sh", "-c", sed.replace("/etc/snmp/snmpd.conf", path)],
                               check=True)
                with open(path) as f:
                    conf = f.read()
                assert not re.search(r"(?m)^rocommunity6? +public +default", conf), conf
                lines = nms_conf.replace("agentaddress udp:161,udp6:161", wide) + \
                    community.replace("192.0.2.10", nms) + "\n"
                with open(os.path.join(tmp, case + ".conf.d", "nms.conf"), "w") as f:
                    f.write(lines)
            port = agent_port(conf)

            def look():
                seen[case] = {
                    "public from another host": reads_subtree(port, other, *public),
                    "public from this host": reads_subtree(port, "127.0.0.1", *public),
                    "SNMPv3 user from the NMS": reads_subtree(port, nms, *v3),
                    "NMS community from the NMS": reads_subtree(
                        port, nms, "-v2c", "-c", community.split()[1]),
                    "NMS community from another host": reads_subtree(
                        port, other, "-v2c", "-c", community.split()[1]),
                }
            run_in(tmp, conf, case, then=look)
        assert seen["before"]["public from another host"], seen  # the exposure
        assert seen["after"] == {
            "public from another host": False,
            "public from this host": True,
            "SNMPv3 user from the NMS": True,
            "NMS community from the NMS": True,
            "NMS community from another host": False,
        }, seen


def test_other_snmpd_conf():
    """A minimal snmpd.conf of another system: the snippet brings agent, view and access."""
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        port = h.free_port("udp")
        conf = "agentaddress udp:127.0.0.1:%d\nagentXSocket unix:%s\nincludeFile %s\n" % (
            port, os.path.join(tmp, "other-agentx", "master"), SNIPPET)
        check_walk(run_in(tmp, conf, "other"))


if __name__ == "__main__":
    h.run_tests([test_debian_stock_snmpd_conf, test_v1_trapsink_gets_link_down,
                 test_snmptrapd_journal_shows_traps, test_widening_agentaddress_as_documented,
                 test_other_snmpd_conf])
