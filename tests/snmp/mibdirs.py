"""The IETF base MIB modules for smilint and snmptranslate, taken from Debian's erlang-snmp
package (never committed): fetched once with `apt-get download` into a cache folder and
unpacked as files named after their modules, as smilint wants them."""
import glob
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MIB_DIR = os.path.join(ROOT, "mibs")
MODULE = "SMSA-AGENT-MIB"


def cache_dir():
    d = os.environ.get("SMSA_MIB_CACHE")
    if not d:
        build = os.environ.get("SMSA_BUILD_DIR") or os.path.join(ROOT, "build")
        d = os.path.join(build if os.path.isdir(build) else tempfile.gettempdir(),
                         "ietf-mibs")
    return d


def base_mibs():
    """A folder holding SNMPv2-SMI, SNMPv2-TC, ... (fetches erlang-snmp when needed)."""
    out = cache_dir()
    if os.path.exists(os.path.join(out, "SNMPv2-SMI")):
        return out
    work = tempfile.mkdtemp(prefix="erlang-snmp-")
    try:
        # apt-get download writes into the current folder; as root it warns about _apt
        # sandboxing, which is harmless here.
        subprocess.run(["apt-get", "download", "erlang-snmp"], cwd=work, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deb = glob.glob(os.path.join(work, "erlang-snmp_*.deb"))[0]
        subprocess.run(["dpkg-deb", "-x", deb, os.path.join(work, "x")], check=True)
        src = glob.glob(os.path.join(work, "x/usr/lib/erlang/lib/snmp-*/mibs"))[0]
        tmp = out + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        for f in glob.glob(os.path.join(src, "*.mib")):
            shutil.copy(f, os.path.join(tmp, os.path.basename(f)[:-4]))
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def snmp_mib_args():
    """-M/-m arguments for net-snmp command-line tools."""
    return ["-M", "%s:%s" % (base_mibs(), MIB_DIR), "-m", MODULE]
