"""smsa-agentd --firewall: for each of the three roles the nft ruleset passes `nft -c -f` and
the iptables-restore / ip6tables-restore files pass `--test`; 41002/tcp is opened towards each
scanner address on a Control Center and from the Control Center on a Scanner. Names are
resolved by a dnsmasq on loopback into documentation addresses; nothing is ever probed, and
nothing is loaded into the kernel (check modes only)."""
import json
import os
import shutil
import subprocess

import harness as h

RECORDS = {
    "scanner1.test": ["192.0.2.11", "2001:db8::11"],
    "scanner2.test": "192.0.2.12",
    "cc.test": ["192.0.2.1", "2001:db8::1"],
    "ldap.test": "192.0.2.89",
    "swupdate.test": ["198.51.100.7", "198.51.100.8"],
    "av.test": "2001:db8:1::80",
}

UPDATES = [
    {"purpose": "software", "host": "swupdate.test", "port": 443, "enabled": True},
    {"purpose": "antivirus", "host": "av.test", "port": 80, "enabled": True},
    {"purpose": "rapid-response", "host": "rr.test", "port": 21, "enabled": True},
]


def role_config(tmp, role, dns_port):
    peers = {"dns_servers": ["192.0.2.53"], "ldap_servers": ["ldap.test"],
             "management_hosts": ["192.0.2.100", "2001:db8::100"]}
    if role == "scanner":
        peers.update(control_center="cc.test", internal_mail_servers=["192.0.2.25"])
    else:
        peers["scanners"] = [{"name": "scanner1", "host": "scanner1.test"},
                             {"name": "scanner2", "host": "scanner2.test"}]
    if role == "all-in-one":
        peers["internal_mail_servers"] = ["192.0.2.25"]
    cfg = h.base_config(tmp, http_port=1, peers=peers, updates=UPDATES,
                        probe={"resolver": "127.0.0.1:%d" % dns_port})
    cfg["appliance"] = {"name": "box-" + role, "role": role}
    return cfg


def firewall(tmp, cfg, fmt, *extra):
    h.check_loopback_only(cfg)
    path = os.path.join(tmp, "fw.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    p = subprocess.run([h.agentd_path(), "--firewall", fmt, "-c", path] + list(extra),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (p.returncode, p.stderr)
    return p.stdout


def check(tmp, argv, text, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run(argv + [path] if argv[-1] == "-f" else argv, capture_output=True,
                       text=True, timeout=30, stdin=open(path))
    assert p.returncode == 0, "%s refused %s:\n%s\n%s" % (" ".join(argv), name, p.stderr, text)


def tools_or_skip():
    missing = [t for t in ("nft", "iptables-restore", "ip6tables-restore") if not shutil.which(t)]
    if missing:
        print("SKIP: %s not installed (scripts/deps.sh installs them)" % ", ".join(missing))
        return False
    if os.geteuid() != 0:
        print("SKIP: nft -c and iptables-restore --test need root (CAP_NET_ADMIN); "
              "run the suite as root")
        return False
    return True


def test_every_role_renders_rules_the_tools_accept():
    if not tools_or_skip():
        return
    with h.TempDir() as tmp:
        dns = h.Dnsmasq(tmp, RECORDS).start()
        try:
            for role in ("control-center", "scanner", "all-in-one"):
                cfg = role_config(tmp, role, dns.port)
                for sets in ([], ["--firewall-sets"]):
                    nft = firewall(tmp, cfg, "nft", *sets)
                    check(tmp, ["nft", "-c", "-f"], nft, "%s.nft" % role)
                    v4 = firewall(tmp, cfg, "iptables")
                    check(tmp, ["iptables-restore", "--test", "--noflush"], v4, role + ".v4")
                    v6 = firewall(tmp, cfg, "ip6tables")
                    check(tmp, ["ip6tables-restore", "--test", "--noflush"], v6, role + ".v6")
                # the refresh a timer loads goes on top of the ruleset with sets
                both = firewall(tmp, cfg, "nft", "--firewall-sets") + \
                    firewall(tmp, cfg, "nft", "--firewall-sets-only")
                check(tmp, ["nft", "-c", "-f"], both, "%s-refresh.nft" % role)
        finally:
            dns.stop()


def test_41002_to_each_scanner_and_from_the_control_center():
    with h.TempDir() as tmp:
        dns = h.Dnsmasq(tmp, RECORDS).start()
        try:
            cc = role_config(tmp, "control-center", dns.port)
            nft = firewall(tmp, cc, "nft")
            for a in ("192.0.2.11", "192.0.2.12"):
                assert "ip daddr %s tcp dport 41002 accept" % a in nft, nft
            assert "ip6 daddr 2001:db8::11 tcp dport 41002 accept" in nft, nft
            v4 = firewall(tmp, cc, "iptables")
            for a in ("192.0.2.11", "192.0.2.12"):
                assert "-A SMSA-OUT -d %s/32 -p tcp -m tcp --dport 41002 " % a in v4, v4
            v6 = firewall(tmp, cc, "ip6tables")
            assert "-A SMSA-OUT -d 2001:db8::11/128 -p tcp -m tcp --dport 41002 " in v6, v6

            sc = role_config(tmp, "scanner", dns.port)
            nft = firewall(tmp, sc, "nft")
            assert "ip saddr 192.0.2.1 tcp dport 41002 accept" in nft, nft
            assert "ip6 saddr 2001:db8::1 tcp dport 41002 accept" in nft, nft
            v4 = firewall(tmp, sc, "iptables")
            assert "-A SMSA-IN -s 192.0.2.1/32 -p tcp -m tcp --dport 41002 " in v4, v4
            v6 = firewall(tmp, sc, "ip6tables")
            assert "-A SMSA-IN -s 2001:db8::1/128 -p tcp -m tcp --dport 41002 " in v6, v6
        finally:
            dns.stop()


def test_update_hosts_are_not_pinned_unless_sets_are_asked_for():
    with h.TempDir() as tmp:
        dns = h.Dnsmasq(tmp, RECORDS).start()
        try:
            cfg = role_config(tmp, "control-center", dns.port)
            nft = firewall(tmp, cfg, "nft")
            assert "It is imperative that you do not use specific IP addresses" in nft, nft
            assert "198.51.100.7" not in nft, nft
            assert "\t\ttcp dport 443 accept" in nft, nft
            doc = json.loads(firewall(tmp, cfg, "json"))
            unpinned = sorted((r["flow"], r["port"]) for r in doc["rules"] if not r["pinned"])
            assert unpinned == [(6, 443), (19, 80), (20, 21)], unpinned
            sets = firewall(tmp, cfg, "nft", "--firewall-sets-only")
            assert "add element inet smsa_agent smsa_f6_443_v4 { 198.51.100.7, 198.51.100.8 }" \
                in sets, sets
            assert "add element inet smsa_agent smsa_f19_80_v6 { 2001:db8:1::80 }" in sets, sets
            # rr.test has no record: its set stays empty and the output says so
            assert "# flow 20: rr.test did not resolve" in sets, sets
        finally:
            dns.stop()


def in_netns(tmp, script):
    """Runs a shell script in a fresh network namespace: the rules loaded there vanish with
    it and never touch the host's firewall."""
    path = os.path.join(tmp, "netns.sh")
    with open(path, "w") as f:
        f.write("set -e\n" + script)
    return subprocess.run(["unshare", "--net", "sh", path], capture_output=True, text=True,
                          timeout=60, cwd=tmp)


def test_loads_twice_and_leaves_the_users_rules_alone():
    """nft -f replaces the table in one go; iptables-restore --noflush refills SMSA-IN and
    SMSA-OUT without touching INPUT; ipset restore swaps the sets in."""
    if not tools_or_skip() or not shutil.which("unshare") or not shutil.which("ipset"):
        print("SKIP: needs root, unshare and ipset")
        return
    with h.TempDir() as tmp:
        dns = h.Dnsmasq(tmp, RECORDS).start()
        try:
            cfg = role_config(tmp, "control-center", dns.port)
            for name, fmt, extra in (("rules.nft", "nft", ["--firewall-sets"]),
                                     ("sets.nft", "nft", ["--firewall-sets-only"]),
                                     ("rules.v4", "iptables", []),
                                     ("sets.ipset", "iptables", ["--firewall-sets-only"]),
                                     ("setrules.v4", "iptables", ["--firewall-sets"])):
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(firewall(tmp, cfg, fmt, *extra))
        finally:
            dns.stop()
        p = in_netns(tmp, """
nft -f rules.nft
nft -f sets.nft
nft -f rules.nft
nft list table inet smsa_agent > nft.out
iptables -A INPUT -s 192.0.2.200 -j ACCEPT
iptables-restore --noflush rules.v4
iptables-restore --noflush rules.v4
iptables -S > ipt.out
ipset restore < sets.ipset
ipset restore < sets.ipset
iptables-restore --noflush setrules.v4
ipset list -n > ipset.out
""")
        if p.returncode != 0 and "unshare failed" in p.stderr:
            print("SKIP: no network namespaces here: %s" % p.stderr.strip())
            return
        assert p.returncode == 0, p.stderr
        nft = open(os.path.join(tmp, "nft.out")).read()
        assert nft.count("chain input {") == 1, nft
        assert nft.count("ip daddr 192.0.2.11 tcp dport 41002 accept") == 1, nft
        assert "198.51.100.7" in nft and "198.51.100.8" in nft, nft
        ipt = open(os.path.join(tmp, "ipt.out")).read().splitlines()
        assert "-A INPUT -s 192.0.2.200/32 -j ACCEPT" in ipt, ipt
        rule = [r for r in ipt if r.startswith("-A SMSA-OUT -d 192.0.2.11/32") and "41002" in r]
        assert len(rule) == 1, ipt
        sets = open(os.path.join(tmp, "ipset.out")).read().split()
        assert "smsa_f6_443_v4" in sets and not [x for x in sets if x.endswith("_n")], sets


if __name__ == "__main__":
    h.run_tests([
        test_every_role_renders_rules_the_tools_accept,
        test_41002_to_each_scanner_and_from_the_control_center,
        test_update_hosts_are_not_pinned_unless_sets_are_asked_for,
        test_loads_twice_and_leaves_the_users_rules_alone,
    ])
