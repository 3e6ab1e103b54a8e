#!/usr/bin/python3
"""The soak benchmark: a day of trouble compressed into about 15 minutes, with numbers.

Load, all at once for --seconds (default 900):
  - --links scanners (default 500) on 127.0.6.1 onwards, port 41002, served by one epoll
    process (flapper.py) that closes and re-opens each listener at random times (every
    5-60 s), so links go down and up; probe interval 1 s, timeout 500 ms, fail_threshold 2;
  - the daemon as AgentX subagent of a real snmpd (trap2sink to a real snmptrapd), snmpd
    restarted every minute (SIGTERM and kill -9 in turn);
  - SIGHUP storms (5 at 50 ms every ~15 s) and a REST write storm: PUT /api/v1/ntp toggling
    `enabled`, POST and DELETE of an extra scanner (always reachable);
  - SSE clients on /api/v1/events that come and go, some reading, some never reading;
  - snmpbulkwalk of the whole subtree through snmpd, and /metrics scrapes;
  - one kill -9 of the daemon at 40 % of the run, and a restart on the file it left.

Checks and prints:
  - RSS and open fds of the daemon every 10 s, per daemon instance, and whether they are flat
    after warm-up (max of the last third vs max of the first third after warm-up);
  - every link transition the daemon logged ("event link ...") against the traps snmptrapd
    received (smsaNotificationSequence, link name): in order per link, none missing; for the
    killed instance, what was raised but not delivered before the kill is counted apart
    (the queue is in memory: lost by design);
  - the configuration file: parsed after every acknowledged write and at random times
    (JSON and `smsa-agentd --check-config`), and equal to the last acknowledged write;
  - the longest loop turn (smsa_loop_turn_max_seconds), and the p99 of /healthz latency
    (a client every 50 ms).

    bench/soak/soak.py [--build DIR | --binary PATH] [--seconds 900] [--links 500]

Loopback only; every process started is stopped by its pid at the end, even on Ctrl-C.
Exit status 0 when every check held, 1 otherwise.
"""
import argparse
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "snmp"))
sys.path.insert(0, os.path.join(ROOT, "tests", "rest"))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402
from restlib import Client  # noqa: E402

SCANNER_PORT = 41002
FIRST_ADDR = "127.0.6.1"  # bench/core uses 127.0.1-5.x, the tests 127.0.0.x and 127.100+.x
EXTRA_ADDR = "127.0.5.250"
EXTRA_NAME = "soak-extra"
SEQUENCE = s.OBJECTS + ".2.8.0"
SENT, QUEUED = s.OBJECTS + ".2.1.0", s.OBJECTS + ".2.4.0"


def now():
    return time.monotonic()


class Stats:
    """Everything the load threads record (appends only; read at the end)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.healthz = []  # latency seconds of answered /healthz
        self.healthz_err = 0
        self.loop_max = {}  # instance -> max smsa_loop_turn_max_seconds seen
        self.scrapes = self.scrape_err = 0
        self.walks = []  # (seconds, varbinds)
        self.walk_err = 0
        self.sse = {"reading": 0, "idle": 0, "events": 0, "errors": 0}
        self.writes = {"ack": 0, "refused": 0, "noanswer": 0}
        self.cfg_checks = {"json": 0, "check_config": 0}
        self.cfg_bad = []  # descriptions of every failed file check
        self.hups = 0
        self.snmpd_restarts = 0
        self.samples = {}  # instance -> [(t, rss KiB, fds)]


class Soak:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="smsa-soak-")
        self.stop = threading.Event()
        self.st = Stats()
        self.procs = []  # helper processes (h.Process), stopped at the end by pid
        self.daemon = None  # subprocess.Popen of smsa-agentd
        self.instance = 0
        self.logs = []  # log path per instance
        self.port = h.free_port()
        self.client = Client(self.port)
        self.cfg_path = os.path.join(self.tmp, "smsa-agent.json")
        self.write_lock = threading.Lock()  # held by the writer around a write+check
        self.expect = {"ntp": False, "extra": False}  # the last acknowledged write
        self.maybe = None  # a write that got no answer: its content may be on disk or not
        self.kill_wall = self.restart_wall = None
        self.kill_info = {}
        self.rnd = random.Random(args.seed)
        # nothing answers there: flow 8 goes down when enabled. Every PUT names the servers:
        # enabling NTP with no servers would fill in the vendor's Internet defaults.
        self.ntp_servers = ["127.0.0.1:%d" % h.free_port("udp")]

    # ---- processes ----

    def start_helpers(self):
        self.trapd = s.Snmptrapd(self.tmp).start()
        self.procs.append(self.trapd)
        self.snmpd = s.Snmpd(self.tmp, trap_port=self.trapd.port).start()
        self.procs.append(self.snmpd)
        base = ipaddress.IPv4Address(FIRST_ADDR)
        self.addrs = [str(base + i) for i in range(self.args.links)]
        self.flap_status = os.path.join(self.tmp, "flapper.status")
        self.flapper = h.Process([sys.executable, os.path.join(HERE, "flapper.py"),
                                  self.flap_status, str(SCANNER_PORT), str(self.args.seed),
                                  "5", "60"] + self.addrs,
                                 log_path=os.path.join(self.tmp, "flapper.log"))
        self.flapper.start()
        self.procs.append(self.flapper)
        h.wait_until(lambda: os.path.exists(self.flap_status + ".ready"), 30,
                     what="flapper listening")
        self.extra = h.FakeScanner(EXTRA_ADDR, SCANNER_PORT).start()

    def config(self):
        return h.base_config(
            self.tmp, http_port=self.port,
            peers={"scanners": [{"name": "scan%d" % (i + 1), "host": a}
                                for i, a in enumerate(self.addrs)]},
            ntp={"enabled": False, "servers": self.ntp_servers},
            probe={"interval_ms": 1000, "timeout_ms": 500, "fail_threshold": 2,
                   "recover_threshold": 1},
            snmp={"mode": "subagent", "agentx_socket": "unix:" + self.snmpd.socket,
                  "ping_interval_s": 1})

    def start_daemon(self, first):
        if first:
            cfg = self.config()
            h.check_loopback_only(cfg)
            with open(self.cfg_path, "w") as f:
                json.dump(cfg, f, indent=2)
        self.instance += 1
        log = os.path.join(self.tmp, "agentd-%d.log" % self.instance)
        self.logs.append(log)
        with open(log, "ab") as out:
            self.daemon = subprocess.Popen([self.args.binary, "-f", "-c", self.cfg_path],
                                           stdout=out, stderr=subprocess.STDOUT)
        self.st.samples[self.instance] = []
        self.wait_log(r"smsa-agentd .* running", 30)
        self.wait_log(r"AgentX session to the master agent is open", 30)

    def wait_log(self, rx, timeout):
        r = re.compile(rx)

        def found():
            if self.daemon.poll() is not None:
                raise RuntimeError("daemon exited %s; see %s" % (self.daemon.returncode,
                                                                 self.logs[-1]))
            with open(self.logs[-1], errors="replace") as f:
                return r.search(f.read())
        h.wait_until(found, timeout, step=0.1, what=rx)

    def restart_snmpd(self, hard):
        if hard:
            self.snmpd.kill()
        else:
            self.snmpd.stop()
        self.procs.remove(self.snmpd)
        self.snmpd = s.Snmpd(self.tmp, trap_port=self.trapd.port, port=self.snmpd.port)
        self.snmpd.start()
        self.procs.append(self.snmpd)
        self.st.snmpd_restarts += 1

    def cleanup(self):
        self.stop.set()
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(15)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        if getattr(self, "extra", None):
            self.extra.stop()
        for p in reversed(self.procs):
            p.stop()
        if self.args.keep:
            print("kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- load threads ----

    def thread(self, fn):
        t = threading.Thread(target=self.guard, args=(fn,), daemon=True)
        t.start()
        return t

    def guard(self, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - a load thread must not die silently
            print("load thread %s failed: %r" % (fn.__name__, e), flush=True)

    def sleep(self, sec):
        return self.stop.wait(sec)

    def healthz(self):
        while not self.sleep(0.05):
            t0 = now()
            try:
                st, _, _ = h.http_get(self.port, "/healthz", timeout=5)
                dt = now() - t0
                if st == 200:
                    self.st.healthz.append(dt)
                else:
                    self.st.healthz_err += 1
            except OSError:
                self.st.healthz_err += 1

    def scrape(self):
        rx = re.compile(r"^smsa_loop_turn_max_seconds(?:\{[^}]*\})? ([0-9.eE+-]+)$", re.M)
        while not self.sleep(5):
            inst = self.instance
            try:
                st, _, body = h.http_get(self.port, "/metrics", timeout=10)
            except OSError:
                self.st.scrape_err += 1
                continue
            if st != 200:
                self.st.scrape_err += 1
                continue
            self.st.scrapes += 1
            m = rx.search(body.decode("utf-8", "replace"))
            if m:
                v = float(m.group(1))
                self.st.loop_max[inst] = max(self.st.loop_max.get(inst, 0.0), v)

    def walk(self):
        while not self.sleep(10):
            t0 = now()
            try:
                vbs = s.parse_varbinds(s.run(
                    ["snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Oe", "-t", "5", "-r", "1",
                     "-Cr25", self.snmpd.target, s.ROOT_OID], timeout=120))
                self.st.walks.append((now() - t0, len(vbs)))
            except (AssertionError, subprocess.TimeoutExpired, OSError):
                self.st.walk_err += 1

    def sse_client(self, reading):
        life = self.rnd.uniform(2, 20)
        try:
            c = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        except OSError:
            self.st.sse["errors"] += 1
            return
        try:
            c.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Accept: text/event-stream\r\n\r\n")
            end = now() + life
            if not reading:
                self.stop.wait(life)  # never reads: the daemon's buffer fills, then drops us
                return
            c.settimeout(1)
            while now() < end and not self.stop.is_set():
                try:
                    data = c.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                self.st.sse["events"] += data.count(b"\nid: ")
        except OSError:
            self.st.sse["errors"] += 1
        finally:
            c.close()  # vanishes: no goodbye

    def sse(self):
        alive = []
        while not self.sleep(self.rnd.uniform(0.5, 2)):
            alive = [t for t in alive if t.is_alive()]
            if len(alive) >= 8:
                continue
            reading = self.rnd.random() < 0.6
            self.st.sse["reading" if reading else "idle"] += 1
            t = threading.Thread(target=self.sse_client, args=(reading,), daemon=True)
            t.start()
            alive.append(t)

    def hup(self):
        while not self.sleep(self.rnd.uniform(10, 20)):
            for _ in range(5):
                d = self.daemon
                if d and d.poll() is None:
                    d.send_signal(signal.SIGHUP)
                    self.st.hups += 1
                time.sleep(0.05)

    def snmpd_cycle(self):
        hard = False
        while not self.sleep(60):
            self.restart_snmpd(hard)
            hard = not hard

    def sample(self):
        while True:
            d, inst = self.daemon, self.instance
            if d and d.poll() is None:
                try:
                    rss = h.proc_status(d.pid)["VmRSS"]
                    fds = len(os.listdir("/proc/%d/fd" % d.pid))
                    self.st.samples[inst].append((now(), rss, fds))
                except (OSError, KeyError):
                    pass
            if self.sleep(10):
                return

    # ---- writes and the configuration file ----

    def file_state(self):
        """(ntp enabled, extra scanner present) of the file; raises on a broken file."""
        with open(self.cfg_path) as f:
            doc = json.load(f)
        names = [x.get("name") for x in doc["peers"]["scanners"]]
        ntp = doc.get("ntp", {})
        if ntp.get("servers") != self.ntp_servers:
            raise ValueError("ntp.servers is %r" % ntp.get("servers"))
        return {"ntp": bool(ntp.get("enabled")), "extra": EXTRA_NAME in names}

    def check_file(self, why, check_config=False):
        self.st.cfg_checks["json"] += 1
        try:
            got = self.file_state()
        except (OSError, ValueError, KeyError, TypeError) as e:
            self.st.cfg_bad.append("%s: file unreadable: %r" % (why, e))
            return
        if self.maybe is not None:
            # the last write got no answer (daemon killed): old or new content is fine
            if got not in (self.expect, self.maybe):
                self.st.cfg_bad.append("%s: file %s is neither %s nor the unanswered %s"
                                       % (why, got, self.expect, self.maybe))
            else:
                self.expect = got
            self.maybe = None
        elif got != self.expect:
            self.st.cfg_bad.append("%s: file %s, last acknowledged write %s"
                                   % (why, got, self.expect))
        if check_config:
            self.st.cfg_checks["check_config"] += 1
            r = subprocess.run([self.args.binary, "--check-config", "-c", self.cfg_path],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                self.st.cfg_bad.append("%s: --check-config %d: %s"
                                       % (why, r.returncode, r.stdout.strip()[:300]))

    def one_write(self):
        want = dict(self.expect)
        op = self.rnd.choice(["ntp", "ntp", "scanner"])
        if op == "ntp":
            want["ntp"] = not want["ntp"]
            req = ("PUT", "/api/v1/ntp", {"enabled": want["ntp"], "servers": self.ntp_servers})
        elif want["extra"]:
            want["extra"] = False
            req = ("DELETE", "/api/v1/scanners/" + EXTRA_NAME, None)
        else:
            want["extra"] = True
            req = ("POST", "/api/v1/scanners", {"name": EXTRA_NAME, "host": EXTRA_ADDR})
        try:
            st, _, body = self.client.request(req[0], req[1], body=req[2], timeout=10)
        except OSError:
            self.st.writes["noanswer"] += 1
            self.maybe = want
            return
        if 200 <= st < 300:
            self.st.writes["ack"] += 1
            self.expect = want
            self.maybe = None
            self.check_file("after %s %s" % req[:2])
        else:
            self.st.writes["refused"] += 1
            self.check_file("after refused %s %s (%d %s)" % (req[0], req[1], st, body[:80]))

    def writer(self):
        next_cc = now() + 20
        while not self.sleep(self.rnd.uniform(0.1, 1.0)):
            with self.write_lock:
                if self.daemon.poll() is not None:
                    continue
                if self.rnd.random() < 0.2:
                    cc = now() > next_cc
                    if cc:
                        next_cc = now() + self.rnd.uniform(10, 40)
                    self.check_file("at a random time", check_config=cc)
                else:
                    self.one_write()

    # ---- the kill ----

    def snmp_counters(self):
        out = s.run(["snmpget", "-v2c", "-c", "public", "-On", "-t", "2", "-r", "1",
                     self.snmpd.target, SENT, QUEUED], check=False)
        return {o: int(x) for o, _, x in s.parse_varbinds(out) if x.isdigit()}

    def kill_and_restart(self):
        self.kill_info["counters"] = self.snmp_counters()
        self.daemon.send_signal(signal.SIGKILL)
        self.kill_wall = time.time()
        self.daemon.wait()
        with self.write_lock:  # a write in flight has its answer (none) by now
            self.check_file("right after kill -9", check_config=True)
            t0 = now()
            self.start_daemon(first=False)
            self.restart_wall = time.time()
            self.kill_info["restart_s"] = now() - t0

    # ---- the run ----

    def run(self):
        a = self.args
        t_start = now()
        print("soak: %d links, %d s, binary %s, folder %s" % (a.links, a.seconds, a.binary,
                                                               self.tmp), flush=True)
        self.start_helpers()
        self.start_daemon(first=True)
        threads = [self.thread(f) for f in (self.healthz, self.scrape, self.walk, self.sse,
                                            self.hup, self.snmpd_cycle, self.sample,
                                            self.writer)]
        t0 = now()
        kill_at = t0 + 0.4 * a.seconds
        end = t0 + a.seconds
        last_report = t0
        while now() < end:
            time.sleep(1)
            if self.daemon.poll() is not None:
                raise RuntimeError("the daemon died: exit %s; see %s"
                                   % (self.daemon.returncode, self.logs[-1]))
            if self.kill_wall is None and now() >= kill_at:
                self.kill_and_restart()
                print("[%4.0fs] kill -9 and restart (%.1f s to AgentX open)"
                      % (now() - t0, self.kill_info["restart_s"]), flush=True)
            if now() - last_report >= 60:
                last_report = now()
                print("[%4.0fs] flapper %s; writes %s; walks %d; healthz %d"
                      % (now() - t0, open(self.flap_status).read().strip(), self.st.writes,
                         len(self.st.walks), len(self.st.healthz)), flush=True)
        # quiesce: no more toggles, load stops, the daemon settles and drains its queue
        self.flapper.proc.send_signal(signal.SIGUSR1)
        self.stop.set()
        for t in threads:
            t.join(30)
        if self.daemon.poll() is not None:
            raise RuntimeError("the daemon died: exit %s" % self.daemon.returncode)
        time.sleep(5)  # the last probes' verdicts
        drained = None
        deadline = now() + 60
        while now() < deadline:
            c = self.snmp_counters()
            if c.get(QUEUED) == 0 and SENT in c:
                drained = c
                break
            time.sleep(1)
        time.sleep(2)
        self.check_file("at the end", check_config=True)
        self.drained = drained
        self.daemon.send_signal(signal.SIGTERM)  # its last line tells the longest loop turn
        try:
            self.exit_code = self.daemon.wait(30)
        except subprocess.TimeoutExpired:
            self.exit_code = "no exit within 30 s of SIGTERM"
        self.report(now() - t_start)

    # ---- the report ----

    def link_expectations(self, inst):
        """Per link, the notifications the daemon owes for instance inst: every up or down
        that is a change, except the first verdict `up` (leaving unknown for up is no news)."""
        with open(self.logs[inst - 1], errors="replace") as f:
            evs = [e for e in h.parse_events(f.read()) if e["kind"] == "link"]
        prev, out = {}, {}
        for e in evs:
            n, stt = e["name"], e["state"]
            p = prev.get(n, "unknown")
            if stt in ("up", "down") and stt != p and not (p == "unknown" and stt == "up"):
                out.setdefault(n, []).append(stt)
            prev[n] = stt
        return out, len(evs)

    def link_deliveries(self):
        """Per instance: (per link [(seq, state)], seqs, duplicates) of the traps received,
        split between instances by smsaNotificationEventTime."""
        split = (self.kill_wall + self.restart_wall) / 2 if self.kill_wall else None
        res = {}
        for t in self.trapd.traps():
            if not t.get(s.TRAP_OID, "").startswith(s.ROOT_OID + "."):
                continue
            et = s.event_time_of(t)
            inst = 1 if split is None or (et is not None and et < split) else 2
            r = res.setdefault(inst, {"links": {}, "seqs": set(), "dups": 0, "all": 0})
            r["all"] += 1
            q = int(t[SEQUENCE])
            if q in r["seqs"]:
                r["dups"] += 1
                continue
            r["seqs"].add(q)
            if t[s.TRAP_OID] in (s.LINK_DOWN, s.LINK_UP):
                n = next(v for k, v in t.items() if k.startswith(s.LINK_NAME + "."))
                r["links"].setdefault(n, []).append(
                    (q, "down" if t[s.TRAP_OID] == s.LINK_DOWN else "up"))
        return res

    def report(self, wall):
        st, ok = self.st, True
        print("\n==== soak results (%s, %.0f s wall) ====" % (time.strftime("%Y-%m-%d %H:%M"),
                                                               wall))
        print("flapper: toggles/accepted/open = %s" % open(self.flap_status).read().strip())
        print("snmpd restarts %d, SIGHUPs %d, writes %s, file checks %s"
              % (st.snmpd_restarts, st.hups, st.writes, st.cfg_checks))
        print("SSE clients: %(reading)d reading, %(idle)d never reading, %(events)d events "
              "read, %(errors)d connect errors" % st.sse)
        if st.walks:
            ws = sorted(w[0] for w in st.walks)
            print("snmpbulkwalks: %d ok (%d..%d varbinds, median %.1f s, max %.1f s), %d failed"
                  " (snmpd restarting)" % (len(ws), min(w[1] for w in st.walks),
                                           max(w[1] for w in st.walks), ws[len(ws) // 2],
                                           ws[-1], st.walk_err))
        print("/metrics scrapes: %d ok, %d failed" % (st.scrapes, st.scrape_err))

        # RSS and fds
        print("\n-- RSS (MiB) and open fds every 10 s, per daemon instance --")
        for inst, smp in sorted(st.samples.items()):
            if not smp:
                continue
            t_first = smp[0][0]
            print("instance %d (%d samples):" % (inst, len(smp)))
            print("  rss: " + " ".join("%.1f" % (x[1] / 1024) for x in smp))
            print("  fds: " + " ".join("%d" % x[2] for x in smp))
            warm = [x for x in smp if x[0] - t_first >= self.args.warmup]
            if len(warm) < 6:
                print("  too short to judge flatness after %d s warm-up" % self.args.warmup)
                continue
            k = len(warm) // 3
            first, last = warm[:k], warm[-k:]
            r1, r3 = max(x[1] for x in first), max(x[1] for x in last)
            f1, f3 = max(x[2] for x in first), max(x[2] for x in last)
            flat_rss = r3 <= r1 * 1.05 + 1024
            flat_fds = f3 <= f1 + 8
            print("  after %d s warm-up: RSS max %.1f -> %.1f MiB (%+.1f%%), fds max %d -> %d:"
                  " %s" % (self.args.warmup, r1 / 1024, r3 / 1024, 100.0 * (r3 - r1) / r1, f1,
                           f3, "flat" if flat_rss and flat_fds else "NOT FLAT"))
            ok &= flat_rss and flat_fds

        # notifications
        print("\n-- link transitions: daemon log vs snmptrapd --")
        deliv = self.link_deliveries()
        if self.drained:
            print("agent drained at the end: smsaNotificationsSent %d, Queued 0"
                  % self.drained[SENT])
        else:
            print("agent did NOT drain its queue within 60 s at the end")
            ok = False
        for inst in range(1, self.instance + 1):
            want, n_ev = self.link_expectations(inst)
            got = deliv.get(inst, {"links": {}, "seqs": set(), "dups": 0, "all": 0})
            killed = self.kill_wall is not None and inst == 1
            n_want = sum(len(v) for v in want.values())
            n_got = sum(len(v) for v in got["links"].values())
            seqs = got["seqs"]
            top = max(seqs) if seqs else 0
            gaps = sorted(set(range(1, top + 1)) - seqs)
            order_bad, lost = [], 0
            for n in sorted(set(want) | set(got["links"])):
                w = want.get(n, [])
                g = [x[1] for x in got["links"].get(n, [])]
                if g == w:
                    continue
                if killed and g == w[:len(g)]:
                    lost += len(w) - len(g)  # the tail raised before the kill
                    continue
                order_bad.append((n, w, g))
            print("instance %d%s: %d link events logged, %d link notifications owed, %d "
                  "delivered (distinct); %d traps in all, %d duplicates (resent after an snmpd"
                  " restart), sequence 1..%d with %d gaps"
                  % (inst, " (killed)" if killed else "", n_ev, n_want, n_got, got["all"],
                     got["dups"], top, len(gaps)))
            if killed:
                c = self.kill_info.get("counters", {})
                print("  kill -9: %d link notifications raised before the kill were not "
                      "delivered (in-memory queue, lost by design); agent counters just before "
                      "the kill: sent %s, queued %s" % (lost, c.get(SENT, "?"), c.get(QUEUED, "?")))
                if gaps:
                    print("  (sequence numbers after %d are the kill's loss; gaps below that: %s)"
                          % (top, gaps[:20]))
            if order_bad:
                ok = False
                print("  LOST OR OUT OF ORDER on %d links, e.g.:" % len(order_bad))
                for n, w, g in order_bad[:5]:
                    print("    %s: owed %s, got %s" % (n, w, g))
            elif gaps:
                ok = False
                print("  GAPS in the sequence: %s" % gaps[:20])
            else:
                print("  every owed link transition delivered, in order per link")

        # config file
        print("\n-- configuration file --")
        print("%d JSON checks, %d --check-config runs, writes %s"
              % (st.cfg_checks["json"], st.cfg_checks["check_config"], st.writes))
        if st.cfg_bad:
            ok = False
            print("BAD: %d problems, e.g.:" % len(st.cfg_bad))
            for b in st.cfg_bad[:10]:
                print("  " + b)
        else:
            print("always valid and equal to the last acknowledged write")

        # latency
        print("\n-- latency --")
        for inst, v in sorted(st.loop_max.items()):
            print("longest loop turn, instance %d: %.1f ms (smsa_loop_turn_max_seconds)"
                  % (inst, v * 1000))
        for log in self.logs:
            with open(log, errors="replace") as f:
                m = re.findall(r"loop: (\d+) turns, longest (\d+) us", f.read())
            if m:
                print("%s: %s turns, longest %.1f ms" % (os.path.basename(log), m[-1][0],
                                                         int(m[-1][1]) / 1000))
        hz = sorted(st.healthz)
        if hz:
            p = lambda q: hz[min(len(hz) - 1, int(q * len(hz)))] * 1000  # noqa: E731
            print("/healthz: %d answered, %d failed (the kill window); p50 %.1f ms, p99 %.1f "
                  "ms, max %.1f ms" % (len(hz), st.healthz_err, p(0.5), p(0.99), hz[-1] * 1000))
        print("daemon exit after SIGTERM at the end: %s" % self.exit_code)
        ok &= self.exit_code == 0
        crashes = []
        for log in self.logs:
            with open(log, errors="replace") as f:
                text = f.read()
            for marker in ("ERROR: AddressSanitizer", "runtime error:", "Segmentation"):
                if marker in text:
                    crashes.append((log, marker))
        if crashes:
            ok = False
            print("sanitizer/crash markers in daemon logs: %s" % crashes)
        print("\nsoak: %s" % ("every check held" if ok else "SOME CHECK FAILED"))
        self.ok = ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build folder (default ./build)")
    ap.add_argument("--binary", help="smsa-agentd to run (default BUILD/agent/smsa-agentd)")
    ap.add_argument("--seconds", type=int, default=900, help="length of the load (900)")
    ap.add_argument("--links", type=int, default=500, help="flapping scanners (500)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--warmup", type=int, default=None,
                    help="seconds of each instance not judged for flatness (default 20%% "
                    "of --seconds, at least 30)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    a = ap.parse_args()
    a.binary = a.binary or os.path.join(a.build, "agent", "smsa-agentd")
    if not os.access(a.binary, os.X_OK):
        sys.exit("soak: no smsa-agentd at %s (--build or --binary)" % a.binary)
    if a.warmup is None:
        a.warmup = max(30, a.seconds // 5)
    if a.links < 1 or a.links > 2000:
        sys.exit("soak: --links must be 1..2000")
    soak = Soak(a)
    soak.ok = False
    try:
        soak.run()
    except KeyboardInterrupt:
        print("soak: interrupted", flush=True)
    finally:
        soak.cleanup()
    sys.exit(0 if soak.ok else 1)


if __name__ == "__main__":
    main()
