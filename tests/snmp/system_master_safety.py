"""Master mode opens no door it was not asked to: it listens on exactly the sockets its
configuration names (no SMUX on 0.0.0.0:199 even as root), refuses the well-known community
beyond loopback, and junk sent to it cannot grow the log."""
import os
import random
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402


def config(tmp, port, listen_host="127.0.0.1", community="sesame"):
    return h.base_config(
        tmp, snmp={"mode": "master", "master_listen": "udp:%s:%d" % (listen_host, port),
                   "community": community,
                   "agentx_socket": "unix:" + os.path.join(tmp, "none.sock")})


def listening(pid):
    """{(proto, local address)} of the sockets pid listens on, from ss."""
    out = subprocess.run(["ss", "-lnptuH"], capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        if re.search(r"pid=%d," % pid, line):
            f = line.split()
            found.add((f[0], f[4]))
    return found


def test_listens_only_where_configured():
    if os.geteuid() != 0:
        print("SKIP: needs root (net-snmp opens SMUX only as root)")
        return
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        cfg = config(tmp, port)
        http_port = int(cfg["http"]["listen"].rsplit(":", 1)[1])
        with h.Daemon(tmp, cfg) as d:
            d.wait_log(r"master agent listening")
            got = listening(d.pid)
            assert got == {("udp", "127.0.0.1:%d" % port), ("tcp", "127.0.0.1:%d" % http_port)}, \
                got


def test_well_known_community_refused_beyond_loopback():
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        for community in ("public", None):  # None: the default, which is "public"
            cfg = config(tmp, port, listen_host="0.0.0.0", community=community)
            if community is None:
                del cfg["snmp"]["community"]
            d = h.Daemon(tmp, cfg)
            d.write_config()
            out = subprocess.run([d.binary, "--check-config", "-c", d.config_path],
                                 capture_output=True, text=True)
            assert out.returncode == 1, out
            assert "snmp.community" in out.stderr and '"public"' in out.stderr, out.stderr
            d.start(wait=False)
            assert d.proc.wait(10) == 78, d.log()  # EX_CONFIG: systemd does not restart it
            assert "snmp.community" in d.log() and "udp:0.0.0.0" in d.log(), d.log()
            d.stop()
        # a secret of one's own passes; so does "public" on loopback
        for host, community in (("0.0.0.0", "s3cret-c0mm"), ("127.0.0.1", "public")):
            d = h.Daemon(tmp, config(tmp, port, listen_host=host, community=community))
            d.write_config()
            out = subprocess.run([d.binary, "--check-config", "-c", d.config_path],
                                 capture_output=True, text=True)
            assert out.returncode == 0, out


def ber_len(n):
    return bytes([n]) if n < 128 else bytes([0x81, n])


def tlv(tag, body):
    return bytes([tag]) + ber_len(len(body)) + body


def v2c_get(community, reqid):
    oid = bytes([0x2b, 6, 1, 2, 1, 1, 1, 0])
    vb = tlv(0x30, tlv(0x30, tlv(0x06, oid) + b"\x05\x00"))
    pdu = tlv(0xa0, tlv(0x02, reqid.to_bytes(4, "big")) + b"\x02\x01\x00\x02\x01\x00" + vb)
    return tlv(0x30, b"\x02\x01\x01" + tlv(0x04, community.encode()) + pdu)


def settled(d):
    """Waits (through REST) until every enabled peer has its first verdict: the daemon's own
    first events are written by then."""
    def read():
        flows = h.rest_json(d, "/api/v1/flows") or {}
        peers = [p for f in flows.get("items") or [] for p in f.get("peers") or []]
        return peers and all(p["state"] != "unknown" for p in peers if p["enabled"])
    h.wait_until(read, 30, what="every peer's first verdict")


def not_events(log):
    """The log's lines but the daemon's probe verdicts ("event ..."), which junk sent to the
    SNMP port cannot cause: they follow probe rounds, whatever arrives."""
    return [l for l in log.splitlines() if not re.search(r"^\S+ info: event ", l)]


def test_junk_does_not_grow_the_log():
    with h.TempDir() as tmp:
        port = h.free_port("udp")
        with h.Daemon(tmp, config(tmp, port)) as d:
            d.wait_log(r"master agent listening")
            target = "127.0.0.1:%d" % port
            assert s.walk(target, ".1.3.6.1.2.1.1.1", community="sesame")
            settled(d)
            before = len(not_events(d.log()))
            rnd = random.Random(12)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(5000):
                if i % 3 == 0:
                    pkt = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 120)))
                elif i % 3 == 1:
                    pkt = v2c_get("wrong", i)  # well formed, unknown community
                else:
                    good = v2c_get("sesame", i)
                    cut = rnd.randrange(1, len(good))
                    pkt = good[:cut] + bytes([rnd.randrange(256)]) + good[cut + 1:]
                sock.sendto(pkt, ("127.0.0.1", port))
                if i % 200 == 0:  # let the agent keep up: a full socket buffer drops
                    s.walk(target, ".1.3.6.1.2.1.1.1", community="sesame")
            sock.close()
            assert s.walk(target, ".1.3.6.1.2.1.1.1", community="sesame")
            lines = not_events(d.log())
            grown = len(lines) - before
            assert grown <= 12, "%d log lines for 5000 datagrams:\n%s" % (
                grown, "\n".join(lines[before:before + 20]))


if __name__ == "__main__":
    h.run_tests([
        test_listens_only_where_configured,
        test_well_known_community_refused_beyond_loopback,
        test_junk_does_not_grow_the_log,
    ])
