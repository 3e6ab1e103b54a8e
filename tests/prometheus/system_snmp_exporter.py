"""The shipped snmp_exporter module (etc/prometheus/snmp.yml, module smsa) under Debian's
real prometheus-snmp-exporter (0.21), walking a real snmpd with the agent as its AgentX
subagent: link, flow, peer and NTP server states come out labelled by name. snmp.yml is
what the generator makes of the shipped generator.yml and the MIB."""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "snmp"))
import harness as h  # noqa: E402
import mibdirs  # noqa: E402
import snmpenv as s  # noqa: E402

ETC = os.path.join(h.ROOT, "etc", "prometheus")
SCANNER_PORT = 41002


def exporter_binary():
    return shutil.which("prometheus-snmp-exporter") or "/usr/bin/prometheus-snmp-exporter"


def test_snmp_yml_is_generated_from_generator_yml():
    gen = shutil.which("prometheus-snmp-generator")
    assert gen, "prometheus-snmp-generator is not installed"
    with h.TempDir() as tmp:
        shutil.copy(os.path.join(ETC, "generator.yml"), tmp)
        env = dict(os.environ, MIBDIRS="%s:%s" % (mibdirs.base_mibs(), mibdirs.MIB_DIR))
        r = subprocess.run([gen, "--fail-on-parse-errors", "generate"], cwd=tmp, env=env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        with open(os.path.join(tmp, "snmp.yml")) as f:
            fresh = f.read()
    with open(os.path.join(ETC, "snmp.yml")) as f:
        shipped = f.read()
    assert fresh == shipped, "etc/prometheus/snmp.yml is stale: regenerate it (generator.yml)"


def samples(text, name):
    """[(labels dict, value)] of one metric in exposition text."""
    out = []
    for m in re.finditer(r"^%s\{([^}]*)\} (\S+)$" % re.escape(name), text, re.M):
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1)))
        out.append((labels, float(m.group(2))))
    return out


def one(text, name, **want):
    hits = [lv for lv in samples(text, name)
            if all(lv[0].get(k) == v for k, v in want.items())]
    assert len(hits) == 1, (name, want, hits, samples(text, name)[:10])
    return hits[0][1]


def test_module_smsa_labels_states_by_name():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        snmpd = s.Snmpd(tmp).start()
        up = h.FakeScanner("127.0.0.2", SCANNER_PORT).start()
        ntp = h.FakeUdpServer(lambda n, req: None).start()  # never answers: a timeout
        cfg = h.base_config(
            tmp,
            peers={"scanners": [{"name": "edge-up", "host": "127.0.0.2"},
                                {"name": "edge-gone", "host": "127.0.0.3"}]},
            ntp={"enabled": True, "servers": ["127.0.0.1:%d" % ntp.port]},
            snmp={"mode": "subagent", "agentx_socket": "unix:" + snmpd.socket})
        d = h.Daemon(tmp, cfg).start()
        port = h.free_port()
        exporter = h.Process([exporter_binary(),
                              "--config.file=" + os.path.join(ETC, "snmp.yml"),
                              "--web.listen-address=127.0.0.1:%d" % port],
                             log_path=os.path.join(tmp, "exporter.log")).start()
        try:
            d.wait_log(r"AgentX session to the master agent is open")
            h.wait_link(d, "edge-up", "up")
            h.wait_link(d, "edge-gone", "down")
            h.wait_peer(d, "8", "down", timeout=15)
            h.wait_appliance(d, "edge-gone", "down")

            def scrape():
                try:
                    st, _, body = h.http_get(port, "/snmp?module=smsa&target=" + snmpd.target,
                                             timeout=20)
                except OSError:
                    return None
                return body.decode() if st == 200 else None
            text = h.wait_until(scrape, 20, step=0.3, what="snmp_exporter answers")
            if os.environ.get("SMSA_DUMP"):
                print(text)

            # Links: a state set labelled with the scanner's name.
            assert one(text, "smsaLinkStatus", smsaLinkName="edge-up", smsaLinkStatus="up") == 1
            assert one(text, "smsaLinkStatus", smsaLinkName="edge-up",
                       smsaLinkStatus="down") == 0
            assert one(text, "smsaLinkStatus", smsaLinkName="edge-gone",
                       smsaLinkStatus="down") == 1
            assert one(text, "smsaLinkCause_info", smsaLinkName="edge-gone",
                       smsaLinkCause="refused") == 1
            # Flows: by the vendor's purpose and port, the index kept.
            assert one(text, "smsaFlowStatus", smsaFlowIndex="11", smsaFlowPort="41002",
                       smsaFlowPurpose="Control Center-Scanner communication",
                       smsaFlowStatus="degraded") == 1
            # Peers: by host, under their flow's purpose.
            assert one(text, "smsaPeerStatus", smsaFlowIndex="11", smsaPeerHost="127.0.0.3",
                       smsaPeerStatus="down") == 1
            assert one(text, "smsaPeerCause_info", smsaFlowIndex="11", smsaPeerHost="127.0.0.2",
                       smsaPeerCause="none") == 1
            # NTP servers: by host.
            assert one(text, "smsaNtpServerStatus", smsaNtpServerHost="127.0.0.1",
                       smsaNtpServerStatus="down") == 1
            assert one(text, "smsaNtpServerCause_info", smsaNtpServerHost="127.0.0.1",
                       smsaNtpServerCause="timeout") == 1
            assert one(text, "smsaApplianceRole_info", smsaApplianceRole="controlCenter") == 1
            assert sum(v for _, v in samples(text, "smsaOverallStatus")) == 1
            # The fleet: by the appliance's name; on-box, measured from the appliance.
            assert one(text, "smsaApplianceStatus", smsaApplianceLabel="edge-gone",
                       smsaApplianceStatus="down") == 1
            assert one(text, "smsaApplianceFleetRole_info", smsaApplianceLabel="cc-test",
                       smsaApplianceFleetRole="controlCenter") == 1
            assert one(text, "smsaAgentPlacement_info", smsaAgentPlacement="onBox") == 1
            assert one(text, "smsaFlowMeasuredFrom_info", smsaFlowIndex="11",
                       smsaFlowMeasuredFrom="appliance") == 1
        finally:
            exporter.stop()
            d.stop()
            up.stop()
            ntp.stop()
            snmpd.stop()


if __name__ == "__main__":
    h.run_tests([test_snmp_yml_is_generated_from_generator_yml,
                 test_module_smsa_labels_states_by_name])
