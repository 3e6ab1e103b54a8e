"""The objects and enumeration values the SNMP face serves match SMSA-AGENT-MIB, as
snmptranslate reads it: every readable object of the MIB is served at its OID under its
name, nothing else is served, and every enumeration is answered with the MIB's numbers."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402
from mibdirs import snmp_mib_args  # noqa: E402

ROOT_OID = ".1.3.6.1.4.1.32473.1"  # smsaObjects


def served():
    """(objects: name -> OID, enums: key -> {label: value}) from the code."""
    exe = os.environ.get("SMSA_MIB_COLUMNS")
    assert exe, "SMSA_MIB_COLUMNS names the snmp_mib_columns program (set by ctest)"
    out = subprocess.run([exe], stdout=subprocess.PIPE, check=True, text=True).stdout
    objects, enums = {}, {}
    for line in out.splitlines():
        f = line.split()
        if f[0] == "object":
            assert f[1] not in objects, "served twice: " + f[1]
            objects[f[1]] = f[2]
        elif f[0] == "enum":
            enums.setdefault(f[1], {})[camel(f[2])] = int(f[3])
    return objects, enums


def camel(label):
    """The core's "not-applicable" as SMIv2 writes it, "notApplicable"."""
    head, *rest = label.split("-")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def translate(*args):
    r = subprocess.run(["snmptranslate"] + snmp_mib_args() + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    return r.stdout


def mib_objects():
    """name -> (OID, MAX-ACCESS, enum key or None, {label: value}) for every object under
    smsaObjects that has a MAX-ACCESS (OBJECT-TYPEs)."""
    names = {}
    for m in re.finditer(r'^"(smsa\w+)"\s+"([\d.]+)"', translate("-Tz"), re.M):
        oid = "." + m.group(2)
        if oid.startswith(ROOT_OID + "."):
            names[m.group(1)] = oid
    detail = translate("-Td", *["SMSA-AGENT-MIB::" + n for n in sorted(names)])
    out = {}
    for block in detail.split("\nSMSA-AGENT-MIB::")[0:]:
        m = re.match(r"(?:SMSA-AGENT-MIB::)?(smsa\w+)\n", block)
        acc = re.search(r"MAX-ACCESS\s+([\w-]+)", block)
        if not m or not acc:
            continue
        tc = re.search(r"-- TEXTUAL CONVENTION (\w+)", block)
        syntax = re.search(r"SYNTAX\s+INTEGER\s*\{([^}]*)\}", block)
        values = {}
        if syntax:
            for lm in re.finditer(r"(\w+)\((-?\d+)\)", syntax.group(1)):
                values[lm.group(1)] = int(lm.group(2))
        key = (tc.group(1) if tc else m.group(1)) if values else None
        out[m.group(1)] = (names[m.group(1)], acc.group(1), key, values)
    return out


def test_every_readable_object_is_served_at_its_oid():
    objects, _ = served()
    mib = mib_objects()
    readable = {n: v for n, v in mib.items() if v[1] == "read-only"}
    assert len(readable) > 60, "the MIB was not read: %d objects" % len(readable)
    missing = sorted(set(readable) - set(objects))
    assert not missing, "in the MIB, not served: %s" % missing
    for name, oid in objects.items():
        assert name in mib, "served, not in the MIB: %s" % name
        assert mib[name][1] == "read-only", "%s is %s in the MIB" % (name, mib[name][1])
        assert mib[name][0] == oid, "%s: served at %s, the MIB says %s" % (name, oid, mib[name][0])


def test_every_enumeration_is_answered_with_the_mib_numbers():
    _, enums = served()
    seen = set()
    for name, (oid, access, key, values) in sorted(mib_objects().items()):
        if access != "read-only" or not key:
            continue
        assert key in enums, "%s (%s): no mapping in the code" % (name, key)
        seen.add(key)
        code = enums[key]
        if key == "InetAddressType":
            # RFC 4001 defines more types than the agent ever answers with
            assert all(values.get(l) == v for l, v in code.items()), (key, code, values)
        else:
            assert code == values, "%s (%s): code %s, MIB %s" % (name, key, code, values)
    assert seen == set(enums), "mappings no column uses: %s" % (set(enums) - seen)


if __name__ == "__main__":
    run_tests([test_every_readable_object_is_served_at_its_oid,
               test_every_enumeration_is_answered_with_the_mib_numbers])
