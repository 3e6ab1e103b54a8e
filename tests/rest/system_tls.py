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


if __name__ == "__main__":
    harness.run_tests([
        test_https_serves_the_api_with_the_configured_certificate,
        test_a_certificate_without_its_key_is_refused,
    ])
