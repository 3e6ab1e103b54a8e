"""Entity tags of the large documents (/metrics, /api/v1/flows, /api/v1/flows/{id}): made of
the document's bytes like every other document's, so that a document the model's other
changes leave alone keeps its tag and a conditional GET gets 304; and names with a NUL in an
item path name nothing."""
import re
import sys

import restlib
from restlib import harness

MASK = (1 << 64) - 1


def bytes_hash(data):
    """The agent's document hash (FNV-1a over 8-byte words, then the tail byte-wise), in this
    host's byte order as the agent reads its words."""
    h = 14695981039346656037
    n = len(data) - len(data) % 8
    for i in range(0, n, 8):
        h = ((h ^ int.from_bytes(data[i:i + 8], sys.byteorder)) * 1099511628211) & MASK
        h ^= h >> 29
    for b in data[n:]:
        h = ((h ^ b) * 1099511628211) & MASK
    return h


def tag_of(body):
    return '"%016x"' % bytes_hash(body)


def generation(c):
    st, _, body = c.get("/metrics")
    assert st == 200
    return int(re.search(rb"^smsa_model_generation (\d+)$", body, re.M).group(1))


def test_large_documents_are_tagged_by_their_bytes(scanner_lock):
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        assert c.request("POST", "/api/v1/scanners",
                         body={"name": "s1", "host": restlib.unique_loopback()})[0] == 201
        for path in ("/metrics", "/api/v1/flows", "/api/v1/flows/1"):
            st, h, body = c.get(path)
            assert st == 200, (path, st)
            assert h["etag"] == tag_of(body), (path, h["etag"])
            assert h["cache-control"] == "no-cache"
            assert int(h["content-length"]) == len(body)


def test_a_flow_the_probes_leave_alone_is_not_modified(scanner_lock):
    """A scanner that never answers moves the model with every probe (its checks and
    failures); a flow without peers is the same document all along, and keeps its tag."""
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        assert c.request("POST", "/api/v1/scanners",
                         body={"name": "s1", "host": restlib.unique_loopback()})[0] == 201
        flows = c.json("/api/v1/flows")["items"]
        quiet = next(f["id"] for f in flows if not f["peers"])
        busy = next(f["id"] for f in flows if f["peers"])
        path = "/api/v1/flows/%d" % quiet
        st, h, body = c.get(path)
        assert st == 200
        tag = h["etag"]
        st, h, _ = c.get("/api/v1/flows/%d" % busy)
        busy_tag = h["etag"]
        g0 = generation(c)
        harness.wait_until(lambda: generation(c) >= g0 + 3, 20, step=0.2,
                           what="the model to move with the probes")
        st, h, body = c.get(path, headers={"If-None-Match": tag})
        assert st == 304, (st, body[:200])
        assert h["etag"] == tag and body == b""
        # the flow the probes did change has a new tag: no 304 for it
        harness.wait_until(lambda: c.get("/api/v1/flows/%d" % busy,
                                         headers={"If-None-Match": busy_tag})[0] == 200, 20,
                           step=0.2, what="the probed flow to change")


def test_nul_in_an_item_path_names_no_item(scanner_lock):
    with harness.TempDir() as d, restlib.RestDaemon(d) as dm:
        c = dm.client()
        assert c.request("POST", "/api/v1/scanners",
                         body={"name": "s1", "host": restlib.unique_loopback()})[0] == 201
        st, _, _ = c.get("/api/v1/appliances/s1")
        assert st == 200
        for path in ("/api/v1/appliances/s1%00x", "/api/v1/appliances/s1%00",
                     "/api/v1/scanners/s1%00x"):
            st, h2, b = c.get(path)
            restlib.check_problem(st, h2, b, 404)
        # a raw NUL cuts libmicrohttpd's C string short ("s1"): still no such item, and a
        # DELETE of it deletes nothing
        for line in (b"GET /api/v1/appliances/s1\x00x", b"GET /api/v1/scanners/s1\x00x",
                     b"DELETE /api/v1/scanners/s1\x00x", b"DELETE /api/v1/scanners/s1\x00"):
            raw = restlib.raw_exchange(dm.port, line + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                       b"Connection: close\r\n\r\n")
            assert restlib.status_of(raw) == 404, (line, raw[:200])
        names = [a["name"] for a in c.json("/api/v1/appliances")["items"]]
        assert "s1" in names
        assert c.get("/api/v1/scanners/s1")[0] == 200
