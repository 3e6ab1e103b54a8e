"""Helpers for the operation tests: Debian packages unpacked from the archive (never
installed), root checks, running a command as another user."""
import glob
import os
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))



def skip(why):
    """Skips the running test with its reason (ctest reports a file whose every test was
    skipped as skipped)."""
    pytest.skip(why)


def needs_root(what):
    """A mark for a test (or, as `pytestmark = needs_root(...)`, a whole file) that needs
    root."""
    return pytest.mark.skipif(os.geteuid() != 0, reason="%s needs root (it runs as CI does, "
                              "as root); run it with sudo" % what)


def debian_package(name, into):
    """Unpacks Debian's package `name` (the version apt would install) into `into`: from
    apt's cache when it is there, else `apt-get download`. Returns `into`, or None."""
    work = tempfile.mkdtemp(prefix="deb-", dir=into)
    debs = sorted(glob.glob("/var/cache/apt/archives/%s_*.deb" % name))
    if not debs:
        r = subprocess.run(["apt-get", "download", "-q", name], cwd=work,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        debs = glob.glob(os.path.join(work, "%s_*.deb" % name))
        if r.returncode != 0 or not debs:
            return None
    out = os.path.join(into, name)
    subprocess.run(["dpkg-deb", "-x", debs[-1], out], check=True)
    return out


def as_user(user, group, argv):
    """argv run as user:group (no supplementary groups), with setpriv(1)."""
    return ["setpriv", "--reuid=" + user, "--regid=" + group, "--clear-groups"] + list(argv)


def namespaces_ok():
    """Whether this host lets root make mount and network namespaces (a container without
    CAP_SYS_ADMIN does not)."""
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "--net", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0
