#!/usr/bin/python3
"""REST throughput: wrk (64 keep-alive connections) against smsa-agentd's GET /api/v1/status
and GET /api/v1/links with 100 scanners, and against nginx serving the identical bytes as
static files, in the same run; SNMP GET latency measured while wrk loads the daemon.

    bench/rest/run.sh [--build DIR] [--seconds 10] [--peers 100]
"""
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import harness  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402

N_SCANNERS = 100
CONNECTIONS = 64


def scanner_hosts():
    return ["127.0.%d.%d" % (180 + i // 200, 2 + i % 200) for i in range(N_SCANNERS)]


class Listeners:
    """100 fake scanners on <addr>:41002 in one thread: accept and close."""

    def __init__(self, hosts):
        self.sel = selectors.DefaultSelector()
        self.socks = []
        for h in hosts:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((h, 41002))
            s.listen(128)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.socks.append(s)
        self.stopping = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stopping:
            for key, _ in self.sel.select(0.2):
                try:
                    c, _ = key.fileobj.accept()
                    c.close()
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        self.t.join(2)
        for s in self.socks:
            s.close()


def wrk(url, seconds, token=None):
    cmd = ["wrk", "-t2", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--latency", url]
    if token:
        cmd[1:1] = ["-H", "Authorization: Bearer " + token]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(non2xx.group(1)) if non2xx else 0


def _tlv(tag, body):
    n = len(body)
    if n < 128:
        return bytes([tag, n]) + body
    return bytes([tag, 0x82, n >> 8, n & 0xff]) + body


def getnext_packet(reqid):
    """SNMPv2c GetNextRequest for enterprises.32473 (BER by hand: no pysnmp needed)."""
    oid = bytes([0x2b, 6, 1, 4, 1, 0x81, 0xfd, 0x59])
    vb = _tlv(0x30, _tlv(0x30, _tlv(0x06, oid) + b"\x05\x00"))
    pdu = _tlv(0xa1, _tlv(0x02, reqid.to_bytes(4, "big")) + b"\x02\x01\x00\x02\x01\x00" + vb)
    return _tlv(0x30, b"\x02\x01\x01" + _tlv(0x04, b"public") + pdu)


def snmp_latencies(port, stop, out):
    """Round trips of one UDP GETNEXT at a time, timed from send to the matching answer
    (no tool start-up in the number)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    reqid = 0x10000000  # four significant bytes: BER keeps all four in the answer
    while not stop.is_set():
        reqid += 1
        pkt = getnext_packet(reqid)
        t0 = time.monotonic()
        s.sendto(pkt, ("127.0.0.1", port))
        good = False
        try:
            while True:
                data = s.recv(65536)
                if reqid.to_bytes(4, "big") in data:
                    good = True
                    break
        except socket.timeout:
            pass
        out.append(((time.monotonic() - t0) * 1000, good))
        time.sleep(0.02)
    s.close()


def main():
    global N_SCANNERS
    ap = benchlib.parser(__doc__)
    ap.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    ap.add_argument("--peers", type=int, default=N_SCANNERS, metavar="N",
                    help="scanners of the daemon under load (default: %d)" % N_SCANNERS)
    a = benchlib.parse(ap, nofile=True)
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            ap.error("missing %s" % tool)
    seconds, N_SCANNERS = a.seconds, a.peers
    tmp = tempfile.mkdtemp(prefix="smsa-bench-rest-")
    os.chmod(tmp, 0o755)  # nginx's worker runs as another user
    hosts = scanner_hosts()
    lis = Listeners(hosts)
    http_port, nginx_port, snmp_port = (harness.free_port(), harness.free_port(),
                                        harness.free_port("udp"))
    cfg = harness.base_config(tmp, http_port=http_port)
    cfg["peers"] = {"scanners": [{"name": "scanner%03d" % (i + 1), "host": h}
                                 for i, h in enumerate(hosts)]}
    cfg["probe"] = {"interval_ms": 10000, "timeout_ms": 1000, "fail_threshold": 3,
                    "recover_threshold": 1, "resolver": "127.0.0.1:9"}
    cfg["snmp"] = {"mode": "master", "master_listen": "udp:127.0.0.1:%d" % snmp_port,
                   "community": "public"}
    cfg["http"].update({"max_connections": 512, "per_ip_connections": 256})
    dm = harness.Daemon(tmp, cfg)
    nginx = None
    try:
        dm.start()
        base = "http://127.0.0.1:%d" % http_port
        harness.wait_until(lambda: all(
            l["state"] == "up" for l in json.loads(harness.http_get(
                http_port, "/api/v1/links")[2])["items"]), timeout=30, what="100 links up")
        www = os.path.join(tmp, "www")
        for path in ("/api/v1/status", "/api/v1/links"):
            st, _, body = harness.http_get(http_port, path)
            assert st == 200
            os.makedirs(os.path.dirname(www + path), exist_ok=True)
            with open(www + path, "wb") as f:
                f.write(body)
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""worker_processes 1;
daemon off;
pid %(t)s/nginx.pid;
error_log %(t)s/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %(t)s/nb; proxy_temp_path %(t)s/np; fastcgi_temp_path %(t)s/nf;
  uwsgi_temp_path %(t)s/nu; scgi_temp_path %(t)s/ns;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:%(p)d;
    root %(w)s;
    default_type application/json;
    etag on;
  }
}
""" % {"t": tmp, "p": nginx_port, "w": www})
        nginx = harness.Process(["nginx", "-c", conf, "-p", tmp],
                                log_path=os.path.join(tmp, "nginx.log")).start()
        time.sleep(0.5)
        print("%d scanners, %d keep-alive connections, %d s per run, wrk -t2"
              % (N_SCANNERS, CONNECTIONS, seconds))
        stop, lat = threading.Event(), []
        t = threading.Thread(target=snmp_latencies, args=(snmp_port, stop, lat))
        t.start()
        time.sleep(2)
        stop.set()
        t.join()
        ok = sorted(d for d, good in lat if good)
        if ok:
            print("SNMP GETNEXT idle: median %.2f ms, max %.2f ms"
                  % (ok[len(ok) // 2], ok[-1]))
        print("%-16s %-10s %12s %10s %8s" % ("path", "server", "req/s", "p99 ms", "non-2xx"))
        for path in ("/api/v1/status", "/api/v1/links"):
            size = os.path.getsize(www + path)
            stop, lat = threading.Event(), []
            t = threading.Thread(target=snmp_latencies, args=(snmp_port, stop, lat))
            t.start()
            ours = wrk(base + path, seconds)
            stop.set()
            t.join()
            theirs = wrk("http://127.0.0.1:%d%s" % (nginx_port, path), seconds)
            print("%-16s %-10s %12.0f %10.2f %8d   (%d bytes)" % ((path, "smsa") + ours + (size,)))
            print("%-16s %-10s %12.0f %10.2f %8d" % ((path, "nginx") + theirs))
            print("%-16s ratio %.2fx nginx" % ("", ours[0] / theirs[0]))
            ok = sorted(d for d, good in lat if good)
            if ok:
                print("%-16s SNMP GETNEXT during wrk: %d/%d answered, median %.2f ms, "
                      "p99 %.2f ms, max %.2f ms" % ("", len(ok), len(lat), ok[len(ok) // 2],
                                                    ok[int(len(ok) * 0.99)], ok[-1]))
            else:
                print("%-16s SNMP GETNEXT during wrk: no answer (%d tries)" % ("", len(lat)))
        m = harness.http_get(http_port, "/metrics")[2].decode()
        mt = re.search(r"smsa_loop_turn_max_seconds ([\d.]+)", m)
        print("longest loop turn: %s s" % (mt.group(1) if mt else "?"))
    finally:
        if nginx:
            nginx.stop()
        dm.stop()
        lis.stop()
        if not os.environ.get("SMSA_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    # the fake scanners listen on 41002, which the system tests' fake scanners share
    with harness.PortLock(41002):
        main()
