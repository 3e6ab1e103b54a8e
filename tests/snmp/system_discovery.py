"""NMS discovery by SNMP's conventions: through a real snmpd, sysORTable lists SMSA-AGENT-MIB
(the subagent's AgentX AddAgentCaps), also again after snmpd restarts; in master mode
sysObjectID.0 is the product's own OID under the enterprise, sysDescr.0 names smsa-agentd
and its version, and sysORTable lists SMSA-AGENT-MIB too."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SYS_OR_ID = ".1.3.6.1.2.1.1.9.1.2"
SYS_OR_DESCR = ".1.3.6.1.2.1.1.9.1.3"
SYS_DESCR = ".1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = ".1.3.6.1.2.1.1.2.0"
MIB_OID = s.ROOT_OID  # smsaAgentMIB, the MODULE-IDENTITY
PRODUCT_OID = s.ROOT_OID + ".3.1"  # smsaAgentProduct


def version():
    out = subprocess.run([h.agentd_path(), "--version"], stdout=subprocess.PIPE,
                         text=True).stdout
    return out.split()[-1]


def sys_or_entries(target, community="public"):
    rows = s.walk(target, ".1.3.6.1.2.1.1.9", community=community)
    ids = {o.rsplit(".", 1)[1]: v for o, _, v in rows if o.startswith(SYS_OR_ID + ".")}
    descrs = {o.rsplit(".", 1)[1]: v for o, _, v in rows if o.startswith(SYS_OR_DESCR + ".")}
    return {v: descrs.get(i) for i, v in ids.items()}


def test_subagent_registers_in_sysortable():
    with h.TempDir() as tmp:
        snmpd = s.Snmpd(tmp).start()
        cfg = h.base_config(tmp, snmp={"mode": "subagent",
                                       "agentx_socket": "unix:" + snmpd.socket,
                                       "ping_interval_s": 1})
        try:
            assert MIB_OID not in sys_or_entries(snmpd.target)
            with h.Daemon(tmp, cfg) as d:
                d.wait_log(r"AgentX session to the master agent is open")
                entries = h.wait_until(
                    lambda: (lambda e: e if MIB_OID in e else None)(sys_or_entries(snmpd.target)),
                    10, step=0.2, what="SMSA-AGENT-MIB in sysORTable")
                assert "SMSA-AGENT-MIB" in entries[MIB_OID], entries[MIB_OID]
                # a new snmpd knows nothing of us: the entry comes back with the session
                snmpd.kill()
                snmpd = s.Snmpd(tmp, port=snmpd.port).start()
                d.wait_log(r"AgentX session to the master agent is open", count=2, timeout=15)
                h.wait_until(lambda: MIB_OID in sys_or_entries(snmpd.target), 10, step=0.2,
                             what="SMSA-AGENT-MIB in sysORTable after an snmpd restart")
            # and it leaves with the subagent
            h.wait_until(lambda: MIB_OID not in sys_or_entries(snmpd.target), 10, step=0.2,
                         what="the entry gone with the subagent")
        finally:
            snmpd.stop()


def test_master_mode_names_the_product():
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        cfg = h.base_config(tmp, snmp={"mode": "master", "community": "sesame",
                                       "master_listen": "udp:127.0.0.1:%d" % port})
        with h.Daemon(tmp, cfg) as d:
            d.wait_log(r"master agent listening")
            target = "127.0.0.1:%d" % port
            out = s.run(["snmpget", "-v2c", "-c", "sesame", "-On", target, SYS_OBJECT_ID,
                         SYS_DESCR])
            got = {o: v for o, _, v in s.parse_varbinds(out)}
            assert got[SYS_OBJECT_ID] == PRODUCT_OID, got
            assert re.match(r"smsa-agentd %s\b" % re.escape(version()), got[SYS_DESCR]), got
            entries = sys_or_entries(target, community="sesame")
            assert MIB_OID in entries, entries
            # with the MIB loaded, an NMS reads the names
            out = s.run(["snmptranslate"] + s.mib_args() + [PRODUCT_OID])
            assert "smsaAgentProduct" in out, out


if __name__ == "__main__":
    h.run_tests([test_subagent_registers_in_sysortable, test_master_mode_names_the_product])
