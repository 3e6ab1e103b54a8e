// The status page's live updates: every event on /api/v1/events has the page's <main> fetched
// again (/?part=main: rendered by the server, as the first paint is) and swapped in, at most
// one fetch at a time. Same origin only; the token travels in the HttpOnly cookie.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var busy = false, again = false, timer = null;

  function say(text, on) {
    if (live) {
      live.textContent = text;
      live.className = on ? "on" : "";
    }
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch("/?part=main", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.querySelector("main"), old = document.querySelector("main");
        if (!fresh || !old) throw new Error("no <main> in the answer");
        old.replaceWith(document.adoptNode(fresh));
        document.title = fresh.dataset.title;
        say("live", true);
      })
      .catch(function (e) { say("update failed (" + e.message + ")", false); })
      .finally(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function soon() {
    if (!timer) timer = setTimeout(function () { timer = null; refresh(); }, 100);
  }

  if (!window.EventSource || !window.fetch) return;
  var es = new EventSource("/api/v1/events");
  ["peer", "flow", "link", "ntp", "addrset", "config", "tls"].forEach(function (k) {
    es.addEventListener(k, soon);
  });
  es.onopen = function () {
    say("live", true);
    soon(); // catch up on what happened while disconnected
  };
  es.onerror = function () { say("reconnecting\u2026", false); };
})();
