"""Stable indexes: a peer or link index is tied to its identity (a scanner's name; a flow's
host and port otherwise), never given to another identity, and the same after a restart
(the map is kept in state_dir). An NMS keys history on these indexes, and so does the
Prometheus label: a reused index would silently move one scanner's history to another."""
import json
import os

import harness
import restlib

# Probed, so on loopback and a closed port (9, discard): the traffic stays on this host.
DNS = ["127.0.0.1:9", "127.0.0.2:9"]


def file_doc(dm):
    with open(dm.config_path) as f:
        return json.load(f)


def links(c):
    return {l["name"]: l["index"] for l in c.json("/api/v1/links")["items"]}


def peers(c):
    """{(flow id, host, label): index} of every peer of every flow."""
    out = {}
    for f in c.json("/api/v1/flows")["items"]:
        for p in f["peers"]:
            out[(f["id"], p["host"], p["label"])] = p["index"]
    return out


def post(c, name, host):
    st, _, b = c.request("POST", "/api/v1/scanners", body={"name": name, "host": host})
    assert st == 201, b


def test_deleted_index_is_never_reused_and_indexes_survive_a_restart():
    with harness.TempDir() as d:
        dm = restlib.RestDaemon(d, peers={"scanners": [{"name": "a", "host": "127.0.0.1:9"},
                                                       {"name": "b", "host": "127.0.0.2:9"}],
                                          "dns_servers": DNS})
        with dm:
            c = dm.client()
            post(c, "c", "127.0.0.3:9")
            c_index = links(c)["c"]
            c_peer16 = peers(c)[(16, "127.0.0.3", "c")]
            st, _, _ = c.request("DELETE", "/api/v1/scanners/c")
            assert st == 204
            post(c, "d", "127.0.0.4:9")
            got = links(c)
            assert got["d"] != c_index, got
            assert sorted(got.values()) == sorted(set(got.values())), got
            assert peers(c)[(16, "127.0.0.4", "d")] != c_peer16
            # the removed scanner's name keeps its own index when it comes back
            post(c, "c", "127.0.0.3:9")
            assert links(c)["c"] == c_index
            before_links, before_peers = links(c), peers(c)
            assert os.path.exists(os.path.join(d, "indexes.json"))
        # Restarted on the file as the daemon left it, scanners listed in another order.
        cfg = file_doc(dm)
        cfg["peers"]["scanners"].reverse()
        cfg["peers"]["dns_servers"].reverse()
        dm.config = cfg
        dm.start(wait=False)
        try:
            dm.wait_log(r"smsa-agentd .* running", count=2)
            c = dm.client()
            assert links(c) == before_links
            assert peers(c) == before_peers
        finally:
            dm.stop()


def test_daemon_starts_when_the_state_folder_is_unusable():
    """A lost or unwritable map is logged; the daemon still starts and numbers in memory."""
    with harness.TempDir() as d:
        missing = os.path.join(d, "no-such-folder")
        dm = restlib.RestDaemon(d, peers={"scanners": [{"name": "a", "host": "127.0.0.1:9"}]},
                                state_dir=missing)
        with dm:
            c = dm.client()
            assert links(c) == {"a": 1}
            dm.wait_log(r"indexes: the state folder .*no-such-folder does not exist \(create it, "
                        r"or set state_dir.*kept in memory")
        # a corrupt map: logged, numbered afresh, and the daemon runs
        with open(os.path.join(d, "indexes.json"), "w") as f:
            f.write("{not json")
        dm.config["state_dir"] = d
        dm.start(wait=False)
        try:
            dm.wait_log(r"smsa-agentd .* running", count=2)
            dm.wait_log(r"indexes: cannot use .*indexes.json")
            assert links(dm.client()) == {"a": 1}
        finally:
            dm.stop()


if __name__ == "__main__":
    harness.run_tests([
        test_deleted_index_is_never_reused_and_indexes_survive_a_restart,
        test_daemon_starts_when_the_state_folder_is_unusable,
    ])
