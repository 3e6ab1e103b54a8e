"""What an NMS reads over SNMP about a failure: the detail columns beside the causes
(smsaPeerDetail, smsaPeerAddressDetail, smsaLinkDetail) and the port actually probed
(smsaPeerPort): a scanner entry's port moves the link only, flows 16-18 keep theirs."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

PEER = s.OBJECTS + ".4.1"
ADDR = s.OBJECTS + ".5.1"
LINK = s.OBJECTS + ".6.1"


def column(target, oid):
    return {o[len(oid) + 1:]: v.strip('"') for o, _, v in s.walk(target, oid)}


def test_detail_columns_and_probed_ports():
    port = h.free_port("udp")
    closed = h.free_port()  # nothing listens: connection refused
    with h.TempDir() as tmp:
        cfg = h.base_config(
            tmp, peers={"scanners": [{"name": "gone", "host": "127.0.0.1:%d" % closed}]},
            snmp={"mode": "master", "master_listen": "udp:127.0.0.1:%d" % port,
                  "community": "public",
                  "agentx_socket": "unix:" + os.path.join(tmp, "none.sock")})
        with h.Daemon(tmp, cfg) as d:
            d.wait_log(r"master agent listening")
            h.wait_link(d, "gone", "down")
            for fid in (16, 17, 18):
                h.wait_peer(d, fid, "down")
            target = "127.0.0.1:%d" % port
            assert column(target, LINK + ".14") == {"1": "connection refused"}
            assert column(target, LINK + ".4") == {"1": str(closed)}
            ports = column(target, PEER + ".3")
            details = column(target, PEER + ".14")
            for fid, want in ((11, closed), (16, 41015), (17, 41016), (18, 41017)):
                assert ports["%d.1" % fid] == str(want), ports
                assert details["%d.1" % fid] == "connection refused", details
            addr = column(target, ADDR + ".9")
            assert any(k.startswith("11.1.") and v == "connection refused"
                       for k, v in addr.items()), addr


if __name__ == "__main__":
    h.run_tests([test_detail_columns_and_probed_ports])
