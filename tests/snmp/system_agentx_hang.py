"""The subagent never blocks on the master: with snmpd stopped (SIGSTOP: it still accepts
connections into its listen backlog but answers nothing), REST keeps answering promptly, the
daemon notices the silent master, queues what happens meanwhile, and once snmpd runs again it
reconnects, delivers the queued smsaLinkDown and serves walks.

snmpd stays stopped for 9 s: with a 1 s ping interval that is more reconnect attempts than
snmpd's AgentX listen backlog holds (5), so a blocking connect() would hang here."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SCANNER_PORT = 41002
SCANNER = ("scanner1", "127.0.0.2")
STOPPED_FOR = 9.0
# A behavioural bound, not a benchmark: a frozen loop (net-snmp's synchronous ping or Open)
# stalls for a second or more; a live one answers in milliseconds.
MAX_LATENCY = 0.3


def healthz_latency(port):
    t0 = time.monotonic()
    try:
        st, _, _ = h.http_get(port, "/healthz", timeout=5)
    except OSError:
        return float("inf")
    dt = time.monotonic() - t0
    return dt if st == 200 else float("inf")


def test_rest_answers_while_master_hangs_and_queued_trap_arrives_after():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        snmpd = s.Snmpd(tmp, trap_port=trapd.port).start()
        box = h.FakeScanner(SCANNER[1], SCANNER_PORT).start()
        stopped = False
        try:
            cfg = h.base_config(tmp, peers={"scanners": [{"name": SCANNER[0],
                                                          "host": SCANNER[1]}]},
                                snmp={"mode": "subagent", "ping_interval_s": 1,
                                      "agentx_socket": "unix:" + snmpd.socket})
            port = int(cfg["http"]["listen"].rsplit(":", 1)[1])
            with h.Daemon(tmp, cfg) as d:
                d.wait_log(r"AgentX session to the master agent is open")
                h.wait_link(d, SCANNER[0], "up")
                h.wait_until(lambda: s.walk(snmpd.target, s.LINK_STATUS) ==
                             [(s.LINK_STATUS + ".1", "INTEGER", "2")], 10, what="walk")

                snmpd.proc.send_signal(signal.SIGSTOP)
                stopped = True
                t_stop = time.monotonic()
                mark = h.log_mark(d)
                lat, lost_at, scanner_stopped = [], None, False
                while time.monotonic() - t_stop < STOPPED_FOR:
                    lat.append(healthz_latency(port))
                    if lost_at is None and "AgentX session to the master agent lost" in d.log():
                        lost_at = time.monotonic() - t_stop
                    if lost_at is not None and not scanner_stopped:
                        box.stop()  # a link goes down while the master is away
                        scanner_stopped = True
                    time.sleep(0.1)
                worst = max(lat)
                print("healthz while snmpd stopped: %d requests, worst %.1f ms, median %.1f ms; "
                      "master declared lost after %.1f s"
                      % (len(lat), worst * 1000, sorted(lat)[len(lat) // 2] * 1000,
                         lost_at if lost_at is not None else -1), flush=True)
                assert lost_at is not None and lost_at < 4.0, d.log()[-3000:]
                assert worst < MAX_LATENCY, (worst, lat)
                assert len(lat) >= STOPPED_FOR / (0.1 + MAX_LATENCY)
                h.wait_event(d, "link", since=mark, name=SCANNER[0], state="down")
                assert not trapd.link_traps("down", SCANNER[0])

                snmpd.proc.send_signal(signal.SIGCONT)
                stopped = False
                h.wait_until(lambda: trapd.link_traps("down", SCANNER[0]), 15,
                             what="queued smsaLinkDown after SIGCONT")
                assert len(trapd.link_traps("down", SCANNER[0])) == 1
                h.wait_until(lambda: s.walk(snmpd.target, s.LINK_STATUS) ==
                             [(s.LINK_STATUS + ".1", "INTEGER", "4")], 15,
                             what="walk after reconnect")
                assert d.proc.poll() is None
        finally:
            if stopped:
                snmpd.proc.send_signal(signal.SIGCONT)
            box.stop()
            snmpd.stop()
            trapd.stop()


def test_master_killed_while_hung_then_restarted():
    """snmpd stopped, then killed outright (its socket file left behind, as after a crash),
    then started again: the daemon stays responsive throughout and re-registers."""
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        snmpd = s.Snmpd(tmp, trap_port=trapd.port).start()
        box = h.FakeScanner(SCANNER[1], SCANNER_PORT).start()
        try:
            cfg = h.base_config(tmp, peers={"scanners": [{"name": SCANNER[0],
                                                          "host": SCANNER[1]}]},
                                snmp={"mode": "subagent", "ping_interval_s": 1,
                                      "agentx_socket": "unix:" + snmpd.socket})
            port = int(cfg["http"]["listen"].rsplit(":", 1)[1])
            with h.Daemon(tmp, cfg) as d:
                d.wait_log(r"AgentX session to the master agent is open")
                h.wait_link(d, SCANNER[0], "up")
                snmpd.proc.send_signal(signal.SIGSTOP)
                lat = []
                t0 = time.monotonic()
                while time.monotonic() - t0 < 3.0:
                    lat.append(healthz_latency(port))
                    time.sleep(0.1)
                snmpd.proc.send_signal(signal.SIGKILL)
                snmpd.proc.wait(5)
                mark = h.log_mark(d)
                box.stop()
                h.wait_event(d, "link", since=mark, name=SCANNER[0], state="down")
                while time.monotonic() - t0 < 5.0:
                    lat.append(healthz_latency(port))
                    time.sleep(0.1)
                assert max(lat) < MAX_LATENCY, lat
                os.unlink(snmpd.socket)
                snmpd = s.Snmpd(tmp, trap_port=trapd.port, port=snmpd.port).start()
                h.wait_until(lambda: trapd.link_traps("down", SCANNER[0]), 15,
                             what="queued smsaLinkDown after restart")
                h.wait_until(lambda: s.walk(snmpd.target, s.LINK_STATUS) ==
                             [(s.LINK_STATUS + ".1", "INTEGER", "4")], 15,
                             what="walk after reconnect")
                assert d.proc.poll() is None
        finally:
            if snmpd.proc and snmpd.proc.poll() is None:
                snmpd.proc.send_signal(signal.SIGCONT)
            box.stop()
            snmpd.stop()
            trapd.stop()


def test_reload_moves_to_another_master_and_changes_ping_interval():
    """SIGHUP with a new snmp.agentx_socket and ping_interval_s applies both without a
    restart: the subtree moves to the other snmpd."""
    with h.TempDir() as tmp:
        a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        os.mkdir(a_dir)
        os.mkdir(b_dir)
        snmpd_a = s.Snmpd(a_dir).start()
        snmpd_b = s.Snmpd(b_dir).start()
        try:
            cfg = h.base_config(tmp, snmp={"mode": "subagent", "ping_interval_s": 5,
                                           "agentx_socket": "unix:" + snmpd_a.socket})
            with h.Daemon(tmp, cfg) as d:
                d.wait_log(r"AgentX session to the master agent is open")
                h.wait_until(lambda: s.walk(snmpd_a.target, s.OBJECTS + ".1"), 10,
                             what="walk on snmpd a")
                cfg["snmp"].update(ping_interval_s=1, agentx_socket="unix:" + snmpd_b.socket)
                d.write_config(cfg)
                d.signal(signal.SIGHUP)
                d.wait_log(r"AgentX ping interval now 1 s")
                d.wait_log(r"AgentX master now unix:" + snmpd_b.socket)
                d.wait_log(r"AgentX session to the master agent is open", count=2)
                h.wait_until(lambda: s.walk(snmpd_b.target, s.OBJECTS + ".1"), 10,
                             what="walk on snmpd b")
                # snmpwalk reports a subtree nobody serves as one "No Such Object" line
                h.wait_until(lambda: all(v.startswith("No Such") for _, _, v in
                                         s.walk(snmpd_a.target, s.OBJECTS + ".1")), 10,
                             what="subtree gone from snmpd a")
        finally:
            snmpd_a.stop()
            snmpd_b.stop()


if __name__ == "__main__":
    h.run_tests([test_rest_answers_while_master_hangs_and_queued_trap_arrives_after,
                 test_master_killed_while_hung_then_restarted,
                 test_reload_moves_to_another_master_and_changes_ping_interval])
