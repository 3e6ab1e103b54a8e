"""A malformed snmp section is refused with its key path, and mode off starts no
SNMP at all."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

BAD = [
    ({"mode": "supervisor"}, "snmp.mode"),
    ({"mode": 3}, "snmp.mode"),
    ({"notify_queue": -1}, "snmp.notify_queue"),
    ({"ping_interval_s": "often"}, "snmp.ping_interval_s"),
    ({"trap_sinks": "127.0.0.1:162"}, "snmp.trap_sinks"),
    ({"colour": "blue"}, "snmp.colour"),
]


def check(tmp, snmp):
    cfg = h.base_config(tmp, snmp=snmp)
    path = os.path.join(tmp, "cfg.json")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    return subprocess.run([h.agentd_path(), "--check-config", "-c", path],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_bad_snmp_sections_are_refused_with_key_path():
    with h.TempDir() as tmp:
        for snmp, key in BAD:
            r = check(tmp, snmp)
            assert r.returncode == 1, (snmp, r.stdout)
            assert key in r.stdout, (snmp, key, r.stdout)


def test_good_snmp_section_is_accepted():
    with h.TempDir() as tmp:
        r = check(tmp, {"mode": "master", "master_listen": "udp:127.0.0.1:1161",
                        "community": "public", "notify_rate_limit": 10, "notify_queue": 50,
                        "ping_interval_s": 2, "trap_sinks": ["127.0.0.1:162"]})
        assert r.returncode == 0, r.stdout


def test_mode_off_starts_no_snmp():
    with h.TempDir() as tmp:
        with h.Daemon(tmp, h.base_config(tmp)) as d:
            pass
        assert "snmp:" not in d.log(), d.log()


if __name__ == "__main__":
    h.run_tests([test_bad_snmp_sections_are_refused_with_key_path, test_good_snmp_section_is_accepted,
                 test_mode_off_starts_no_snmp])
