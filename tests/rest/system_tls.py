"""HTTPS: http.tls_cert and http.tls_key serve the same API over TLS (GnuTLS in
libmicrohttpd); plain HTTP on that port gets no answer, and a half-configured pair is refused."""
import http.client
import os
import ssl
import subprocess

import harness
import restlib


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def test_https_serves_the_api_with_the_configured_certificate():
    with harness.TempDir() as d:
        cert, key = make_cert(d)
        with restlib.RestDaemon(d, token=True, http={"tls_cert": cert, "tls_key": key}) as dm:
            ctx = ssl.create_default_context(cafile=cert)  # verifies against our own cert
            c = http.client.HTTPSConnection("127.0.0.1", dm.port, context=ctx, timeout=5)
            c.request("GET", "/api/v1/status", headers={"Authorization": "Bearer " + dm.token})
            r = c.getresponse()
            body = r.read()
            assert r.status == 200, (r.status, body)
            restlib.check_response("/api/v1/status", "GET", r.status,
                                   {k.lower(): v for k, v in r.getheaders()}, body)
            c.close()
            # The page's session cookie is Secure under TLS, and never the token.
            c = http.client.HTTPSConnection("127.0.0.1", dm.port, context=ctx, timeout=5)
            c.request("POST", "/", body="token=" + dm.token,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            r.read()
            cookie = r.getheader("Set-Cookie") or ""
            c.close()
            assert r.status == 303, r.status
            assert "; Secure" in cookie and dm.token not in cookie, cookie
            # the same port does not speak plain HTTP
            try:
                st = harness.http_get(dm.port, "/healthz", timeout=2)[0]
            except (OSError, http.client.HTTPException):
                st = None
            assert st != 200, st


def test_a_certificate_without_its_key_is_refused():
    with harness.TempDir() as d:
        cert, _ = make_cert(d)
        dm = restlib.RestDaemon(d, http={"tls_cert": cert})
        dm.start(wait=False)
        assert dm.proc.wait(10) != 0
        assert "tls_key" in dm.log(), dm.log()
        dm.stop()


def test_a_key_readable_by_others_is_refused():
    """The key is a secret like the token: group or others reading it is refused."""
    with harness.TempDir() as d:
        cert, key = make_cert(d)
        for mode in (0o640, 0o604):
            os.chmod(key, mode)
            dm = restlib.RestDaemon(d, token=True, http={"tls_cert": cert, "tls_key": key})
            dm.start(wait=False)
            try:
                assert dm.proc.wait(10) == 78
            finally:
                dm.stop()
            assert "http.tls_key %s is accessible by group or others" % key in dm.log(), \
                dm.log()


if __name__ == "__main__":
    harness.run_tests([
        test_https_serves_the_api_with_the_configured_certificate,
        test_a_certificate_without_its_key_is_refused,
        test_a_key_readable_by_others_is_refused,
    ])
