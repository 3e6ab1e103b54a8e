"""A firewall's "no" is `prohibited`, the same over IPv4 and IPv6, for TCP and UDP checks
alike, and its detail names who answered; a missing route is `unreachable`. The daemon runs
in a private network namespace ("host") wired by a veth pair to a second one ("router"):

    host 10.1.2.1 / fd00:1::1  ==veth==  router 10.1.2.3 / fd00:1::3

The router forwards 10.9.0.0/16 and fd00:9::/32, and its firewall (nft, forward chain)
answers for them:
  10.9.0.0/24,  fd00:9::/64    `reject with icmpx admin-prohibited`
  10.9.1.0/24,  fd00:9:1::/64  `reject with icmp host-unreachable` / `icmpv6 addr-unreachable`
The host itself has a `prohibit` route to 10.8.0.0/24 and fd00:8::/64 (EACCES, no ICMP) and
an `unreachable` one to 10.7.0.0/24 and fd00:7::/64 (EHOSTUNREACH / ENETUNREACH).
(The router's own unreachable and prohibit routes answer too, but their ICMP errors are
rate-limited by a global sysctl a test must not touch: nft's rejects are not.)
Both namespaces vanish with the test; the machine's own network is never touched.

Beside, on loopback: a name that exists without an address reads `no address`, and c-ares'
messages are shown as c-ares writes them."""
import ctypes
import os
import shutil
import struct
import subprocess
import uuid

import pytest

import harness as h

CLONE_NEWNET = 0x40000000
ROUTER4, ROUTER6 = "10.1.2.3", "fd00:1::3"


def _sh(ns, script):
    p = subprocess.run(["ip", "netns", "exec", ns, "sh", "-ec", script], capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError("in netns %s: %s\n%s" % (ns, script, p.stderr))


class NetLab:
    """The two namespaces above; inside `with`, this thread (and every thread and process
    it starts) lives in the host namespace."""

    def __init__(self):
        tag = uuid.uuid4().hex[:8]
        self.host, self.router = "smsa-h-" + tag, "smsa-r-" + tag
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.home = None

    def __enter__(self):
        for ns in (self.host, self.router):
            subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
        try:
            subprocess.run(["ip", "link", "add", "a0", "netns", self.host, "type", "veth",
                            "peer", "name", "b0", "netns", self.router], check=True,
                           timeout=30)
            _sh(self.host, """
ip link set lo up
ip link set a0 up
ip addr add 10.1.2.1/24 dev a0
ip addr add fd00:1::1/64 dev a0 nodad
ip route add 10.9.0.0/16 via %s
ip -6 route add fd00:9::/32 via %s
ip route add prohibit 10.8.0.0/24
ip -6 route add prohibit fd00:8::/64
ip route add unreachable 10.7.0.0/24
ip -6 route add unreachable fd00:7::/64
""" % (ROUTER4, ROUTER6))
            _sh(self.router, """
ip link set lo up
ip link set b0 up
ip addr add %s/24 dev b0
ip addr add %s/64 dev b0 nodad
ip link add r1 type veth peer name r2
ip link set r1 up
ip link set r2 up
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
ip route add 10.9.0.0/24 dev r1
ip -6 route add fd00:9::/64 dev r1
ip route add 10.9.1.0/24 dev r1
ip -6 route add fd00:9:1::/64 dev r1
nft -f - <<'NFT'
table inet fw {
    chain forward {
        type filter hook forward priority 0;
        ip daddr 10.9.0.0/24 reject with icmpx admin-prohibited
        ip6 daddr fd00:9::/64 reject with icmpx admin-prohibited
        ip daddr 10.9.1.0/24 reject with icmp host-unreachable
        ip6 daddr fd00:9:1::/64 reject with icmpv6 addr-unreachable
    }
}
NFT
""" % (ROUTER4, ROUTER6))
            self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            self._enter("/run/netns/" + self.host)
        except BaseException:
            self._remove()
            raise
        return self

    def _enter(self, path):
        fd = os.open(path, os.O_RDONLY)
        try:
            if self.libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + path)
        finally:
            os.close(fd)

    def _remove(self):
        for ns in (self.host, self.router):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)

    def __exit__(self, *a):
        if self.home is not None:
            if self.libc.setns(self.home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
            os.close(self.home)
        self._remove()


def _lab_or_skip():
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces")
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            pytest.skip("needs %s" % tool)


def lab_config(tmp, **sections):
    # REST listens on the host namespace's own loopback; names are never resolved.
    return h.base_config(tmp, **sections)


def address_of(d, flow, host):
    """The address entry of `host` on flow `flow`, from REST, once its peer is down."""
    f = h.rest_json(d, "/api/v1/flows/%d" % flow) or {}
    for p in f.get("peers", []):
        if p["host"] == host and p["state"] == "down":
            return p
    return None


def wait_down(d, flow, host, timeout=15.0):
    return h._wait_rest(d, "flow %d peer %s down" % (flow, host),
                        lambda: address_of(d, flow, host), timeout)


# host -> (cause, detail) each check must report
TCP_CASES = {
    "10.9.0.5": ("prohibited", "administratively prohibited, from %s" % ROUTER4),
    "fd00:9::5": ("prohibited", "administratively prohibited, from %s" % ROUTER6),
    "10.8.0.5": ("prohibited", "administratively prohibited, by a route of this host"),
    "fd00:8::5": ("prohibited", "administratively prohibited, by a route of this host"),
    "10.9.1.5": ("unreachable", "host unreachable, from %s" % ROUTER4),
    "fd00:9:1::5": ("unreachable", "address unreachable, from %s" % ROUTER6),
    "10.7.0.5": ("unreachable", "no route to host"),
    "fd00:7::5": ("unreachable", "no route to host"),
}


def _entry(addr):
    return "[%s]" % addr if ":" in addr else addr


def test_tcp_firewall_no_is_prohibited_in_both_families():
    _lab_or_skip()
    with h.TempDir() as tmp, NetLab():
        scanners = [{"name": "s%d" % i, "host": _entry(a)} for i, a in enumerate(TCP_CASES)]
        cfg = lab_config(tmp, peers={"scanners": scanners})
        with h.Daemon(tmp, cfg) as d:
            for addr, want in TCP_CASES.items():
                p = wait_down(d, 11, addr)
                assert (p["cause"], p["detail"]) == want, (addr, p)
                # the link says the same, and so does the address
                a = p["addresses"][0]
                assert (a["cause"], a["detail"]) == want, (addr, a)


UDP_CASES = TCP_CASES


@pytest.mark.parametrize("flow", [7, 8], ids=["dns", "ntp"])
def test_udp_checks_learn_of_icmp_errors(flow):
    """DNS and NTP are UDP: before the error queue was read, a host unreachable or an
    ICMPv6 admin-prohibited was a timeout, or an `error` named "permission denied"."""
    _lab_or_skip()
    with h.TempDir() as tmp, NetLab():
        servers = [_entry(a) for a in UDP_CASES]
        if flow == 7:
            cfg = lab_config(tmp, peers={"scanners": [], "dns_servers": servers})
        else:
            cfg = lab_config(tmp, ntp={"enabled": True, "servers": servers})
        with h.Daemon(tmp, cfg) as d:
            for addr, want in UDP_CASES.items():
                p = wait_down(d, flow, addr)
                assert (p["cause"], p["detail"]) == want, (addr, p)


def nodata(n, req):
    """A DNS answer for every question: the name exists, with no record of that type."""
    ident, flags = struct.unpack(">HH", req[:4])
    return struct.pack(">HHHHHH", ident, 0x8180 | (flags & 0x0100), 1, 0, 0, 0) + req[12:]


def nxdomain(n, req):
    ident, flags = struct.unpack(">HH", req[:4])
    return struct.pack(">HHHHHH", ident, 0x8183 | (flags & 0x0100), 1, 0, 0, 0) + req[12:]


@pytest.mark.parametrize("reply,detail", [(nodata, "no address"),
                                          (nxdomain, "Domain name not found")],
                         ids=["nodata", "nxdomain"])
def test_resolver_words(reply, detail):
    """A name without an address is `no address`, as the README says; c-ares' own messages
    are not re-cased (it once read "dNS server returned answer with no data")."""
    with h.TempDir() as tmp, h.FakeUdpServer(reply) as dns:
        cfg = h.base_config(tmp, peers={"scanners": [{"name": "s1", "host": "noaddr.test"}]},
                            probe={"resolver": "127.0.0.1:%d" % dns.port})
        with h.Daemon(tmp, cfg) as d:
            link = h.wait_link(d, "s1", "down")
            assert (link["cause"], link["detail"]) == ("dns-failure", detail), link
