"""api/openapi.yaml lints clean under Redocly CLI, installed from npm into a cache in the
build tree. No npm means a failure, not a skip: the contract must stay checked."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import harness  # noqa: E402

# 1.34.21 pulls @redocly/respect-core@1.34.21, which some npm mirrors do not carry.
REDOCLY = "@redocly/cli@1.34.20"


def test_openapi_lints_clean():
    npx = shutil.which("npx")
    assert npx, "npx (node/npm) is not installed"
    cache = os.environ.get("SMSA_NPM_CACHE", os.path.join(os.getcwd(), "npm-cache"))
    os.makedirs(cache, exist_ok=True)
    env = dict(os.environ, npm_config_cache=cache, NO_UPDATE_NOTIFIER="1",
               REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true")
    r = subprocess.run([npx, "--yes", REDOCLY, "lint", "--format", "stylish",
                        restlib.SPEC_PATH], capture_output=True, text=True, env=env,
                       timeout=240)
    sys.stdout.write(r.stdout[-3000:] + r.stderr[-3000:])
    assert r.returncode == 0, "redocly lint failed (exit %d)" % r.returncode


def test_every_path_and_status_is_documented():
    spec = restlib.spec()
    for path in ("/healthz", "/metrics", "/api/v1/status", "/api/v1/flows",
                 "/api/v1/flows/{id}", "/api/v1/links", "/api/v1/ntp", "/api/v1/updates",
                 "/api/v1/scanners", "/api/v1/scanners/{name}", "/api/v1/config",
                 "/api/v1/appliances", "/api/v1/appliances/{name}",
                 "/api/v1/events"):
        assert path in spec["paths"], path
    put = spec["paths"]["/api/v1/ntp"]["put"]["responses"]
    for status in ("200", "400", "401", "403", "412", "413", "415", "422", "500"):
        assert status in put, status
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


if __name__ == "__main__":
    harness.run_tests([test_openapi_lints_clean, test_every_path_and_status_is_documented])
