"""Acknowledged notifications, as an NMS behind a real snmpd sees them: while links flap,
snmpd is restarted 10 times (killed or stopped cleanly), once frozen with SIGSTOP and then
killed, and once frozen and woken up with SIGCONT; every
link transition still reaches snmptrapd at least once, in order per link, and the sequence
numbers (smsaNotificationSequence) show every duplicate and leave no gap."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import snmpenv as s  # noqa: E402

SCANNER_PORT = 41002
SCANNERS = {"scanner1": "127.0.0.2", "scanner2": "127.0.0.3", "scanner3": "127.0.0.4",
            "scanner4": "127.0.0.5"}
SEQUENCE = s.OBJECTS + ".2.8.0"
SENT, QUEUED = s.OBJECTS + ".2.1.0", s.OBJECTS + ".2.4.0"


def ours(trapd):
    return [t for t in trapd.traps() if t.get(s.TRAP_OID, "").startswith(s.ROOT_OID + ".")]


def flap(d, boxes, names):
    """Turns each named scanner off if on and on if off, and waits for the daemon's verdict."""
    mark = h.log_mark(d)
    want = {}
    for n in names:
        b = boxes[n]
        if b.sock:
            b.stop()
            want[n] = "down"
        else:
            b.start()
            want[n] = "up"
    for n, state in want.items():
        h.wait_event(d, "link", since=mark, name=n, state=state, timeout=15)


def drained(snmpd):
    """smsaNotificationsSent and ...Queued through snmpd once nothing waits; None before."""
    out = s.run(["snmpget", "-v2c", "-c", "public", "-On", snmpd.target, SENT, QUEUED],
                check=False)
    # "No Such Object" while the subagent is reconnecting
    v = {o: int(x) for o, _, x in s.parse_varbinds(out) if x.isdigit()}
    return v if v.get(QUEUED) == 0 and SENT in v else None


def expected_link_notifications(d):
    """Per link, the transitions the daemon saw that are news: every up/down after the first
    verdict, and a first verdict of down."""
    out = {n: [] for n in SCANNERS}
    first = {n: True for n in SCANNERS}
    for e in h.events(d, "link"):
        n, state = e["name"], e["state"]
        if state in ("up", "down") and not (first[n] and state == "up"):
            out[n].append(state)
        first[n] = False
    return out


def test_every_link_transition_survives_restarts_and_a_frozen_snmpd():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp:
        trapd = s.Snmptrapd(tmp).start()
        snmpd = s.Snmpd(tmp, trap_port=trapd.port).start()
        boxes = {n: h.FakeScanner(a, SCANNER_PORT).start() for n, a in SCANNERS.items()}
        cfg = h.base_config(tmp, peers={"scanners": [{"name": n, "host": a}
                                                     for n, a in SCANNERS.items()]},
                            snmp={"mode": "subagent", "agentx_socket": "unix:" + snmpd.socket,
                                  "ping_interval_s": 1, "notify_rate_limit": 0})
        names = list(SCANNERS)
        try:
            with h.Daemon(tmp, cfg) as d:
                d.wait_log(r"AgentX session to the master agent is open")
                for n in names:
                    h.wait_link(d, n, "up")
                for i in range(10):
                    # flaps just before the restart: notifications in flight when it goes
                    flap(d, boxes, names[i % 4:i % 4 + 2])
                    if i % 2:
                        snmpd.kill()
                    else:
                        snmpd.stop()
                    flap(d, boxes, [names[(i + 1) % 4]])  # while snmpd is away
                    snmpd = s.Snmpd(tmp, trap_port=trapd.port, port=snmpd.port).start()
                    flap(d, boxes, [names[(i + 2) % 4]])
                # a master that hangs and is then killed (as a watchdog would): what was
                # written into its socket is gone with it, and must be sent again
                h.wait_until(lambda: drained(snmpd), 30, step=0.2, what="the session back")
                snmpd.proc.send_signal(signal.SIGSTOP)
                flap(d, boxes, names[1:3])
                snmpd.kill()
                snmpd = s.Snmpd(tmp, trap_port=trapd.port, port=snmpd.port).start()
                # a frozen master: it accepts and reads nothing, then wakes up and forwards
                # what it had read, which is sent again too: duplicates
                h.wait_until(lambda: drained(snmpd), 30, step=0.2, what="the session back")
                flap(d, boxes, names[:2])
                snmpd.proc.send_signal(signal.SIGSTOP)
                flap(d, boxes, names[2:])
                d.wait_log(r"did not answer", timeout=15)
                flap(d, boxes, names[:2])
                snmpd.proc.send_signal(signal.SIGCONT)
                flap(d, boxes, names)

                stats = h.wait_until(lambda: drained(snmpd), 30, step=0.5,
                                     what="every notification acknowledged")
                time.sleep(1.0)
                got = ours(trapd)
                seqs = [int(t[SEQUENCE]) for t in got]
                distinct = sorted(set(seqs))
                # every notification arrived at least once, and none is missing (a flow may
                # still have changed after the counters were read)
                assert distinct == list(range(1, max(distinct) + 1)), distinct
                assert len(distinct) >= stats[SENT], (len(distinct), stats)
                # a duplicate is the same notification again, under the same number
                first = {}
                for t, q in zip(got, seqs):
                    body = {k: v for k, v in t.items() if k != ".1.3.6.1.2.1.1.3.0"}
                    assert first.setdefault(q, body) == body, (q, first[q], body)
                # per link: every transition, in order
                want = expected_link_notifications(d)
                seen = set()
                per_link = {n: [] for n in SCANNERS}
                last_seq = {n: 0 for n in SCANNERS}
                for t, q in zip(got, seqs):
                    if q in seen or t[s.TRAP_OID] not in (s.LINK_DOWN, s.LINK_UP):
                        seen.add(q)
                        continue
                    seen.add(q)
                    n = next(v for k, v in t.items() if k.startswith(s.LINK_NAME + "."))
                    per_link[n].append("down" if t[s.TRAP_OID] == s.LINK_DOWN else "up")
                    assert q > last_seq[n], (n, q, last_seq[n])
                    last_seq[n] = q
                assert per_link == want, (per_link, want)
                n_links = sum(len(v) for v in want.values())
                print("restart test: %d link transitions; agent sent %d notifications; "
                      "snmptrapd received %d, %d distinct, %d duplicates, 0 missing"
                      % (n_links, stats[SENT], len(got), len(distinct), len(got) - len(distinct)),
                      flush=True)
        finally:
            for b in boxes.values():
                b.stop()
            if snmpd.proc and snmpd.proc.poll() is None:
                snmpd.proc.send_signal(signal.SIGCONT)
            snmpd.stop()
            trapd.stop()


if __name__ == "__main__":
    h.run_tests([test_every_link_transition_survives_restarts_and_a_frozen_snmpd])
