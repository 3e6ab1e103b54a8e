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


def test_kept_listeners_and_prefixes_pass_the_tools():
    """The rules that keep this host reachable (prefixes from http.allow, the SNMP master's
    port, the resolvers) are accepted by nft -c and iptables-restore --test."""
    if not tools_or_skip():
        return
    with h.TempDir() as tmp:
        cfg = dict(LITERAL_CC, probe={"resolver": "127.0.0.1:9,[::1]:5353"},
                   http={"listen": "[::]:8161", "token_file": None,
                         "allow": ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]},
                   snmp={"mode": "master", "master_listen": "udp:0.0.0.0:1161",
                         "community": "not-the-default"})
        path = write_config(tmp, cfg)
        for fmt, argv in (("nft", ["nft", "-c", "-f"]),
                          ("iptables", ["iptables-restore", "--test", "--noflush"]),
                          ("ip6tables", ["ip6tables-restore", "--test", "--noflush"])):
            p = subprocess.run([h.agentd_path(), "--firewall", fmt, "-c", path],
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0, p.stderr
            check(tmp, argv, p.stdout, "kept." + fmt)
            if fmt == "nft":
                assert "ip saddr 192.0.2.0/24 tcp dport 8161 accept" in p.stdout, p.stdout
                assert "ip6 saddr 2001:db8::/32 tcp dport 8161 accept" in p.stdout, p.stdout
                assert "udp dport 1161 accept" in p.stdout, p.stdout
                assert "ip6 daddr ::1 tcp dport 5353 accept" in p.stdout, p.stdout
            if fmt == "iptables":
                assert "-A SMSA-IN -s 192.0.2.0/24 -p tcp -m tcp --dport 8161" in p.stdout
            if fmt == "ip6tables":
                assert "-A SMSA-IN -s 2001:db8::/32 -p tcp -m tcp --dport 8161" in p.stdout


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


LITERAL_CC = {
    "appliance": {"name": "cc-literal", "role": "control-center"},
    "peers": {"scanners": [{"name": "s1", "host": "192.0.2.11"}]},
    "updates": [], "ntp": {"enabled": False, "servers": []},
    "probe": {"resolver": "127.0.0.1:9"}, "snmp": {"mode": "off"}, "http": {"listen": ""},
}


def write_config(tmp, cfg, name="cfg.json"):
    h.check_loopback_only(cfg)
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def output(cfg_path, fmt, target, *extra, env=None):
    return subprocess.run([h.agentd_path(), "--firewall", fmt, "-c", cfg_path,
                           "--output", target] + list(extra),
                          capture_output=True, text=True, timeout=30, env=env)


def leftovers(folder, name):
    return sorted(f for f in os.listdir(folder) if f.startswith(name + "."))


def test_output_refuses_targets_root_must_not_write():
    """A symlink, a folder, another user's file, a file or folder others can write: refused
    with the reason, exit non-zero, the target exactly as it was, no temporary file left."""
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        cfg = write_config(tmp, LITERAL_CC)
        victim = os.path.join(tmp, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.chmod(victim, 0o644)
        cases = []
        link = os.path.join(tmp, "link.nft")
        os.symlink(victim, link)
        cases.append((link, "is a symbolic link"))
        folder = os.path.join(tmp, "folder.nft")
        os.mkdir(folder)
        cases.append((folder, "is a folder"))
        for mode in (0o664, 0o646):
            wr = os.path.join(tmp, "writable-%o.nft" % mode)
            with open(wr, "w") as f:
                f.write("old\n")
            os.chmod(wr, mode)
            cases.append((wr, "is writable by its group or others (mode 0%o)" % mode))
        shared = os.path.join(tmp, "shared")
        os.mkdir(shared)
        os.chmod(shared, 0o777)
        cases.append((os.path.join(shared, "rules.nft"), "writable by its group or others"))
        if os.geteuid() == 0:
            other = os.path.join(tmp, "other.nft")
            with open(other, "w") as f:
                f.write("old\n")
            os.chmod(other, 0o644)
            os.chown(other, 65534, 65534)
            cases.append((other, "is owned by uid 65534, not by uid 0 who runs this"))
            # a folder the service user owns (the configuration folder of old packages)
            theirs = os.path.join(tmp, "theirs")
            os.mkdir(theirs)
            os.chmod(theirs, 0o755)
            os.chown(theirs, 65534, 65534)
            cases.append((os.path.join(theirs, "firewall.nft"),
                          "is in folder %s, owned by uid 65534" % theirs))
        else:
            print("SKIP (part): another user's file needs root to create")
        for target, why in cases:
            exists = os.path.lexists(target)
            before = os.lstat(target) if exists else None
            content = open(target).read() if os.path.isfile(target) else None
            p = output(cfg, "nft", target)
            assert p.returncode != 0, (target, p.stderr)
            assert "refusing to write %s: it " % target in p.stderr and why in p.stderr, p.stderr
            if exists:
                after = os.lstat(target)
                assert (after.st_ino, after.st_mode, after.st_mtime_ns) == \
                    (before.st_ino, before.st_mode, before.st_mtime_ns), target
            else:
                assert not os.path.lexists(target), target
            if content is not None:
                assert open(target).read() == content, target
            assert not leftovers(os.path.dirname(target), os.path.basename(target)), target
        assert open(victim).read() == "precious\n"
        assert not os.path.exists(os.path.join(shared, "rules.nft"))


def fake_tool(folder, name, exit_code):
    """A stand-in for nft or iptables-restore that records how it was called."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho \"$@\" >> %s/%s.calls\n"
                "for a; do last=$a; done\ncp \"$last\" %s/%s.checked\nexit %d\n"
                % (folder, name, folder, name, exit_code))
    os.chmod(path, 0o755)


def test_output_replaces_the_file_only_after_the_check():
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        cfg = write_config(tmp, LITERAL_CC)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        bins = os.path.join(tmp, "bin")
        os.mkdir(bins)
        env = dict(os.environ, PATH=bins + ":/usr/bin:/bin")
        target = os.path.join(out, "smsa-agent.nft")
        with open(target, "w") as f:
            f.write("old rules\n")
        os.chmod(target, 0o640)
        for name, fmt, target_name, args in (
                ("nft", "nft", "smsa-agent.nft", "-c -f"),
                ("iptables-restore", "iptables", "smsa-agent.v4", "--test --noflush"),
                ("ip6tables-restore", "ip6tables", "smsa-agent.v6", "--test --noflush")):
            target = os.path.join(out, target_name)
            if not os.path.exists(target):
                with open(target, "w") as f:
                    f.write("old rules\n")
                os.chmod(target, 0o640)
            # the check fails: nothing is replaced
            fake_tool(bins, name, 1)
            p = output(cfg, fmt, target, env=env)
            assert p.returncode == 1, p.stderr
            assert "was left as it was: the new rules did not pass the check" in p.stderr, p.stderr
            assert open(target).read() == "old rules\n"
            assert not leftovers(out, target_name), os.listdir(out)
            calls = open(os.path.join(bins, name + ".calls")).read().split()
            # the tool checked a temporary file next to the target, not the target
            assert calls[:-1] == args.split(), calls
            assert os.path.dirname(calls[-1]) == out and calls[-1] != target, calls
            checked = open(os.path.join(bins, name + ".checked")).read()
            assert "smsa-agent: what the host firewall of cc-literal" in checked
            # the check passes: the file is replaced by exactly what was checked
            fake_tool(bins, name, 0)
            p = output(cfg, fmt, target, env=env)
            assert p.returncode == 0, p.stderr
            assert open(target).read() == open(os.path.join(bins, name + ".checked")).read()
            assert not leftovers(out, target_name), os.listdir(out)
        # JSON is checked by parsing it back
        p = output(cfg, "json", os.path.join(out, "fw.json"), env=env)
        assert p.returncode == 0, p.stderr
        assert json.load(open(os.path.join(out, "fw.json")))["appliance"] == "cc-literal"


def nameservers():
    try:
        lines = open("/etc/resolv.conf").read().splitlines()
    except OSError:
        return []
    return [ln.split()[1].split("%")[0] for ln in lines
            if ln.split()[:1] == ["nameserver"] and len(ln.split()) > 1]


def test_no_management_host_keeps_ssh_and_this_hosts_resolvers():
    """The packaged configuration has no management host: the ruleset still accepts SSH
    (from anywhere, with a warning on stderr and in the file) and this host's resolvers on
    53 udp and tcp, and nft -c accepts it."""
    if not tools_or_skip():
        return
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        cfg = write_config(tmp, LITERAL_CC)
        target = os.path.join(tmp, "smsa-agent.nft")
        p = output(cfg, "nft", target)  # checked by the real nft -c
        assert p.returncode == 0, p.stderr
        assert "warning: management_hosts is empty: SSH (22/tcp) stays open from anywhere" \
            in p.stderr, p.stderr
        nft = open(target).read()
        assert "\t\ttcp dport 22 accept comment \"flow 1 from anywhere" in nft, nft
        assert "# WARNING: no management host to open it to" in nft, nft
        for ns in nameservers():
            fam = "ip6" if ":" in ns else "ip"
            for proto in ("udp", "tcp"):
                assert "%s daddr %s %s dport 53 accept" % (fam, ns, proto) in nft, (ns, nft)
        assert "iif \"lo\" accept" in nft and "ct state established,related accept" in nft


def test_ssh_from_outside_stays_accepted_once_loaded():
    """Loaded for real in a private pair of network namespaces: SSH from the other side is
    accepted, a port nothing opens is dropped."""
    if not tools_or_skip() or not shutil.which("ip"):
        print("SKIP: needs root, nft and ip")
        return
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        cfg = write_config(tmp, LITERAL_CC)
        rules = os.path.join(tmp, "smsa-agent.nft")
        p = output(cfg, "nft", rules)
        assert p.returncode == 0, p.stderr
        a, b = "smsafw%da" % os.getpid(), "smsafw%db" % os.getpid()
        server = os.path.join(tmp, "server.py")
        with open(server, "w") as f:
            f.write("import socket, sys\n"
                    "ss = []\n"
                    "for port in (22, 41999):\n"
                    "    s = socket.socket(); s.bind(('10.251.0.1', port)); s.listen(8)\n"
                    "    ss.append(s)\n"
                    "open(sys.argv[1], 'w').close()\n"
                    "sys.stdin.read()\n")
        ready = os.path.join(tmp, "ready")
        run = lambda *argv: subprocess.run(argv, capture_output=True, text=True, timeout=30)
        setup = run("ip", "netns", "add", a)
        if setup.returncode != 0:
            print("SKIP: no network namespaces here: %s" % setup.stderr.strip())
            return
        srv = None
        try:
            for cmd in (["ip", "netns", "add", b],
                        ["ip", "link", "add", "va", "netns", a, "type", "veth", "peer", "name",
                         "vb", "netns", b],
                        ["ip", "-n", a, "addr", "add", "10.251.0.1/24", "dev", "va"],
                        ["ip", "-n", b, "addr", "add", "10.251.0.2/24", "dev", "vb"],
                        ["ip", "-n", a, "link", "set", "va", "up"],
                        ["ip", "-n", b, "link", "set", "vb", "up"],
                        ["ip", "-n", a, "link", "set", "lo", "up"],
                        ["ip", "netns", "exec", a, "nft", "-f", rules]):
                r = run(*cmd)
                assert r.returncode == 0, (cmd, r.stderr)
            srv = subprocess.Popen(["ip", "netns", "exec", a, "/usr/bin/python3", server, ready],
                                   stdin=subprocess.PIPE)
            h.wait_until(lambda: os.path.exists(ready), 10, what="the listeners")

            def connect(port):
                code = ("import socket; s = socket.socket(); s.settimeout(3); "
                        "s.connect(('10.251.0.1', %d)); print('connected')" % port)
                return run("ip", "netns", "exec", b, "/usr/bin/python3", "-c", code)
            ok = connect(22)
            assert ok.returncode == 0 and "connected" in ok.stdout, ok.stderr
            dropped = connect(41999)
            assert dropped.returncode != 0 and "timed out" in dropped.stderr, \
                (dropped.stdout, dropped.stderr)
        finally:
            if srv:
                srv.stdin.close()
                srv.wait(timeout=10)
            run("ip", "netns", "del", a)
            run("ip", "netns", "del", b)


def beside_config(tmp, dns_port):
    """A Control Center watched from beside, with two scanners, all by name."""
    cfg = role_config(tmp, "control-center", dns_port)
    cfg["appliance"].update(placement="beside", address="cc.test")
    return cfg


def test_beside_renders_a_forward_chain_the_tools_accept():
    """Beside, the export is the network firewall's forward view: nft -c and
    iptables-restore --test accept it (the CLI's --output runs them too), and it holds the
    fleet's flows between the appliances' addresses, and nothing of this host's input."""
    if not tools_or_skip():
        return
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        dns = h.Dnsmasq(tmp, RECORDS).start()
        try:
            cfg = beside_config(tmp, dns.port)
            for sets in ([], ["--firewall-sets"]):
                nft = firewall(tmp, cfg, "nft", *sets)
                check(tmp, ["nft", "-c", "-f"], nft, "beside.nft")
                v4 = firewall(tmp, cfg, "iptables", *sets)
                v6 = firewall(tmp, cfg, "ip6tables", *sets)
                if not sets:
                    check(tmp, ["iptables-restore", "--test", "--noflush"], v4, "beside.v4")
                    check(tmp, ["ip6tables-restore", "--test", "--noflush"], v6, "beside.v6")
            nft = firewall(tmp, cfg, "nft")
            assert "type filter hook forward priority filter; policy accept;" in nft, nft
            assert "hook input" not in nft and "hook output" not in nft, nft
            assert "ip saddr 192.0.2.1 ip daddr 192.0.2.11 tcp dport 41002 accept" in nft, nft
            assert "ip6 saddr 2001:db8::1 ip6 daddr 2001:db8::11 tcp dport 41002 accept" in nft
            assert "ip saddr 192.0.2.100 ip daddr 192.0.2.12 tcp dport 22 accept" in nft, nft
            assert "ip daddr { 192.0.2.1, 192.0.2.11, 192.0.2.12 } drop" in nft, nft
            assert "198.51.100.7" not in nft  # update hosts never pinned
            v4 = firewall(tmp, cfg, "iptables")
            assert ":SMSA-AGENT-FWD - [0:0]" in v4 and "SMSA-IN" not in v4, v4
            # --output checks with the real tools before it replaces the file
            path = write_config(tmp, cfg, "beside.json")
            for fmt, name in (("nft", "fw.nft"), ("iptables", "fw.v4"), ("ip6tables", "fw.v6")):
                target = os.path.join(tmp, name)
                p = output(path, fmt, target)
                assert p.returncode == 0, p.stderr
                assert "forward" in open(target).read().lower()
            doc = json.loads(firewall(tmp, cfg, "json"))
            assert doc["placement"] == "beside", doc
            assert {r["hook"] for r in doc["rules"]} == {"forward"}, doc["rules"]
            assert sorted(a["name"] for a in doc["appliances"]) == \
                ["box-control-center", "scanner1", "scanner2"], doc["appliances"]
        finally:
            dns.stop()


ROUTED_CC = {
    "appliance": {"name": "cc-routed", "role": "control-center", "placement": "beside",
                  "address": "10.252.2.2"},
    "peers": {"scanners": [], "management_hosts": ["10.252.1.2"]},
    "updates": [], "ntp": {"enabled": False, "servers": []},
    "probe": {"resolver": "127.0.0.1:9"}, "snmp": {"mode": "off"}, "http": {"listen": ""},
}


def test_beside_forward_chain_loaded_in_a_router():
    """Loaded for real on a router between a management host and an appliance (three
    private network namespaces, forwarding on): SSH from the management host to the appliance
    passes, a port nothing opens on the appliance is dropped, and traffic to an address that
    is no appliance's is left alone (policy accept: no lock-out of the router's other
    traffic). Once with nft, once with iptables-restore and a jump from FORWARD."""
    if not tools_or_skip() or not shutil.which("ip"):
        print("SKIP: needs root, nft, iptables-restore and ip")
        return
    with h.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        cfg = write_config(tmp, ROUTED_CC)
        rules = {}
        for fmt, name in (("nft", "fwd.nft"), ("iptables", "fwd.v4")):
            rules[fmt] = os.path.join(tmp, name)
            p = output(cfg, fmt, rules[fmt])
            assert p.returncode == 0, p.stderr
        text = open(rules["nft"]).read()
        assert "ip saddr 10.252.1.2 ip daddr 10.252.2.2 tcp dport 22 accept" in text, text
        tag = "%d" % os.getpid()
        cl, rt, ap = "smsafwc" + tag, "smsafwr" + tag, "smsafwa" + tag
        server = os.path.join(tmp, "server.py")
        with open(server, "w") as f:
            f.write("import socket, sys\n"
                    "ss = []\n"
                    "for addr, port in (('10.252.2.2', 22), ('10.252.2.2', 41999),\n"
                    "                   ('10.252.2.3', 41999)):\n"
                    "    s = socket.socket(); s.bind((addr, port)); s.listen(8)\n"
                    "    ss.append(s)\n"
                    "open(sys.argv[1], 'w').close()\n"
                    "sys.stdin.read()\n")
        ready = os.path.join(tmp, "ready")
        run = lambda *argv: subprocess.run(argv, capture_output=True, text=True, timeout=30)
        setup = run("ip", "netns", "add", cl)
        if setup.returncode != 0:
            print("SKIP: no network namespaces here: %s" % setup.stderr.strip())
            return
        srv = None
        try:
            for cmd in (["ip", "netns", "add", rt],
                        ["ip", "netns", "add", ap],
                        ["ip", "link", "add", "vc", "netns", cl, "type", "veth", "peer", "name",
                         "vrc", "netns", rt],
                        ["ip", "link", "add", "va", "netns", ap, "type", "veth", "peer", "name",
                         "vra", "netns", rt],
                        ["ip", "-n", cl, "addr", "add", "10.252.1.2/24", "dev", "vc"],
                        ["ip", "-n", rt, "addr", "add", "10.252.1.1/24", "dev", "vrc"],
                        ["ip", "-n", rt, "addr", "add", "10.252.2.1/24", "dev", "vra"],
                        ["ip", "-n", ap, "addr", "add", "10.252.2.2/24", "dev", "va"],
                        ["ip", "-n", ap, "addr", "add", "10.252.2.3/24", "dev", "va"],
                        ["ip", "-n", cl, "link", "set", "vc", "up"],
                        ["ip", "-n", rt, "link", "set", "vrc", "up"],
                        ["ip", "-n", rt, "link", "set", "vra", "up"],
                        ["ip", "-n", ap, "link", "set", "va", "up"],
                        ["ip", "-n", cl, "route", "add", "default", "via", "10.252.1.1"],
                        ["ip", "-n", ap, "route", "add", "default", "via", "10.252.2.1"],
                        ["ip", "netns", "exec", rt, "sysctl", "-qw", "net.ipv4.ip_forward=1"]):
                r = run(*cmd)
                assert r.returncode == 0, (cmd, r.stderr)
            srv = subprocess.Popen(["ip", "netns", "exec", ap, "/usr/bin/python3", server, ready],
                                   stdin=subprocess.PIPE)
            h.wait_until(lambda: os.path.exists(ready), 10, what="the listeners")

            def connect(addr, port):
                code = ("import socket; s = socket.socket(); s.settimeout(3); "
                        "s.connect(('%s', %d)); print('connected')" % (addr, port))
                return run("ip", "netns", "exec", cl, "/usr/bin/python3", "-c", code)

            def assert_forwarding():
                ok = connect("10.252.2.2", 22)
                assert ok.returncode == 0 and "connected" in ok.stdout, ok.stderr
                dropped = connect("10.252.2.2", 41999)
                assert dropped.returncode != 0 and "timed out" in dropped.stderr, \
                    (dropped.stdout, dropped.stderr)
                other = connect("10.252.2.3", 41999)
                assert other.returncode == 0 and "connected" in other.stdout, other.stderr

            # without rules, all three connect: the drop below is the ruleset's doing
            free = connect("10.252.2.2", 41999)
            assert free.returncode == 0, free.stderr
            r = run("ip", "netns", "exec", rt, "nft", "-f", rules["nft"])
            assert r.returncode == 0, r.stderr
            assert_forwarding()
            for cmd in (["nft", "delete", "table", "inet", "smsa_agent"],
                        ["iptables-restore", "--noflush", rules["iptables"]],
                        ["iptables", "-I", "FORWARD", "-j", "SMSA-AGENT-FWD"]):
                r = run("ip", "netns", "exec", rt, *cmd)
                assert r.returncode == 0, (cmd, r.stderr)
            assert_forwarding()
        finally:
            if srv:
                srv.stdin.close()
                srv.wait(timeout=10)
            for ns in (cl, rt, ap):
                run("ip", "netns", "del", ns)


if __name__ == "__main__":
    h.run_tests([
        test_every_role_renders_rules_the_tools_accept,
        test_kept_listeners_and_prefixes_pass_the_tools,
        test_41002_to_each_scanner_and_from_the_control_center,
        test_update_hosts_are_not_pinned_unless_sets_are_asked_for,
        test_loads_twice_and_leaves_the_users_rules_alone,
        test_output_refuses_targets_root_must_not_write,
        test_output_replaces_the_file_only_after_the_check,
        test_no_management_host_keeps_ssh_and_this_hosts_resolvers,
        test_ssh_from_outside_stays_accepted_once_loaded,
        test_beside_renders_a_forward_chain_the_tools_accept,
        test_beside_forward_chain_loaded_in_a_router,
    ])
