#!/usr/bin/python3
"""Beside a Control Center with 100 scanners: what the checks from beside cost.

Two runs against the same fleet on loopback (bench/core/peers.py, one epoll process; the
scanners on 127.0.3.1-100 greet on 22 with an SSH identification and on 25 with an SMTP 220,
and accept on 41002, 41015-41017; the Control Center on 127.0.3.250 accepts on 22, 41002,
41025 and 41443, where the TLS check fails: peers.py speaks no TLS):

  on-box   today's Control Center: 400 TCP probes a round (flows 11, 16-18 to each scanner),
           and its own inbound flows by the local listening sockets
  beside   appliance.placement "beside": the same 400 TCP probes, plus each scanner's 22 (SSH
           identification) and 25 twice (flows 2 and 4, SMTP greeting), plus the Control
           Center's 1, 12, 13, 15 at its address: 704 checks a round

Each at a 1 s interval for a window (30 s by default): checks/s (connections the peers
accepted), CPU µs per check, VmRSS/VmHWM; then one round of every check at once, as
`--preflight` runs it, against the interval the daemon spreads a round over (10 s default).

Loopback only. Every process started is stopped by its pid.
"""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
import harness as h  # noqa: E402

N = 100
CC = "127.0.3.250"


def config(tmp, placement, http_port):
    cfg = h.base_config(tmp, http_port=http_port,
                        probe={"interval_ms": 1000, "timeout_ms": 500, "fail_threshold": 3,
                               "recover_threshold": 1})
    cfg["peers"]["scanners"] = [{"name": "scanner%d" % (i + 1), "host": "127.0.3.%d" % (i + 1)}
                                for i in range(N)]
    if placement == "beside":
        cfg["appliance"].update({"placement": "beside", "address": CC})
    return cfg


def read_status(path):
    with open(path) as f:
        n, t = f.read().split()
    return int(n)


def run(placement, binary, seconds):
    with h.TempDir(prefix="smsa-bench-") as tmp:
        status = os.path.join(tmp, "peers.status")
        argv = ["/usr/bin/python3", os.path.join(HERE, "peers.py"), status,
                "--greet", "22", "SSH-2.0-OpenSSH_9.2p1", "--greet", "25", "220 scanner ESMTP",
                "--range", "127.0.3.1", str(N), "22,25,41002,41015,41016,41017",
                "--range", CC, "1", "22,41002,41025,41443"]
        peers = h.Process(argv, log_path=os.path.join(tmp, "peers.log")).start()
        d = None
        try:
            h.wait_until(lambda: os.path.exists(status) or peers.proc.poll() is not None,
                         30, what="peers listening")
            if peers.proc.poll() is not None:
                raise SystemExit(open(os.path.join(tmp, "peers.log")).read())
            port = h.free_port()
            cfg = config(tmp, placement, port)
            d = h.Daemon(tmp, cfg, binary=binary).start()
            time.sleep(5)  # every peer through its first rounds and the start-up spread
            cpu0, acc0, t0 = h.proc_cpu_seconds(d.pid), read_status(status), time.monotonic()
            rss_max = 0
            while time.monotonic() - t0 < seconds:
                time.sleep(1)
                rss_max = max(rss_max, h.proc_status(d.pid)["VmRSS"])
            cpu1, acc1, t1 = h.proc_cpu_seconds(d.pid), read_status(status), time.monotonic()
            st = h.proc_status(d.pid)
            appl = h.rest_json(d, "/api/v1/appliances") or {"items": []}
            states = {}
            for a in appl["items"]:
                states[a["state"]] = states.get(a["state"], 0) + 1
            d.stop(timeout=30)
            # one round of every check at once, as --preflight runs it
            path = os.path.join(tmp, "preflight.json")
            with open(path, "w") as f:
                json.dump(cfg, f)
            t = time.monotonic()
            p = subprocess.run([binary, "--preflight", "-c", path], capture_output=True,
                               text=True, timeout=120)
            round_s = time.monotonic() - t
            m = re.search(r"(\d+) checks: .* in ([\d.]+) s", p.stdout)
        finally:
            if d:
                d.stop(timeout=30)
            peers.stop()
    window = t1 - t0
    checks = acc1 - acc0
    return {"placement": placement, "checks_s": checks / window,
            "us_per_check": 1e6 * (cpu1 - cpu0) / checks if checks else float("nan"),
            "rss_mib": max(rss_max, st["VmRSS"]) / 1024.0, "hwm_mib": st["VmHWM"] / 1024.0,
            "round_checks": int(m.group(1)) if m else None,
            "round_s": float(m.group(2)) if m else None, "round_wall_s": round_s,
            "appliances": states}


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--seconds", type=float, default=30.0, help="measurement window")
    a = benchlib.parse(ap, nofile=True)
    print("smsa-agentd: %s" % a.binary)
    print("Control Center with %d scanners, interval 1000 ms, timeout 500 ms, window %.0f s"
          % (N, a.seconds), flush=True)
    rows = []
    with h.PortLock(41002):  # the scanner port the system tests share
        for placement in ("on-box", "beside"):
            print("running %s ..." % placement, flush=True)
            rows.append(run(placement, a.binary, a.seconds))
    print()
    print("%-8s %9s %14s %10s %10s %13s %11s  %s" % (
        "", "checks/s", "CPU us/check", "VmRSS MiB", "VmHWM MiB", "round checks",
        "round s", "appliances"))
    for r in rows:
        print("%-8s %9.0f %14.1f %10.1f %10.1f %13s %11s  %s" % (
            r["placement"], r["checks_s"], r["us_per_check"], r["rss_mib"], r["hwm_mib"],
            r["round_checks"], "%.3f" % r["round_s"] if r["round_s"] is not None else "-",
            " ".join("%s=%d" % kv for kv in sorted(r["appliances"].items()))))
    ratio = rows[1]["us_per_check"] / rows[0]["us_per_check"]
    print("\nCPU per check beside / on-box: %.2fx (target: within 1.2x for the TCP checks)"
          % ratio)
    print("one round of every check beside: %.3f s of a 10 s default interval"
          % (rows[1]["round_s"] or float("nan")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
