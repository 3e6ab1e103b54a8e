"""smsa-agent-mibs, as installed (no build tree): it fetches Debian's erlang-snmp, copies the
IETF base MIB modules into the folder given, and with them net-snmp's tools print names:
snmptranslate resolves smsaAgentMIB and smsaLinkDown, and snmptrapd prints a link-down
notification by name."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
import harness as h  # noqa: E402

ROOT = opslib.ROOT
HELPER = os.path.join(ROOT, "scripts", "smsa-agent-mibs")
# Clients read no snmp.conf of this machine: only the folders and modules named here.
ENV = dict(os.environ, SNMPCONFPATH="/nonexistent", MIBS="")


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120, **kw)


def translate(argv, env):
    """snmptranslate's answer alone: the notes net-snmp prints on stderr (for example
    "Created directory: .../cert_indexes" the first time a persistent folder is used) are
    kept out of it, and shown only when the answer is wrong."""
    r = subprocess.run(["snmptranslate"] + argv, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120, env=env)
    return r.stdout.strip(), "stdout: %r, stderr: %r" % (r.stdout, r.stderr)


def fetch(tmp):
    ietf = os.path.join(tmp, "ietf")
    r = run([HELPER, "--dir", ietf])
    if r.returncode != 0 and "cannot download erlang-snmp" in r.stdout:
        opslib.skip("apt-get download erlang-snmp failed here:\n" + r.stdout)
    assert r.returncode == 0, r.stdout
    for mod in ("SNMPv2-SMI", "SNMPv2-TC", "SNMPv2-CONF", "SNMPv2-MIB", "SNMP-FRAMEWORK-MIB",
                "INET-ADDRESS-MIB"):
        assert os.path.isfile(os.path.join(ietf, mod + ".txt")), (mod, os.listdir(ietf))
    assert not any(f.startswith("OTP-") for f in os.listdir(ietf))
    r = run([HELPER, "--dir", ietf])
    assert r.returncode == 0 and "already holds" in r.stdout, r.stdout
    return ietf


def test_names_resolve():
    with h.TempDir() as tmp:
        ietf = fetch(tmp)
        dirs = "%s:%s" % (ietf, os.path.join(ROOT, "mibs"))
        env = dict(ENV, SNMP_PERSISTENT_DIR=os.path.join(tmp, "state"))
        out, why = translate(["-M", dirs, "-m", "SMSA-AGENT-MIB", "-On",
                              "SMSA-AGENT-MIB::smsaAgentMIB"], env)
        assert out == ".1.3.6.1.4.1.32473", why
        out, why = translate(["-M", dirs, "-m", "SMSA-AGENT-MIB", ".1.3.6.1.4.1.32473.0.1"], env)
        assert out == "SMSA-AGENT-MIB::smsaLinkDown", why
        # the operator's form, -m +MODULE on top of net-snmp's default list
        out, why = translate(["-m", "+SMSA-AGENT-MIB", "-IR", "-On", "smsaAgentMIB"],
                             dict(env, MIBDIRS="+" + dirs))
        assert out.splitlines()[-1] == ".1.3.6.1.4.1.32473", why


def test_snmptrapd_prints_names():
    with h.TempDir() as tmp:
        ietf = fetch(tmp)
        dirs = "%s:%s" % (ietf, os.path.join(ROOT, "mibs"))
        port = h.free_port("udp")
        # The operator's files (docs/debian.md), in a folder of their own: Debian's
        # snmp.conf ("mibs :"), snmp.local.conf loading the module, snmptrapd.conf.
        conf = os.path.join(tmp, "etc")
        os.makedirs(conf)
        with open(os.path.join(conf, "snmp.conf"), "w") as f:
            f.write("mibs :\n")
        with open(os.path.join(conf, "snmp.local.conf"), "w") as f:
            f.write("mibdirs +%s\nmibs +SNMPv2-MIB:SMSA-AGENT-MIB\n" % dirs)
        with open(os.path.join(conf, "snmptrapd.conf"), "w") as f:
            f.write("authCommunity log public\n")
        log = os.path.join(tmp, "traps.log")
        trapd = h.Process(["snmptrapd", "-f", "-Lf", log, "-p", os.path.join(tmp, "pid"),
                           "udp:127.0.0.1:%d" % port],
                          log_path=os.path.join(tmp, "trapd.out"),
                          env=dict(os.environ, SNMPCONFPATH=conf,
                                   SNMP_PERSISTENT_DIR=os.path.join(tmp, "state")))
        with trapd:
            h.wait_until(lambda: os.path.exists(log), 5, what="snmptrapd's log")
            time.sleep(0.2)
            # smsaLinkDown with smsaLinkName.1 = "scanner1", sent numerically
            r = run(["snmptrap", "-v2c", "-c", "public", "-m", "", "127.0.0.1:%d" % port, "",
                     ".1.3.6.1.4.1.32473.0.1", ".1.3.6.1.4.1.32473.1.6.1.2.1", "s",
                     "scanner1"], env=ENV)
            assert r.returncode == 0, r.stdout
            h.wait_until(lambda: "smsaLinkDown" in open(log).read(), 5,
                         what="the trap by name in snmptrapd's log")
        text = open(log).read()
        assert "SMSA-AGENT-MIB::smsaLinkDown" in text, text
        assert re.search(r'SMSA-AGENT-MIB::smsaLinkName\.1 = STRING: "?scanner1', text), text


if __name__ == "__main__":
    h.run_tests([test_names_resolve, test_snmptrapd_prints_names])
