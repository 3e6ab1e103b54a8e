"""`cmake --install` (the second way in, after the Debian package) into a staging folder:
the daemon, smsa-agent-mibs, both man pages, the MIB where net-snmp looks, the unit with
RestartPreventExitStatus=78, the minimal configuration and the snmpd snippet in /etc, the
full example under doc; and a second install never overwrites an operator's files."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
import harness as h  # noqa: E402

ROOT = opslib.ROOT


def install(build, dest):
    r = subprocess.run(["cmake", "--install", build], env=dict(os.environ, DESTDIR=dest),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert r.returncode == 0, r.stdout


def prefix_of(build):
    with open(os.path.join(build, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith("CMAKE_INSTALL_PREFIX:"):
                return line.split("=", 1)[1].strip()
    raise AssertionError("no CMAKE_INSTALL_PREFIX in the cache")


def test_install_layout():
    build = os.environ.get("SMSA_BUILD_DIR") or os.path.join(ROOT, "build")
    prefix = prefix_of(build)
    with h.TempDir() as dest:
        install(build, dest)

        def at(p):
            return os.path.join(dest, p.lstrip("/"))
        for p in ("sbin/smsa-agentd", "sbin/smsa-agent-mibs"):
            assert os.access(at(os.path.join(prefix, p)), os.X_OK), p
        for p in ("share/man/man8/smsa-agentd.8", "share/man/man8/smsa-agent-mibs.8",
                  "share/doc/smsa-agent/examples/smsa-agent.json",
                  "share/doc/smsa-agent/examples/smsa-agent.conf",
                  "share/doc/smsa-agent/examples/prometheus/smsa-agent.rules.yml",
                  "share/doc/smsa-agent/examples/prometheus/snmp.yml"):
            assert os.path.isfile(at(os.path.join(prefix, p))), p
        assert os.path.isfile(at("/usr/share/snmp/mibs/SMSA-AGENT-MIB.txt"))
        unit = open(at(os.path.join(prefix, "lib/systemd/system/smsa-agentd.service"))).read()
        assert "RestartPreventExitStatus=78" in unit and "User=smsa-agent" in unit, unit
        keys = [l.split("=", 1)[0] for l in unit.splitlines() if "=" in l and l[0] != "#"]
        assert len(keys) == len(set(keys)), "a directive given twice: %s" % sorted(
            k for k in set(keys) if keys.count(k) > 1)
        assert "ExecStart=%s/sbin/smsa-agentd -f -c /etc/smsa-agent/smsa-agent.json" % prefix \
            in unit, unit
        conf = at("/etc/smsa-agent/smsa-agent.json")
        with open(conf) as f, open(os.path.join(ROOT, "etc", "smsa-agent.json")) as g:
            assert f.read() == g.read()
        snippet = at("/etc/snmp/snmpd.conf.d/smsa-agent.conf")
        assert "view systemonly included .1.3.6.1.4.1.32473" in open(snippet).read()

        for p in (conf, snippet):
            with open(p, "w") as f:
                f.write("# the operator's own\n")
        install(build, dest)
        for p in (conf, snippet):
            assert open(p).read() == "# the operator's own\n", "%s was overwritten" % p


if __name__ == "__main__":
    h.run_tests([test_install_layout])
