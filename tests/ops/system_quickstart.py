"""The README's two commands in any order.

scripts/quickstart.sh, run in a sandbox (a mount namespace where /etc is an overlay holding
a broken /etc/smsa-agent/smsa-agent.json, and a network namespace with only loopback, so the
embedded defaults' update hosts are never reached and its fixed ports clash with nothing):
it starts the agent on the embedded defaults anyway, leaves alone a process whose pid sits
in its pid file but is not its agent, prints commands that work (numeric OIDs, as the base
MIBs cannot be fetched without a network), and replaces only its own agent when run again.

Then scripts/test-all.sh's cmake and ctest lines on the build folder the quick start left
with BUILD_TESTING=OFF: the tests are configured again, and ctest refuses to find none."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
import harness as h  # noqa: E402

ROOT = opslib.ROOT


def run(argv, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    kw.setdefault("text", True)
    return subprocess.run(argv, **kw)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def quickstart(build):
    r = run([os.path.join(ROOT, "scripts", "quickstart.sh")],
            env=dict(os.environ, SMSA_BUILD_DIR=build), timeout=600)
    assert r.returncode == 0, "quickstart.sh failed:\n" + r.stdout
    pid = int(open(os.path.join(build, "quickstart", "pid")).read())
    return r.stdout, pid


def commands(out):
    """The lines printed under "Ask it:"."""
    block = out.split("Ask it:")[1].split("Stop it:")[0]
    return [l.strip() for l in block.splitlines() if l.strip()]


def inside(tmp):
    """Runs in the sandbox (root, private mount and network namespaces)."""
    up, work = os.path.join(tmp, "up"), os.path.join(tmp, "work")
    os.makedirs(up)
    os.makedirs(work)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=/etc,upperdir=%s,workdir=%s" % (up, work), "/etc"], check=True)
    os.makedirs("/etc/smsa-agent", exist_ok=True)
    with open("/etc/smsa-agent/smsa-agent.json", "w") as f:
        f.write("{ this file would stop the daemon if it were read\n")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

    build = os.path.join(tmp, "build")
    os.makedirs(os.path.join(build, "quickstart"))
    decoy = subprocess.Popen(["sleep", "600"])
    pids = []
    try:
        with open(os.path.join(build, "quickstart", "pid"), "w") as f:
            f.write("%d\n" % decoy.pid)
        out, pid = quickstart(build)
        pids.append(pid)
        assert decoy.poll() is None, "quickstart killed a process it had not started"
        assert "numeric OIDs" in out, out
        cmds = commands(out)
        assert len(cmds) == 5, out
        for cmd in cmds:
            r = run(["sh", "-c", cmd], timeout=60)
            assert r.returncode == 0 and r.stdout.strip(), "%s:\n%s" % (cmd, r.stdout)
            if cmd.startswith("snmpwalk"):
                assert ".1.3.6.1.4.1.32473.1" in r.stdout, r.stdout[:2000]
            if "/api/v1/status" in cmd:
                assert '"role":"control-center"' in r.stdout.replace(" ", ""), r.stdout
        log = open(os.path.join(build, "quickstart", "agentd.log")).read()
        assert "--no-config: running on the embedded defaults" in log, log

        # with the base MIBs at hand (fetched outside the sandbox), the commands use names
        src = os.path.join(tmp, "mibs-src")
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(build, "snmp-mibs"))
        out2, pid2 = quickstart(build)
        pids.append(pid2)
        assert pid2 != pid and alive(pid2), out2
        h.wait_until(lambda: not alive(pid), 5, what="the first agent to stop")
        assert decoy.poll() is None
        if os.path.isdir(src):
            assert "numeric OIDs" not in out2, out2
            for cmd in commands(out2)[:2]:
                r = run(["sh", "-c", cmd], timeout=60)
                assert r.returncode == 0, "%s:\n%s" % (cmd, r.stdout)
                assert "smsaFlowPort" in r.stdout or "SMSA-AGENT-MIB::" in r.stdout, r.stdout
        else:
            print("(base MIBs could not be fetched: the named commands were not tried)")
    finally:
        for p in pids:
            if alive(p):
                os.kill(p, signal.SIGTERM)
        decoy.kill()
        decoy.wait()
    return build


def script_line(name, start):
    with open(os.path.join(ROOT, "scripts", name)) as f:
        for line in f:
            if line.strip().startswith(start):
                return shlex.split(line.split(">")[0].strip())
    raise AssertionError("no %r line in scripts/%s" % (start, name))


def check_test_all(build):
    """test-all.sh's configure line on a BUILD_TESTING=OFF folder turns the tests on, and its
    ctest line fails where there are no tests."""
    cache = open(os.path.join(build, "CMakeCache.txt")).read()
    assert "BUILD_TESTING:BOOL=OFF" in cache, "the quick start should configure without tests"
    ctest = script_line("test-all.sh", "ctest ")
    assert "--no-tests=error" in ctest, ctest
    empty = run(["ctest", "--no-tests=error"], cwd=build)
    assert empty.returncode != 0, "ctest --no-tests=error passed with no tests:\n" + empty.stdout
    argv = script_line("test-all.sh", "cmake -S")
    argv[argv.index("-B") + 1] = build
    r = run(argv, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stdout
    cache = open(os.path.join(build, "CMakeCache.txt")).read()
    assert "BUILD_TESTING:BOOL=ON" in cache
    listed = run(["ctest", "-N"], cwd=build).stdout
    n = int(re.search(r"Total Tests: (\d+)", listed).group(1))
    assert n > 10, listed


@opslib.needs_root("the quick start's sandbox (mount and network namespaces)")
def test_quickstart_then_test_all():
    if not opslib.namespaces_ok():
        opslib.skip("this host allows no mount and network namespaces (a container without "
                    "CAP_SYS_ADMIN?): the quick start's embedded defaults probe Internet "
                    "hosts, so it runs only in a loopback-only sandbox")
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        run([os.path.join(ROOT, "scripts", "smsa-agent-mibs"), "--dir",
             os.path.join(tmp, "mibs-src")], timeout=300)
        r = run(["unshare", "--mount", "--propagation", "private", "--net",
                 sys.executable, os.path.abspath(__file__), "--inside", tmp], timeout=900)
        print(r.stdout, flush=True)
        assert r.returncode == 0, "the sandboxed quick start failed"
        check_test_all(os.path.join(tmp, "build"))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        inside(sys.argv[2])
        sys.exit(0)
    h.run_tests([test_quickstart_then_test_all])
