"""Shared helpers for system tests: free ports, temp folders, fake peers and the real daemon.

Run with /usr/bin/python3 (Debian's, which also sees python3-pysnmp4). Everything here
listens on loopback only and every process started is stopped by its pid.
"""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def agentd_path():
    p = os.environ.get("SMSA_AGENTD")
    if p:
        return p
    for cand in ("build/agent/smsa-agentd", "../build/agent/smsa-agentd"):
        full = os.path.join(ROOT, cand)
        if os.path.exists(full):
            return full
    raise RuntimeError("set SMSA_AGENTD to the smsa-agentd binary")


def free_port(kind="tcp", host="127.0.0.1"):
    """A port that is free for kind on host right now (bind to 0 and release)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    typ = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(fam, typ) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_port_both(host="127.0.0.1"):
    """A port free for both TCP and UDP (for servers like dnsmasq)."""
    for _ in range(50):
        p = free_port("tcp", host)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((host, p))
            return p
        except OSError:
            continue
    raise RuntimeError("no free port")


def wait_until(pred, timeout=10.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


def _close_listener(server):
    """Closes a fake server's listening socket and every connection it accepted."""
    if server.sock:
        try:
            server.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        server.sock.close()
        server.sock = None
    for c in server.conns:
        c.close()
    server.conns = []


class FakeScanner:
    """A TCP listener on (host, port) that accepts and holds connections, optionally sending
    a greeting. stop() closes the listener and every accepted connection."""

    def __init__(self, host, port, greeting=None):
        self.host, self.port, self.greeting = host, port, greeting
        self.sock = None
        self.conns = []
        self.thread = None
        self.accepted = 0

    def start(self):
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(128)
        self.sock = s
        self.thread = threading.Thread(target=self._accept, args=(s,), daemon=True)
        self.thread.start()
        return self

    def _accept(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            self.accepted += 1
            if self.greeting is not None:
                try:
                    c.sendall(self.greeting)
                except OSError:
                    pass
            self.conns.append(c)
            # Do not hold an unbounded number of connections: the probe closes its side.
            if len(self.conns) > 64:
                old = self.conns.pop(0)
                old.close()

    def stop(self):
        _close_listener(self)
        if self.thread:
            self.thread.join(2)
            self.thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def base_config(tmpdir, http_port=None, **sections):
    """A configuration for tests: fast probes, no vendor update hosts, no resolver traffic
    beyond loopback, SNMP off and REST on a free loopback port unless overridden."""
    cfg = {
        "appliance": {"name": "cc-test", "role": "control-center"},
        "peers": {"scanners": []},
        "ntp": {"enabled": False, "servers": []},
        "updates": [],
        "probe": {"interval_ms": 300, "timeout_ms": 200, "fail_threshold": 2,
                  "recover_threshold": 1, "resolver": "127.0.0.1:9"},
        "snmp": {"mode": "off"},
        "http": {"listen": "127.0.0.1:%d" % (http_port or free_port())},
        "state_dir": tmpdir,  # the index map lives with the test, not in /var/lib
    }
    for k, v in sections.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k].update(v)
        else:
            cfg[k] = v
    return cfg


def check_loopback_only(cfg):
    """Tests never send traffic beyond loopback: names are resolved by a loopback server and
    the vendor's update hosts (the default of an absent "updates") are never probed."""
    if not isinstance(cfg, dict):
        return
    resolver = (cfg.get("probe") or {}).get("resolver") or ""
    if not all(s.strip().startswith(("127.", "[::1]")) for s in resolver.split(",")):
        raise AssertionError("test config must set probe.resolver to a loopback server")
    if "updates" not in cfg:
        raise AssertionError("test config must set updates (the defaults are Internet hosts)")


class FakeUdpServer:
    """A UDP server on 127.0.0.1 whose replies come from reply(n, request), n counting
    requests from 0; None sends nothing. Records the arrival time of every request."""

    def __init__(self, reply, bufsize=4096):
        self.reply = reply
        self.bufsize = bufsize
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.times = []
        self.thread = None

    @property
    def requests(self):
        return len(self.times)

    def start(self):
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def _serve(self):
        while True:
            try:
                req, peer = self.sock.recvfrom(self.bufsize)
            except OSError:
                return
            if peer is None:  # the socket was shut down
                return
            self.times.append(time.monotonic())
            try:
                out = self.reply(len(self.times) - 1, req)
                if out is not None:
                    self.sock.sendto(out, peer)
            except (OSError, IndexError, struct.error):
                continue

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self.thread:
            self.thread.join(2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


class Daemon:
    """smsa-agentd in the foreground on a config written into tmpdir; its log is
    tmpdir/agentd.log."""

    def __init__(self, tmpdir, config, args=(), binary=None, env=None):
        self.tmpdir = tmpdir
        self.config = config
        self.args = list(args)
        self.binary = binary or agentd_path()
        self.env = env
        self.config_path = os.path.join(tmpdir, "smsa-agent.json")
        self.log_path = os.path.join(tmpdir, "agentd.log")
        self.proc = None
        self._log = None

    def write_config(self, config=None):
        if config is not None:
            self.config = config
        check_loopback_only(self.config)
        tmp = self.config_path + ".new"
        with open(tmp, "w") as f:
            json.dump(self.config, f, indent=2)
        os.replace(tmp, self.config_path)

    def start(self, wait=True):
        self.write_config()
        self.started_config = self.config  # REST listens as this says until a restart
        self._log = open(self.log_path, "ab")
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen([self.binary, "-f", "-c", self.config_path] + self.args,
                                     stdout=self._log, stderr=subprocess.STDOUT, env=env)
        if wait:
            self.wait_log(r"smsa-agentd .* running", timeout=10)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=10.0, count=1):
        rx = re.compile(pattern)

        def found():
            if self.proc.poll() is not None and len(rx.findall(self.log())) < count:
                raise AssertionError("daemon exited (%s) before %r; log:\n%s"
                                     % (self.proc.returncode, pattern, self.log()[-4000:]))
            return len(rx.findall(self.log())) >= count
        try:
            return wait_until(found, timeout, what=pattern)
        except AssertionError:
            sys.stderr.write(self.log()[-4000:])
            raise

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def reload(self, config):
        """SIGHUP with config in the file; returns once the daemon has applied it
        (config_generation of GET /api/v1/status moved on)."""
        def generation():
            status = rest_json(self, "/api/v1/status", config=self.started_config) or {}
            return status.get("config_generation")
        before = generation()
        assert before is not None, "GET /api/v1/status did not answer before the reload"
        self.write_config(config)
        self.signal(signal.SIGHUP)
        wait_until(lambda: (generation() or 0) > before, 10, what="the configuration reloaded")

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None
        # A sanitizer build (-DSMSA_SANITIZE=ON) reports into the log: any report fails.
        text = self.log() if os.path.exists(self.log_path) else ""
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in text:
                raise AssertionError("sanitizer report in the daemon's log:\n" +
                                     text[text.index(marker) - 200:][:4000])
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


class TempDir:
    def __init__(self, prefix="smsa-test-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def __enter__(self):
        return self.path

    def __exit__(self, *a):
        if os.environ.get("SMSA_KEEP_TMP"):
            sys.stderr.write("kept %s\n" % self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


class Process:
    """Any helper process (dnsmasq, chronyd, snmpd, ...), stopped by its pid."""

    def __init__(self, argv, log_path=None, env=None):
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.proc = None

    def start(self):
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                     env=self.env)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=5):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def http_get(port, path, headers=None, host="127.0.0.1", timeout=5):
    """(status, headers dict lower-cased, body bytes) of a GET."""
    import http.client
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def run_tests(tests):
    """`python3 tests/<area>/system_x.py [pytest options]` runs the file under pytest, as
    ctest does (selection with -k, fixtures of tests/conftest.py); exits with pytest's code.
    `tests` names the file's tests for the reader: pytest collects every test_* function."""
    import pytest
    main = sys.modules["__main__"].__file__
    sys.exit(pytest.main([os.path.abspath(main), "-q"] + sys.argv[1:]))


# ---- State read from the REST face (GET /api/v1/...), not from the log's text. ----

def rest_json(daemon, path, config=None):
    """GET path on the daemon's REST listener (its config's http.listen, or that of `config`,
    with the bearer token of http.token_file when there is one); the decoded body, or None
    when the answer is not 200 or nothing answers."""
    import http.client
    httpc = (config or daemon.config).get("http") or {}
    host, _, port = httpc["listen"].rpartition(":")
    headers = {}
    if httpc.get("token_file"):
        with open(httpc["token_file"]) as f:
            headers["Authorization"] = "Bearer " + f.read().strip()
    c = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=5)
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        body = r.read()
        return json.loads(body) if r.status == 200 else None
    except OSError:
        return None
    finally:
        c.close()


def _wait_rest(daemon, what, read, timeout):
    def found():
        if daemon.proc.poll() is not None:
            raise AssertionError("daemon exited (%s) while waiting for %s; log:\n%s"
                                 % (daemon.proc.returncode, what, daemon.log()[-4000:]))
        return read()
    return wait_until(found, timeout, what=what)


def wait_link(daemon, name, state, timeout=10.0):
    """Waits until GET /api/v1/links shows link `name` in `state`; returns the link."""
    def read():
        links = rest_json(daemon, "/api/v1/links") or {"items": []}
        got = [l for l in links["items"] if l["name"] == name and l["state"] == state]
        return got[0] if got else None
    return _wait_rest(daemon, "link %s %s" % (name, state), read, timeout)


def wait_flow(daemon, flow, state, timeout=10.0):
    """Waits until GET /api/v1/flows/<flow> is in `state`; returns the flow."""
    def read():
        f = rest_json(daemon, "/api/v1/flows/%d" % int(flow))
        return f if f and f["state"] == state else None
    return _wait_rest(daemon, "flow %s %s" % (flow, state), read, timeout)


def wait_peer(daemon, flow, state, timeout=10.0):
    """Waits until a peer of flow `flow` (GET /api/v1/flows/<flow>) is in `state`; returns
    that peer."""
    def read():
        f = rest_json(daemon, "/api/v1/flows/%d" % int(flow))
        got = [p for p in (f or {}).get("peers", []) if p["state"] == state]
        return got[0] if got else None
    return _wait_rest(daemon, "a peer of flow %s %s" % (flow, state), read, timeout)


# ---- Added for the core system tests (events, dnsmasq, chronyd, process stats). ----

_EVENT_RX = re.compile(r"\bevent (link|peer|flow|addrset|ntp|config|appliance) (.*)$")
_FIELD_RX = re.compile(r"(\w+)=(.*?)(?= \w+=|$)")


def parse_events(text):
    """Every `event <kind> k=v ...` line of a daemon log, as dicts with 'kind' and the fields
    (values are strings; 'addresses' keeps its spaces)."""
    out = []
    for line in text.splitlines():
        m = _EVENT_RX.search(line)
        if not m:
            continue
        ev = {"kind": m.group(1)}
        for k, v in _FIELD_RX.findall(m.group(2).strip()):
            ev[k] = v.strip()
        out.append(ev)
    return out


def _event_matches(ev, kind, match):
    if kind is not None and ev["kind"] != kind:
        return False
    for k, v in match.items():
        want = str(v)
        if ev.get(k) != want:
            return False
    return True


def log_mark(daemon):
    """A position in the daemon's log: events after it are the ones that happen next."""
    return len(parse_events(daemon.log()))


def events(daemon, kind=None, since=0, **match):
    """Events of the daemon's log after mark `since`, of `kind`, whose fields equal match
    (e.g. events(d, "link", name="scanner1", state="down"))."""
    evs = parse_events(daemon.log())[since:]
    return [e for e in evs if _event_matches(e, kind, match)]


def wait_event(daemon, kind, since=0, timeout=10.0, **match):
    """Waits for the first matching event after `since` and returns it; fails early when the
    daemon exits, and shows the log tail on failure."""
    def found():
        if daemon.proc.poll() is not None:
            raise AssertionError("daemon exited (%s) while waiting for %s %s; log:\n%s"
                                 % (daemon.proc.returncode, kind, match, daemon.log()[-4000:]))
        got = events(daemon, kind, since, **match)
        return got[0] if got else None
    try:
        return wait_until(found, timeout, what="event %s %s" % (kind, match))
    except AssertionError:
        sys.stderr.write(daemon.log()[-4000:])
        raise


def proc_status(pid):
    """/proc/<pid>/status as a dict of its fields; sizes (VmRSS, VmHWM, ...) in KiB as int."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            v = v.strip()
            if v.endswith(" kB"):
                out[k] = int(v[:-3])
            else:
                out[k] = v
    return out


def proc_cpu_seconds(pid):
    """utime + stime of a process in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
    return ticks / os.sysconf("SC_CLK_TCK")


class PortLock:
    """An exclusive lock named after a fixed port (e.g. 41002, the scanner port that fake
    scanners and the inbound listen check share), so that tests run in parallel by
    `ctest -j` take turns on it. Held for the whole test program."""

    def __init__(self, port, timeout=240):
        self.port, self.timeout, self.fd = port, timeout, None

    def __enter__(self):
        import fcntl
        path = os.path.join(tempfile.gettempdir(), "smsa-test-port-%d.lock" % self.port)
        self.fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError("port %d lock held too long by another test" % self.port)
                time.sleep(0.1)

    def __exit__(self, *a):
        os.close(self.fd)  # closing releases the flock
        self.fd = None


def tcp_listeners(port):
    """Local addresses with a TCP socket in LISTEN on port, from /proc/net/tcp{,6}."""
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local, st = parts[1], parts[3]
                    addr, _, p = local.rpartition(":")
                    if st == "0A" and int(p, 16) == port:
                        found.append(addr)
        except OSError:
            continue
    return found


class Dnsmasq(Process):
    """dnsmasq answering on 127.0.0.1:port from a hosts file (name -> addresses) that can be
    rewritten and re-read with reload(). Authoritative for the given domains (NXDOMAIN or
    NODATA, never REFUSED, for names it does not have); forwards nothing."""

    def __init__(self, tmpdir, records, port=None, domains=("test",)):
        self.port = port or free_port_both()
        self.hosts_path = os.path.join(tmpdir, "dnsmasq.hosts")
        self.pid_path = os.path.join(tmpdir, "dnsmasq.pid")
        self.write_hosts(records)
        argv = [shutil.which("dnsmasq") or "/usr/sbin/dnsmasq", "-k",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
                "--port=%d" % self.port, "--listen-address=127.0.0.1", "--bind-interfaces",
                "--addn-hosts=" + self.hosts_path, "--pid-file=" + self.pid_path,
                "--user=root", "--cache-size=0", "--log-facility=-", "--log-queries"]
        argv += ["--local=/%s/" % d for d in domains]
        Process.__init__(self, argv, log_path=os.path.join(tmpdir, "dnsmasq.log"))

    def write_hosts(self, records):
        """records: {"scan1.test": ["127.0.0.2", ...], ...}"""
        tmp = self.hosts_path + ".new"
        with open(tmp, "w") as f:
            for name, addrs in records.items():
                for a in ([addrs] if isinstance(addrs, str) else addrs):
                    f.write("%s %s\n" % (a, name))
        os.replace(tmp, self.hosts_path)

    def start(self):
        Process.start(self)
        wait_until(lambda: self.proc.poll() is not None or dns_query(self.port, "localhost.test")
                   is not None, 5, what="dnsmasq on port %d" % self.port)
        if self.proc.poll() is not None:
            raise RuntimeError("dnsmasq exited %s" % self.proc.returncode)
        return self

    def reload(self, records):
        """Rewrites the hosts file and has dnsmasq re-read it (SIGHUP)."""
        self.write_hosts(records)
        self.proc.send_signal(signal.SIGHUP)


def dns_query(port, name, qtype=1, host="127.0.0.1", timeout=0.5):
    """One UDP DNS query; (rcode, [answer addresses]) or None when nothing answered."""
    import random
    import struct
    qid = random.randrange(65536)
    msg = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        msg += bytes([len(label)]) + label.encode()
    msg += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(msg, (host, port))
            r = s.recv(4096)
        except OSError:
            return None
    if len(r) < 12 or struct.unpack(">H", r[:2])[0] != qid:
        return None
    rcode, ancount = r[3] & 15, struct.unpack(">H", r[6:8])[0]
    pos = len(msg)  # the question is echoed back unchanged
    addrs = []
    for _ in range(ancount):
        while True:  # owner name: labels or a pointer
            n = r[pos]
            if n >= 0xC0:
                pos += 2
                break
            pos += 1 + n
            if n == 0:
                break
        rtype, _, _, rdlen = struct.unpack(">HHIH", r[pos:pos + 10])
        pos += 10
        rdata = r[pos:pos + rdlen]
        pos += rdlen
        if rtype == 1:
            addrs.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == 28:
            addrs.append(socket.inet_ntop(socket.AF_INET6, rdata))
    return rcode, addrs


class Chronyd(Process):
    """chronyd as an NTP server on 127.0.0.1:port (UDP) at `local stratum`, never touching
    the system clock (-x), with everything it writes in tmpdir."""

    def __init__(self, tmpdir, port=None, stratum=8):
        self.port = port or free_port("udp")
        self.stratum = stratum
        conf = os.path.join(tmpdir, "chrony.conf")
        with open(conf, "w") as f:
            f.write("port %d\nbindaddress 127.0.0.1\nlocal stratum %d\nallow 127.0.0.1\n"
                    "cmdport 0\nbindcmdaddress /\npidfile %s\ndriftfile %s\n"
                    % (self.port, stratum, os.path.join(tmpdir, "chronyd.pid"),
                       os.path.join(tmpdir, "chrony.drift")))
        argv = [shutil.which("chronyd") or "/usr/sbin/chronyd", "-d", "-x", "-u", "root",
                "-f", conf]
        Process.__init__(self, argv, log_path=os.path.join(tmpdir, "chronyd.log"))

    def start(self):
        Process.start(self)
        wait_until(lambda: self.proc.poll() is not None or sntp_query(self.port) is not None,
                   5, what="chronyd on port %d" % self.port)
        if self.proc.poll() is not None:
            raise RuntimeError("chronyd exited %s" % self.proc.returncode)
        return self


NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900 (NTP era 0) to 1970


def ntp_timestamp(t):
    import struct
    t += NTP_EPOCH_OFFSET
    return struct.pack(">II", int(t) & 0xFFFFFFFF, int((t % 1) * 2**32) & 0xFFFFFFFF)


def sntp_query(port, host="127.0.0.1", timeout=0.5):
    """One SNTP client query; a dict (leap, mode, stratum, refid bytes) or None."""
    pkt = bytearray(48)
    pkt[0] = (4 << 3) | 3
    pkt[40:48] = ntp_timestamp(time.time())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(bytes(pkt), (host, port))
            r = s.recv(1024)
        except OSError:
            return None
    if len(r) < 48 or r[24:32] != pkt[40:48]:
        return None
    return {"leap": r[0] >> 6, "mode": r[0] & 7, "stratum": r[1], "refid": r[12:16]}


class ValgrindDaemon(Daemon):
    """The daemon under valgrind memcheck: exit code 99 on any memory error or leak; the
    report is tmpdir/valgrind.log."""

    def __init__(self, tmpdir, config, args=(), binary=None, env=None,
                 valgrind_args=("--leak-check=full", "--error-exitcode=99")):
        Daemon.__init__(self, tmpdir, config, args, binary, env)
        self.valgrind_log = os.path.join(tmpdir, "valgrind.log")
        self.valgrind_args = list(valgrind_args)

    def start(self, wait=True):
        self.write_config()
        self.started_config = self.config  # REST listens as this says until a restart
        self._log = open(self.log_path, "ab")
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        argv = ([shutil.which("valgrind") or "/usr/bin/valgrind", "-q",
                 "--log-file=" + self.valgrind_log] + self.valgrind_args +
                [self.binary, "-f", "-c", self.config_path] + self.args)
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        if wait:
            self.wait_log(r"smsa-agentd .* running", timeout=60)
        return self

    def report(self):
        try:
            with open(self.valgrind_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=60):
        return Daemon.stop(self, timeout)


# ---- Fake appliances beside which the agent runs (placement "beside"). ----

SSH_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"
SMTP_GREETING = b"220 scanner ESMTP Symantec Messaging Gateway\r\n"
HTTP_ANSWER = b"HTTP/1.1 302 Found\r\nLocation: /brightmail/\r\n\r\n"


def self_signed_cert(tmpdir, name="appliance"):
    """A key and a self-signed certificate made by openssl into tmpdir: (cert, key)."""
    cert = os.path.join(tmpdir, name + ".crt")
    key = os.path.join(tmpdir, name + ".key")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=" + name, "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class FakeTls(Process):
    """`openssl s_server` on host:port with a self-signed certificate: a TLS service that
    completes handshakes (the web UI of an appliance on 41443)."""

    def __init__(self, tmpdir, host, port=41443):
        cert, key = self_signed_cert(tmpdir)
        self.host, self.port = host, port
        super().__init__(["openssl", "s_server", "-quiet", "-naccept", "1000000",
                          "-accept", "%s:%d" % (host, port), "-cert", cert, "-key", key],
                         log_path=os.path.join(tmpdir, "s_server-%s-%d.log" % (host, port)))

    def start(self):
        super().start()
        def listening():
            if self.proc.poll() is not None:
                return True
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_until(listening, 10, what="openssl s_server listening")
        if self.proc.poll() is not None:
            raise RuntimeError("openssl s_server exited: %s" % self.proc.returncode)
        return self


# The catalogue ports each role receives (what a check from beside connects to).
APPLIANCE_PORTS = {
    "control-center": (22, 41002, 41025, 41443),
    "scanner": (22, 25, 41002, 41015, 41016, 41017),
    "all-in-one": (22, 25, 41002, 41025, 41443),
}


class FakeAppliance:
    """An appliance on a loopback address: every port its role receives answers as the real
    service does (SSH banner on 22, SMTP greeting on 25, TLS on 41443, HTTP on 41080, plain
    listeners on the 41xxx ports). `answers` overrides what one port says (bytes sent on
    accept), `silent` lists ports left closed. The CC end's 41002 serves as flow 12."""

    def __init__(self, tmpdir, host, role="scanner", answers=None, silent=(), http=False):
        self.tmpdir, self.host, self.role = tmpdir, host, role
        self.answers = dict(answers or {})
        self.silent = set(silent)
        self.http = http
        self.parts = []

    def ports(self):
        ports = list(APPLIANCE_PORTS[self.role])
        if self.http and self.role != "scanner":
            ports.append(41080)
        return [p for p in ports if p not in self.silent]

    def start(self):
        for port in self.ports():
            if port == 41443 and port not in self.answers:
                self.parts.append(FakeTls(self.tmpdir, self.host, port).start())
                continue
            greeting = self.answers.get(port, {22: SSH_BANNER, 25: SMTP_GREETING,
                                               41080: HTTP_ANSWER}.get(port))
            self.parts.append(FakeScanner(self.host, port, greeting).start())
        return self

    def stop(self):
        for p in reversed(self.parts):
            p.stop()
        self.parts = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def beside_config(tmpdir, address, scanners=(), role="control-center", **sections):
    """base_config for an agent beside the appliance at `address`, with scanners given as
    (name, host) pairs."""
    cfg = base_config(tmpdir, **sections)
    # The checks beside prove the service (an SSH line, a 220, a TLS handshake with openssl
    # s_server): on a loaded machine, or under the sanitizers, that takes longer than the
    # 200 ms a bare connect is given; a slow answer must not read as a failure.
    if "probe" not in sections:
        cfg["probe"].update({"interval_ms": 1000, "timeout_ms": 800})
    cfg["appliance"].update({"role": role, "placement": "beside", "address": address})
    cfg["peers"]["scanners"] = [{"name": n, "host": h} for n, h in scanners]
    return cfg


def wait_appliance(daemon, name, state, timeout=45.0):
    """Waits until GET /api/v1/appliances/<name> is in `state`; returns it."""
    def read():
        a = rest_json(daemon, "/api/v1/appliances/%s" % name)
        return a if a and a["state"] == state else None
    return _wait_rest(daemon, "appliance %s %s" % (name, state), read, timeout)


# ---- Services that prove themselves one level up: certificates, STARTTLS, HTTP, a proxy. ----

def make_cert(tmpdir, name, days, sans=("127.0.0.1",)):
    """A key and a self-signed certificate for CN=name valid for `days` days from now, or
    one that ended a day ago for days=-1 (`openssl x509 -days -1`): (cert, key)."""
    cert = os.path.join(tmpdir, "%s-%d.crt" % (name, days))
    key = os.path.join(tmpdir, "%s-%d.key" % (name, days))
    alt = ",".join(("IP:" if s[0].isdigit() or ":" in s else "DNS:") + s for s in sans)
    quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if days > 0:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-days", str(days), "-subj", "/CN=" + name,
                        "-addext", "subjectAltName=" + alt, "-keyout", key, "-out", cert], **quiet)
    else:
        csr = cert + ".csr"
        subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes",
                        "-subj", "/CN=" + name, "-keyout", key, "-out", csr], **quiet)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-signkey", key,
                        "-days", str(days), "-out", cert], **quiet)
    return cert, key


class CertTls(FakeTls):
    """`openssl s_server` on host:port serving the given certificate and key."""

    def __init__(self, tmpdir, host, port, cert, key):
        self.host, self.port = host, port
        Process.__init__(self, ["openssl", "s_server", "-quiet", "-naccept", "1000000",
                                "-accept", "%s:%d" % (host, port), "-cert", cert, "-key", key],
                         log_path=os.path.join(tmpdir, "s_server-%s-%d.log" % (host, port)))


class _ThreadServer:
    """A listener on (host, port) whose every connection is served by handle(conn) in a
    thread; stop() closes the listener and the connections."""

    def __init__(self, host="127.0.0.1", port=None):
        self.host, self.port = host, port or free_port(host=host)
        self.sock, self.thread, self.conns = None, None, []

    def start(self):
        s = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(64)
        self.sock = s
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.settimeout(5)
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            self.handle(c)
        except (OSError, ValueError):
            pass
        finally:
            c.close()

    def stop(self):
        _close_listener(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def _read_line(c):
    buf = b""
    while not buf.endswith(b"\n"):
        ch = c.recv(1)
        if not ch:
            break
        buf += ch
    return buf


class StartTlsSmtp(_ThreadServer):
    """An SMTP server: a 220 greeting (or `greeting`), an EHLO reply that offers STARTTLS
    when cert is given, and after STARTTLS a TLS handshake with that certificate (Python's ssl
    module). broken: STARTTLS is offered and accepted, then what follows is not TLS.
    `commands` records what the client sent."""

    def __init__(self, host="127.0.0.1", port=None, cert=None, greeting=b"220 mx ESMTP\r\n",
                 broken=False):
        super().__init__(host, port)
        self.cert, self.greeting, self.broken = cert, greeting, broken
        self.commands = []

    def handle(self, c):
        c.sendall(self.greeting)
        if not self.greeting.startswith(b"220"):
            return
        while True:
            line = _read_line(c)
            if not line:
                return
            cmd = line.strip().upper()
            self.commands.append(cmd.decode(errors="replace"))
            if cmd.startswith(b"EHLO"):
                offers = self.cert or self.broken
                c.sendall(b"250-mx\r\n" + (b"250-STARTTLS\r\n" if offers else b"") +
                          b"250 SIZE 10240000\r\n")
            elif cmd == b"STARTTLS" and self.broken:
                c.sendall(b"220 2.0.0 ready to start TLS\r\n")
                c.recv(4096)  # the ClientHello
                c.sendall(b"421 4.3.0 not really\r\n")
                return
            elif cmd == b"STARTTLS" and self.cert:
                c.sendall(b"220 2.0.0 ready to start TLS\r\n")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(*self.cert)
                t = ctx.wrap_socket(c, server_side=True)
                t.recv(64)  # QUIT, or the close
                return
            elif cmd == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"502 5.5.2 not implemented\r\n")


def _read_head(c):
    """An HTTP request's head, up to its blank line; None when the client closes first."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = c.recv(4096)
        if not chunk:
            return None
        head += chunk
    return head


class HttpServer(_ThreadServer):
    """Answers any request with one status line (and no body); records the request lines."""

    def __init__(self, host="127.0.0.1", port=None, status=b"HTTP/1.1 200 OK"):
        super().__init__(host, port)
        self.status = status
        self.requests = []

    def handle(self, c):
        head = _read_head(c)
        if head is None:
            return
        self.requests.append(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        c.sendall(self.status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


class ConnectProxy(_ThreadServer):
    """An HTTP proxy that answers CONNECT host:port: with `refuse` (b"403 Forbidden") it says
    no, else it opens the tunnel and relays both ways. `targets` records what was asked."""

    def __init__(self, host="127.0.0.1", port=None, refuse=None):
        super().__init__(host, port)
        self.refuse = refuse
        self.targets = []

    def handle(self, c):
        head = _read_head(c)
        if head is None:
            return
        method, target = head.split(b"\r\n", 1)[0].split(b" ")[:2]
        self.targets.append(target.decode())
        if method != b"CONNECT" or self.refuse:
            c.sendall(b"HTTP/1.1 " + (self.refuse or b"405 Method Not Allowed") + b"\r\n\r\n")
            return
        host, _, port = target.decode().rpartition(":")
        up = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            self._relay(c, up)
        finally:
            up.close()

    @staticmethod
    def _relay(a, b):
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        while True:
            for key, _ in sel.select(5):
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
