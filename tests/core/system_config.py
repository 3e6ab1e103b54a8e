"""The configuration file as an operator meets it: --check-config names the key path and the
line of a mistake; a missing, huge, absurdly nested or broken file keeps the daemon from
starting; SIGHUP with a bad file keeps the running configuration (and says why), with a
good file applies it; SIGTERM exits 0; and valgrind finds no leak or memory error."""
import json
import os
import re
import signal
import subprocess

import harness as h

SCANNER_PORT = 41002


def check_config(path):
    """(exit code, everything printed) of smsa-agentd --check-config -c path."""
    r = subprocess.run([h.agentd_path(), "--check-config", "-c", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def line_of(text, needle):
    """1-based line of the first line containing needle."""
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError("%r not in document" % needle)


def names_line(message, line):
    return re.search(r"(line\s*%d\b|:%d\b)" % (line, line), message) is not None


def test_check_config_accepts_good_and_names_key_and_line_of_bad():
    with h.TempDir() as tmp:
        good = h.base_config(tmp, peers={"scanners": [{"name": "s1", "host": "127.0.0.2"}]})
        rc, out = check_config(write(tmp, "good.json", json.dumps(good, indent=2)))
        assert rc == 0, out

        # (what to change, key path the message must name, text on the offending line)
        cases = [
            (lambda c: c["probe"].update(interval_ms="fast"), "probe.interval_ms",
             '"interval_ms"'),
            (lambda c: c["appliance"].update(role="router"), "appliance.role", '"router"'),
            (lambda c: c["peers"].update(scanerz=[]), "peers.scanerz", '"scanerz"'),
            (lambda c: c["http"].update(listen=8161), "http.listen", '"listen"'),
            (lambda c: c["peers"]["scanners"].append({"name": "s1", "host": "127.0.0.3"}),
             "peers.scanners", '"127.0.0.3"'),
            (lambda c: c["peers"].update(dns_servers=["bad host!"]), "peers.dns_servers",
             '"bad host!"'),
        ]
        for change, key, needle in cases:
            cfg = json.loads(json.dumps(good))
            change(cfg)
            text = json.dumps(cfg, indent=2)
            rc, out = check_config(write(tmp, "bad.json", text))
            assert rc == 1, (key, rc, out)
            assert key in out, "%s not named in: %s" % (key, out)
            if key != "peers.scanners":  # a duplicate may point at either entry
                assert names_line(out, line_of(text, needle)), \
                    "line %d not named for %s in: %s" % (line_of(text, needle), key, out)

        # Not JSON: the line of the syntax error.
        text = json.dumps(good, indent=2).replace('"name": "cc-test",', '"name": "cc-test"')
        assert text != json.dumps(good, indent=2)
        rc, out = check_config(write(tmp, "syntax.json", text))
        assert rc == 1, out
        # The parser stops at "role" (a comma was expected before it) or at the line before.
        assert names_line(out, line_of(text, '"role"')) or \
            names_line(out, line_of(text, '"cc-test"')), out


def refused_files(tmp):
    yield "missing", os.path.join(tmp, "does-not-exist.json")
    yield "empty", write(tmp, "empty.json", "")
    yield "not JSON", write(tmp, "text.json", "appliance: cc1\n")
    yield "10 MB", write(tmp, "huge.json", '{"appliance": {"name": "cc1"}}' + " " * (10 << 20))
    yield "1000 deep", write(tmp, "deep.json",
                             '{"peers": {"dns_servers": ' + "[" * 1000 + "]" * 1000 + "}}")
    yield "1000 deep objects", write(tmp, "deepobj.json",
                                     '{"a":' * 1000 + "1" + "}" * 1000)
    yield "a directory", tmp


def test_bad_files_are_refused_and_the_daemon_does_not_start():
    with h.TempDir() as tmp:
        for what, path in refused_files(tmp):
            rc, out = check_config(path)
            assert rc == 1, "%s: --check-config exited %d: %s" % (what, rc, out[-500:])
            assert out.strip(), "%s: no message" % what
            r = subprocess.run([h.agentd_path(), "-f", "-c", path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=20)
            out = r.stdout.decode("utf-8", "replace")
            # Refused, not crashed (a signal shows as a negative code).
            assert r.returncode > 0, "%s: daemon exited %d: %s" % (what, r.returncode, out)
            assert not re.search(r"smsa-agentd .* running", out), (what, out)


def test_reload_bad_file_keeps_running_and_good_file_applies():
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp, \
            h.FakeScanner("127.0.0.2", SCANNER_PORT) as s1, \
            h.FakeScanner("127.0.0.3", SCANNER_PORT):
        cfg = h.base_config(tmp, peers={"scanners": [{"name": "scanner1",
                                                      "host": "127.0.0.2"}]})
        d = h.Daemon(tmp, cfg)
        with d:
            h.wait_event(d, "link", name="scanner1", state="up")

            bad = json.loads(json.dumps(cfg))
            bad["probe"]["interval_ms"] = "fast"
            bad["peers"]["scanners"].append({"name": "scanner2", "host": "127.0.0.3"})
            mark, logged = h.log_mark(d), len(d.log())
            d.write_config(bad)
            d.signal(signal.SIGHUP)
            h.wait_until(lambda: "probe.interval_ms" in d.log()[logged:], 10,
                         what="a log line naming probe.interval_ms")
            # Still probing on the old configuration: scanner1 is checked on, and
            # scanner2 of the refused file never appears.
            seen = s1.accepted
            h.wait_until(lambda: s1.accepted >= seen + 4, 10, what="scanner1 still probed")
            assert d.proc.poll() is None, "daemon died on a bad reload"
            assert not h.events(d, "link", since=mark, name="scanner2")
            assert not h.events(d, "link", since=mark, state="down")

            good = json.loads(json.dumps(cfg))
            good["peers"]["scanners"].append({"name": "scanner2", "host": "127.0.0.3"})
            mark = h.log_mark(d)
            d.write_config(good)
            d.signal(signal.SIGHUP)
            ev = h.wait_event(d, "link", since=mark, name="scanner2", state="up")
            assert ev["address"] == "127.0.0.3", ev
            # The running link is carried over: no repeated event (no trap) for scanner1.
            assert not h.events(d, "link", since=mark, name="scanner1"), \
                h.events(d, "link", since=mark)
        assert d.proc.returncode == 0, "SIGTERM: exit %s" % d.proc.returncode


def sanitizer_build():
    """valgrind cannot run a binary built with -DSMSA_SANITIZE=ON; that build's own checks
    (every daemon log is searched for sanitizer reports) stand in for it there."""
    out = subprocess.run(["ldd", h.agentd_path()], capture_output=True, text=True).stdout
    return "libasan" in out


def test_valgrind_finds_no_leak_or_error():
    if sanitizer_build():
        print("valgrind: not applicable to a sanitizer build (ASan checks it instead)")
        return
    with h.PortLock(SCANNER_PORT), h.TempDir() as tmp, \
            h.FakeScanner("127.0.0.2", SCANNER_PORT) as s1, \
            h.FakeScanner("127.0.0.3", SCANNER_PORT) as s2, \
            h.Dnsmasq(tmp, {"scan2.test": "127.0.0.3", "probe.test": "127.0.0.9"}) as dns:
        resolver = "127.0.0.1:%d" % dns.port
        cfg = h.base_config(tmp, peers={
            "scanners": [{"name": "scanner1", "host": "127.0.0.2"},
                         {"name": "scanner2", "host": "scan2.test"}],
            "dns_servers": [resolver]},
            # valgrind slows everything twentyfold: rounds of 1 s, answers within 500 ms.
            probe={"resolver": resolver, "dns_query_name": "probe.test",
                   "interval_ms": 1000, "timeout_ms": 500},
            ntp={"enabled": True, "servers": ["127.0.0.1:%d" % h.free_port("udp")]})
        d = h.ValgrindDaemon(tmp, cfg)
        try:
            d.start()
            h.wait_event(d, "link", name="scanner1", state="up", timeout=30)
            h.wait_event(d, "link", name="scanner2", state="up", timeout=30)
            h.wait_event(d, "peer", flow=7, state="up", timeout=30)
            # A reload under valgrind too: the old model and probes in flight are freed.
            d.signal(signal.SIGHUP)
            seen = (s1.accepted, s2.accepted)
            h.wait_until(lambda: s1.accepted >= seen[0] + 4 and s2.accepted >= seen[1] + 4,
                         30, what="four more rounds after the reload")
            rc = d.stop(timeout=60)
        finally:
            d.stop(timeout=60)
        assert rc == 0, "valgrind exit %s:\n%s\n%s" % (rc, d.report()[-6000:],
                                                        d.log()[-2000:])


if __name__ == "__main__":
    h.run_tests([
        test_check_config_accepts_good_and_names_key_and_line_of_bad,
        test_bad_files_are_refused_and_the_daemon_does_not_start,
        test_reload_bad_file_keeps_running_and_good_file_applies,
        test_valgrind_finds_no_leak_or_error,
    ])
