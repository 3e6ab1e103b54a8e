"""Real net-snmp processes for the SNMP system tests: snmpd as AgentX master (socket in a
temp folder, UDP on a free loopback port), snmptrapd logging to a file, and the command-line
clients. Everything is started on loopback and stopped by pid."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from mibdirs import snmp_mib_args  # noqa: E402

ROOT_OID = ".1.3.6.1.4.1.32473"
OBJECTS = ROOT_OID + ".1"
TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
LINK_DOWN = ROOT_OID + ".0.1"
LINK_UP = ROOT_OID + ".0.2"
LINK_NAME = OBJECTS + ".6.1.2"
LINK_STATUS = OBJECTS + ".6.1.7"
LINK_CAUSE = OBJECTS + ".6.1.8"
EVENT_TIME = OBJECTS + ".2.6.0"
STATE = {1: "unknown", 2: "up", 3: "degraded", 4: "down", 5: "disabled", 6: "unconfigured",
         7: "not-applicable"}
CAUSE = {1: "none", 2: "timeout", 3: "refused", 4: "unreachable", 5: "dns-failure",
         6: "protocol-error", 7: "kiss-of-death", 8: "not-listening", 9: "error",
         10: "loopback-only", 11: "prohibited", 12: "offset"}
# Clients must not read the system's MIB list (noise) or snmp.conf.
CLIENT_ENV = dict(os.environ, MIBS="", SNMPCONFPATH="/nonexistent")


class Snmpd(h.Process):
    """snmpd -f as AgentX master on tmp/agentx.sock, read community public, write community
    private (to prove SETs are refused by the subagent), trap2sink to trap_port."""

    def __init__(self, tmp, trap_port=None, port=None):
        self.tmp = tmp
        self.port = port or h.free_port("udp")
        self.socket = os.path.join(tmp, "agentx.sock")
        self.conf = os.path.join(tmp, "snmpd.conf")
        lines = ["master agentx", "agentXSocket unix:%s" % self.socket, "agentXPerms 0600 0700",
                 "agentXTimeout 2", "rocommunity public 127.0.0.1",
                 "rwcommunity private 127.0.0.1"]
        if trap_port:
            lines.append("trap2sink 127.0.0.1:%d public" % trap_port)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        super().__init__(["snmpd", "-f", "-Lo", "-C", "-c", self.conf, "-p",
                          os.path.join(tmp, "snmpd.pid"), "udp:127.0.0.1:%d" % self.port],
                         log_path=os.path.join(tmp, "snmpd.log"),
                         env=dict(CLIENT_ENV, SNMP_PERSISTENT_DIR=os.path.join(tmp, "snmpd-state")))

    def start(self):
        super().start()
        h.wait_until(lambda: os.path.exists(self.socket), 5, what="snmpd AgentX socket")
        return self

    def kill(self):
        self.stop(sig=signal.SIGKILL)
        try:
            os.unlink(self.socket)
        except OSError:
            pass

    @property
    def target(self):
        return "127.0.0.1:%d" % self.port


class Snmptrapd(h.Process):
    def __init__(self, tmp, port=None):
        self.port = port or h.free_port("udp")
        self.log_file = os.path.join(tmp, "traps.log")
        conf = os.path.join(tmp, "snmptrapd.conf")
        with open(conf, "w") as f:
            f.write("disableAuthorization yes\n")
        # -On: numeric OIDs; -Lf: one trap per line (header + tab-separated varbinds)
        super().__init__(["snmptrapd", "-f", "-On", "-Lf", self.log_file, "-C", "-c", conf,
                          "-p", os.path.join(tmp, "snmptrapd.pid"),
                          "udp:127.0.0.1:%d" % self.port],
                         log_path=os.path.join(tmp, "snmptrapd.out"),
                         env=dict(CLIENT_ENV, SNMP_PERSISTENT_DIR=os.path.join(tmp, "trapd-state")))

    def start(self):
        super().start()
        h.wait_until(lambda: os.path.exists(self.log_file), 5, what="snmptrapd log")
        time.sleep(0.2)
        return self

    def traps(self):
        """Every trap received: a dict OID -> value text, plus '_rx' (receive time)."""
        try:
            text = open(self.log_file, errors="replace").read()
        except OSError:
            return []
        out = []
        for line in text.splitlines():
            if TRAP_OID not in line:
                continue
            vb = {}
            for part in line.split("\t"):
                m = re.match(r"\s*(\.[0-9.]+) = (?:[A-Za-z0-9-]+: )?(.*)$", part.strip())
                if m:
                    vb[m.group(1)] = m.group(2).strip().strip('"')
            out.append(vb)
        return out

    def link_traps(self, kind=None, name=None):
        res = []
        for t in self.traps():
            oid = t.get(TRAP_OID)
            if oid not in (LINK_DOWN, LINK_UP):
                continue
            if kind == "down" and oid != LINK_DOWN or kind == "up" and oid != LINK_UP:
                continue
            tname = next((v for k, v in t.items() if k.startswith(LINK_NAME + ".")), None)
            if name is not None and tname != name:
                continue
            t["_kind"] = "down" if oid == LINK_DOWN else "up"
            t["_name"] = tname
            cause = next((v for k, v in t.items() if k.startswith(LINK_CAUSE + ".")), None)
            t["_cause"] = CAUSE.get(int(cause)) if cause and cause.isdigit() else cause
            res.append(t)
        return res


def run(argv, check=True, timeout=30):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=CLIENT_ENV, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s" % (" ".join(argv), r.returncode, r.stdout))
    return r.stdout


def walk(target, oid=ROOT_OID, bulk=False, community="public", extra=()):
    """[(numeric oid, type, value)] of a walk or bulkwalk."""
    tool = "snmpbulkwalk" if bulk else "snmpwalk"
    argv = [tool, "-v2c", "-c", community, "-On", "-Oe", "-t", "3", "-r", "1"] + list(extra) + \
        [target, oid]
    return parse_varbinds(run(argv))


def parse_varbinds(text):
    out = []
    for line in text.splitlines():
        m = re.match(r"(\.[0-9.]+) = (?:([A-Za-z0-9-]+): )?(.*)$", line)
        if m:
            out.append((m.group(1), m.group(2) or "", m.group(3).strip().strip('"')))
    return out


def mib_args():
    return snmp_mib_args()


def event_time_of(trap):
    """The DateAndTime of smsaNotificationEventTime as seconds since the epoch (UTC)."""
    import calendar
    hexs = trap.get(EVENT_TIME, "")
    b = bytes(int(x, 16) for x in hexs.split())
    if len(b) < 8:
        return None
    year = b[0] << 8 | b[1]
    return calendar.timegm((year, b[2], b[3], b[4], b[5], b[6], 0, 0, 0)) + b[7] / 10.0
