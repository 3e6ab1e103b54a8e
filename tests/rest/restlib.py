"""Helpers for the REST system tests: an HTTP client that keeps raw control, a daemon with
the REST face set up, and a validator of responses against api/openapi.yaml.

The validator covers the JSON Schema subset the spec uses: type, nullable, required,
properties, additionalProperties, items, enum, allOf, $ref, minimum, maximum, maxLength and
format date-time.
"""
import http.client
import json
import os
import random
import re
import socket
import stat
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402

ROOT = harness.ROOT
SPEC_PATH = os.path.join(ROOT, "api", "openapi.yaml")


def unique_loopback():
    """A 127.x.y.z address unlikely to be used by a test running next to us (the fake
    scanners all listen on port 41002)."""
    return "127.%d.%d.%d" % (random.randint(100, 250), random.randint(1, 250),
                             random.randint(2, 250))


class Client:
    def __init__(self, port, token=None, host="127.0.0.1", source=None):
        self.port, self.token, self.host, self.source = port, token, host, source

    def request(self, method, path, body=None, headers=None, ctype="application/json",
                token=True, timeout=5):
        """(status, headers lower-cased, body bytes)."""
        h = {}
        if token and self.token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode()
            if ctype:
                h["Content-Type"] = ctype
        h.update(headers or {})
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout,
                                       source_address=(self.source, 0) if self.source else None)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def json(self, path, **kw):
        st, h, b = self.get(path, **kw)
        assert st == 200, "%s: %d %s" % (path, st, b[:300])
        return json.loads(b)


def raw_exchange(port, data, read=True, timeout=5, host="127.0.0.1"):
    """Sends raw bytes, returns what comes back until the peer closes or goes quiet."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        if read:
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
        return out
    finally:
        s.close()


def status_of(raw):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


class RestDaemon(harness.Daemon):
    """The daemon with REST on a free port; token=True writes a 0600 token file."""

    def __init__(self, tmpdir, token=False, http=None, **sections):
        self.port = harness.free_port()
        self.token = None
        httpc = {"listen": "127.0.0.1:%d" % self.port}
        if token:
            self.token = "t0k-%08x%08x" % (random.getrandbits(32), random.getrandbits(32))
            path = os.path.join(tmpdir, "token")
            with open(path, "w") as f:
                f.write(self.token + "\n")
            os.chmod(path, 0o600)
            httpc["token_file"] = path
        httpc.update(http or {})
        cfg = harness.base_config(tmpdir, http_port=self.port, **sections)
        cfg["http"] = httpc
        super().__init__(tmpdir, cfg)

    def client(self, **kw):
        return Client(self.port, token=self.token, **kw)


# ---- OpenAPI response validation ----

_spec = None


def spec():
    global _spec
    if _spec is None:
        with open(SPEC_PATH) as f:
            _spec = yaml.safe_load(f)
    return _spec


def _resolve(ref):
    assert ref.startswith("#/"), ref
    node = spec()
    for part in ref[2:].split("/"):
        node = node[part]
    return node


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def validate(value, schema, where="$"):
    """Raises AssertionError naming the first place where value does not match schema."""
    if "$ref" in schema:
        return validate(value, _resolve(schema["$ref"]), where)
    if value is None:
        if schema.get("nullable"):
            return
        if "allOf" in schema and schema.get("nullable"):
            return
        if "type" in schema or "allOf" in schema:
            raise AssertionError("%s: null where %s expected" % (where, schema.get("type")))
    for sub in schema.get("allOf", []):
        validate(value, sub, where)
    t = schema.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if t and not checks[t](value):
        raise AssertionError("%s: %r is not %s" % (where, value, t))
    if "enum" in schema and value not in schema["enum"]:
        raise AssertionError("%s: %r not in %s" % (where, value, schema["enum"]))
    if "minimum" in schema and value < schema["minimum"]:
        raise AssertionError("%s: %r < %r" % (where, value, schema["minimum"]))
    if "maximum" in schema and value > schema["maximum"]:
        raise AssertionError("%s: %r > %r" % (where, value, schema["maximum"]))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise AssertionError("%s: longer than %d" % (where, schema["maxLength"]))
    if schema.get("format") == "date-time" and isinstance(value, str) and not RFC3339.match(value):
        raise AssertionError("%s: %r is not RFC 3339" % (where, value))
    if t == "array" and "items" in schema:
        for i, v in enumerate(value):
            validate(v, schema["items"], "%s[%d]" % (where, i))
    if t == "object" or "properties" in schema:
        if not isinstance(value, dict):
            raise AssertionError("%s: not an object" % where)
        for k in schema.get("required", []):
            if k not in value:
                raise AssertionError("%s: missing %r" % (where, k))
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                validate(v, props[k], "%s.%s" % (where, k))
            elif schema.get("additionalProperties") is False:
                raise AssertionError("%s: unexpected key %r" % (where, k))


def response_schema(path_template, method, status, ctype="application/json"):
    op = spec()["paths"][path_template][method.lower()]
    resp = op["responses"][str(status)]
    if "$ref" in resp:
        resp = _resolve(resp["$ref"])
    return resp["content"][ctype]["schema"]


def check_response(path_template, method, status, headers, body):
    """Validates a real response (status, headers, body) against the spec."""
    op = spec()["paths"][path_template][method.lower()]
    assert str(status) in op["responses"], \
        "%s %s: status %d not documented" % (method, path_template, status)
    resp = op["responses"][str(status)]
    if "$ref" in resp:
        resp = _resolve(resp["$ref"])
    content = resp.get("content")
    if not content:
        return
    ctype = headers.get("content-type", "").split(";")[0].strip()
    assert ctype in content, "%s %s %d: content type %r not documented" % (
        method, path_template, status, ctype)
    if ctype.endswith("json"):
        validate(json.loads(body), content[ctype]["schema"],
                 "%s %s %d" % (method, path_template, status))


def check_problem(status, headers, body, expect):
    assert status == expect, "expected %d, got %d: %s" % (expect, status, body[:300])
    assert headers.get("content-type") == "application/problem+json", headers
    doc = json.loads(body)
    schema = {"$ref": "#/components/schemas/Problem"}
    if expect == 400:
        schema = {"$ref": "#/components/schemas/SyntaxProblem"}
    elif expect == 422:
        schema = {"$ref": "#/components/schemas/ValueProblem"}
    validate(doc, schema, "problem %d" % expect)
    assert doc["status"] == expect
    return doc


def write_private(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
