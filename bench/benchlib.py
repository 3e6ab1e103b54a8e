"""The one command line of every benchmark (bench/<area>/*.py and the CMake targets
bench-core, bench-rest, bench-snmp, bench-preflight):

  --build DIR     the CMake build folder (default: build/ at the top of the tree); the daemon
                  is DIR/agent/smsa-agentd
  --binary PATH   this smsa-agentd instead (default: $SMSA_AGENTD when no --build is given)
  --seconds N     the measurement window, where a benchmark has one
  --peers N[,N]   how many peers (scanners) to measure with, where a benchmark varies them

Flags in $SMSA_BENCH_ARGS come before the command line's, so that a CMake target can be
given them: SMSA_BENCH_ARGS="--seconds 10" cmake --build build --target bench-core
"""
import argparse
import os
import resource
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def parser(doc):
    """An ArgumentParser with --build and --binary; its description is doc's first paragraph
    and the rest of doc is shown by --help after the options."""
    first, _, rest = (doc or "").strip().partition("\n\n")
    first = " ".join(first.split())
    ap = argparse.ArgumentParser(description=first, epilog=rest.strip() or None,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", metavar="DIR", default=None,
                    help="CMake build folder (default: build/ at the top of the tree)")
    ap.add_argument("--binary", metavar="PATH", default=None,
                    help="smsa-agentd to measure (default: $SMSA_AGENTD, else "
                    "BUILD/agent/smsa-agentd)")
    return ap


def counts(text):
    """'100,1000' (or '100 1000') -> [100, 1000]."""
    try:
        out = [int(x) for x in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected counts like 100,1000, got %r" % text)
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError("expected counts like 100,1000, got %r" % text)
    return out


def parse(ap, nofile=False):
    """Parses $SMSA_BENCH_ARGS then the command line; resolves args.build and args.binary
    (exported as SMSA_AGENTD for the test harness); nofile raises RLIMIT_NOFILE for many
    sockets."""
    a = ap.parse_args(shlex.split(os.environ.get("SMSA_BENCH_ARGS", "")) + sys.argv[1:])
    explicit_build = a.build is not None
    a.build = os.path.abspath(a.build or os.environ.get("SMSA_BUILD_DIR") or
                              os.path.join(ROOT, "build"))
    if not a.binary:
        env = os.environ.get("SMSA_AGENTD")
        a.binary = env if env and not explicit_build else os.path.join(a.build, "agent",
                                                                        "smsa-agentd")
    a.binary = os.path.abspath(a.binary)
    if not os.access(a.binary, os.X_OK):
        ap.error("no smsa-agentd at %s: build it first (cmake --build %s)" % (a.binary, a.build))
    os.environ["SMSA_AGENTD"] = a.binary
    os.environ.setdefault("SMSA_MIB_CACHE", os.path.join(a.build, "ietf-mibs"))
    if nofile:
        # Each probe holds a socket for a moment and the peers hold a listener each.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return a
