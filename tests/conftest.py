"""Fixtures shared by every system test (tests/<area>/system_*.py).

Each fixture stops, by pid, whatever it started, after the test, pass or fail:

  tmp            a fresh temporary folder (kept when SMSA_KEEP_TMP is set)
  scanner_lock   the lock on port 41002, which fake scanners and the inbound listen check
                 share, so that tests run side by side by `ctest -j` take turns on it
  daemon         start(config, args=(), wait=True) -> a running harness.Daemon in tmp
  rest_daemon    start(token=False, http=None, **sections) -> a running restlib.RestDaemon;
                 its .client() is the REST client
  scanners       start(host, port=41002, greeting=None) -> a running harness.FakeScanner
  dnsmasq        start(records, domains=("test",)) -> a running harness.Dnsmasq in tmp
  snmpd          start(trap_port=None, port=None, folder=None) -> a running snmpenv.Snmpd
                 (AgentX master; a second one needs its own folder under tmp)
  snmptrapd      start(port=None) -> a running snmpenv.Snmptrapd

Tests written before these fixtures (plain functions under harness.run_tests) are collected
as they are.
"""
import os
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
for sub in ("lib", "rest", "snmp", "ops"):
    path = os.path.join(TESTS, sub)
    if path not in sys.path:
        sys.path.insert(0, path)

import harness as h  # noqa: E402

# ctest's SKIP_RETURN_CODE (tests/CMakeLists.txt): a file whose every test was skipped
# (e.g. a test that needs root, run by another user) exits with it when this is set.
SKIP_EXIT = os.environ.get("SMSA_SKIP_EXIT")


def pytest_sessionfinish(session, exitstatus):
    if not SKIP_EXIT or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    stats = reporter.stats
    if stats.get("skipped") and not stats.get("passed") and not stats.get("xpassed"):
        session.exitstatus = int(SKIP_EXIT)


class _Started:
    """Things a fixture started, stopped in reverse order at the end of the test."""

    def __init__(self):
        self.items = []

    def add(self, thing):
        self.items.append(thing)
        return thing

    def stop_all(self):
        errors = []
        for thing in reversed(self.items):
            try:
                thing.stop()
            except Exception as e:  # noqa: BLE001 - stop the others, then report
                errors.append(e)
        self.items = []
        if errors:
            raise errors[0]


@pytest.fixture
def tmp():
    with h.TempDir() as path:
        yield path


@pytest.fixture
def scanner_lock():
    with h.PortLock(41002) as lock:
        yield lock


@pytest.fixture
def daemon(tmp):
    started = _Started()

    def start(config, args=(), wait=True, **kw):
        d = h.Daemon(tmp, config, args=args, **kw)
        started.add(d)
        return d.start(wait=wait)
    yield start
    started.stop_all()


@pytest.fixture
def rest_daemon(tmp):
    import restlib
    started = _Started()

    def start(token=False, http=None, **sections):
        d = restlib.RestDaemon(tmp, token=token, http=http, **sections)
        started.add(d)
        return d.start()
    yield start
    started.stop_all()


@pytest.fixture
def scanners():
    started = _Started()

    def start(host, port=41002, greeting=None):
        return started.add(h.FakeScanner(host, port, greeting)).start()
    yield start
    started.stop_all()


@pytest.fixture
def dnsmasq(tmp):
    started = _Started()

    def start(records, port=None, domains=("test",)):
        return started.add(h.Dnsmasq(tmp, records, port=port, domains=domains)).start()
    yield start
    started.stop_all()


@pytest.fixture
def snmpd(tmp):
    import snmpenv
    started = _Started()

    def start(trap_port=None, port=None, folder=None):
        where = tmp if folder is None else os.path.join(tmp, folder)
        os.makedirs(where, exist_ok=True)
        return started.add(snmpenv.Snmpd(where, trap_port=trap_port, port=port)).start()
    yield start
    started.stop_all()


@pytest.fixture
def snmptrapd(tmp):
    import snmpenv
    started = _Started()

    def start(port=None):
        return started.add(snmpenv.Snmptrapd(tmp, port=port)).start()
    yield start
    started.stop_all()
