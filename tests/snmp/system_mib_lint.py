"""SMSA-AGENT-MIB lints clean with smilint -l 6 and loads with snmptranslate."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402
from mibdirs import MIB_DIR, MODULE, base_mibs, snmp_mib_args  # noqa: E402

MIB_FILE = os.path.join(MIB_DIR, MODULE + ".txt")


def test_smilint_level6_clean():
    env = dict(os.environ, SMIPATH=base_mibs())
    r = subprocess.run(["smilint", "-l", "6", "-s", MIB_FILE], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Only our module counts: warnings raised inside the IETF base modules do not.
    ours = [l for l in r.stdout.splitlines() if MODULE in l or "SMSA-AGENT" in l]
    assert r.returncode == 0 and not ours, "smilint:\n" + r.stdout


def test_snmptranslate_loads():
    r = subprocess.run(["snmptranslate"] + snmp_mib_args() + ["-Tp"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    bad = [l for l in r.stdout.splitlines()
           if re.search(r"Cannot find|Unlinked|Undefined|Did not find|Bad", l)]
    assert not bad, "\n".join(bad)
    for name in ("smsaAgentMIB(32473)", "smsaFlowTable", "smsaPeerTable", "smsaLinkTable",
                 "smsaNtpServerTable", "smsaUpdateSourceTable", "smsaNtpEnabled",
                 "smsaFlowPort", "smsaFlowProtocol", "smsaFlowStatus", "smsaLinkName",
                 "smsaLinkStatus", "smsaLinkCause", "smsaLinkLastChange", "smsaLinkDown",
                 "smsaLinkUp", "smsaGroups", "smsaAgentPlacement", "smsaAgentVantage",
                 "smsaFlowMeasuredFrom", "smsaApplianceTable", "smsaApplianceStatus",
                 "smsaApplianceDown", "smsaApplianceUp"):
        assert name in r.stdout, name


def test_oids_under_documentation_pen():
    r = subprocess.run(["snmptranslate"] + snmp_mib_args() +
                       ["-On", "SMSA-AGENT-MIB::smsaLinkStatus"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.stdout.strip() == ".1.3.6.1.4.1.32473.1.6.1.7", r.stdout


def test_module_identity_and_values():
    text = open(MIB_FILE).read()
    assert re.search(r"smsaAgentMIB\s+MODULE-IDENTITY", text)
    assert "REVISION" in text and "MODULE-COMPLIANCE" in text
    # Status words are the REST API's (State in api/openapi.yaml), '-' removed in camelCase.
    for w in ("unknown(1)", "up(2)", "degraded(3)", "down(4)", "disabled(5)",
              "unconfigured(6)", "notApplicable(7)", "refused(3)", "dnsFailure(5)",
              "kissOfDeath(7)", "notListening(8)"):
        assert w in text, w


if __name__ == "__main__":
    run_tests([test_smilint_level6_clean, test_snmptranslate_loads,
               test_oids_under_documentation_pen, test_module_identity_and_values])
