"""A reload tells the truth: keys that can be applied live are (probe settings, ...); a key
that needs a restart (http.listen) is named in the log and in pending_restart of
/api/v1/status, and /api/v1/config shows the value the daemon really runs on. A REST write
keeps the file's pending value; putting the old value back clears pending_restart."""
import json

import harness
import restlib


def file_doc(dm):
    with open(dm.config_path) as f:
        return json.load(f)


def test_http_listen_change_waits_for_a_restart_and_says_so():
    with harness.TempDir() as d:
        dm = restlib.RestDaemon(d)
        with dm:
            c = dm.client()
            code, hdrs, body = c.get("/api/v1/status")
            restlib.check_response("/api/v1/status", "GET", code, hdrs, body)
            assert json.loads(body)["pending_restart"] == [], body
            running_listen = dm.config["http"]["listen"]

            cfg = json.loads(json.dumps(dm.config))
            new_listen = "127.0.0.1:%d" % harness.free_port()
            cfg["http"]["listen"] = new_listen
            cfg["probe"]["interval_ms"] = 700  # applied live
            dm.reload(cfg)
            assert c.json("/api/v1/status")["pending_restart"] == ["http.listen"]
            shown = c.json("/api/v1/config")
            assert shown["http"]["listen"] == running_listen, shown["http"]
            assert shown["probe"]["interval_ms"] == 700, shown["probe"]
            dm.wait_log(r"http\.listen changed; it takes effect at the next restart")

            # a REST write is based on the running values, but the file keeps the pending one
            st_, _, b = c.request("POST", "/api/v1/scanners",
                                  body={"name": "s1", "host": "127.0.0.1:9"})
            assert st_ == 201, b
            assert file_doc(dm)["http"]["listen"] == new_listen
            assert c.json("/api/v1/status")["pending_restart"] == ["http.listen"]

            cfg = file_doc(dm)
            cfg["http"]["listen"] = running_listen
            dm.reload(cfg)
            assert c.json("/api/v1/status")["pending_restart"] == []


if __name__ == "__main__":
    harness.run_tests([test_http_listen_change_waits_for_a_restart_and_says_so])
