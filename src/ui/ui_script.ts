/**
 * The dashboard's script (served as /assets/ui.js), kept as text: plain ES2020 for the browser,
 * no framework. See assets.ts for what it does.
 *
 * @example
 * ```ts
 * UI_SCRIPT.includes("EventSource"); // true
 * ```
 */
export const UI_SCRIPT = String.raw`"use strict";
(function () {
  var live = document.getElementById("live");
  var dot = document.getElementById("live-dot");
  var source = null;
  // The page's data is as of this event: the stream starts right after it, so none is missed.
  var lastId = live ? live.getAttribute("data-event-id") || "" : "";
  var lastRefresh = 0;
  // A page that takes long to make is asked for less often (at most a quarter of the time).
  var refreshGap = 300;
  var refreshTimer = null;
  var refreshing = false;
  var again = false;

  function setDot(state) {
    if (dot) dot.className = "live-dot " + state;
  }

  function connect() {
    if (source) return;
    var url = "/events" + (lastId ? "?after=" + encodeURIComponent(lastId) : "");
    source = new EventSource(url);
    source.onopen = function () { setDot("on"); };
    source.onerror = function () { setDot("off"); };
    source.onmessage = function (message) {
      if (message.lastEventId) lastId = message.lastEventId;
      scheduleRefresh();
    };
  }

  function disconnect() {
    if (source) source.close();
    source = null;
    setDot("paused");
  }

  function scheduleRefresh() {
    if (!live || refreshTimer) return;
    var wait = Math.max(0, refreshGap - (Date.now() - lastRefresh));
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      refresh();
    }, wait);
  }

  function editing() {
    var active = document.activeElement;
    return active && live.contains(active) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.type !== "checkbox";
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    if (editing()) { setTimeout(scheduleRefresh, 1000); return; }
    refreshing = true;
    lastRefresh = Date.now();
    fetch(location.href, { credentials: "same-origin", headers: { "X-Bgt-Live": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (text === null) return;
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.getElementById("live");
        if (!fresh || editing()) return;
        var checked = {};
        live.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
          checked[box.name + "=" + box.value] = true;
        });
        live.innerHTML = fresh.innerHTML;
        live.querySelectorAll("input[type=checkbox]").forEach(function (box) {
          if (checked[box.name + "=" + box.value]) box.checked = true;
        });
        wire();
      })
      .catch(function () { /* the server is away: the next event retries */ })
      .then(function () {
        refreshGap = Math.max(300, 4 * (Date.now() - lastRefresh));
        refreshing = false;
        if (again) { again = false; scheduleRefresh(); }
      });
  }

  function wire() {
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      all.onchange = function () {
        document.querySelectorAll("input[name=id]").forEach(function (box) {
          box.checked = all.checked;
        });
      };
    });
  }

  function taskEnded() {
    var state = document.querySelector("[data-task-state]");
    return !state || state.getAttribute("data-ended") === "1";
  }

  function tail(pre) {
    var src = pre.getAttribute("data-src");
    var offset = Number(pre.getAttribute("data-offset") || "0");
    var finalRead = false;
    function step() {
      var ended = taskEnded();
      fetch(src + "&from=" + offset, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (chunk) {
          if (!chunk) return 1000;
          if (chunk.from > offset) {
            pre.appendChild(document.createTextNode("[… " + (chunk.from - offset) + " bytes dropped by --retain]\n"));
          }
          if (chunk.text) {
            var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
            pre.appendChild(document.createTextNode(chunk.text));
            if (atBottom) pre.scrollTop = pre.scrollHeight;
            pre.classList.remove("empty");
          }
          // Only a read that moved on is followed at once: a stream ending in half a character
          // (held back while the task runs) would else be asked for again and again.
          var moved = chunk.to > offset;
          offset = chunk.to;
          pre.setAttribute("data-offset", String(offset));
          if (moved && chunk.to < chunk.limit) return 0;
          if (ended) { if (finalRead) return -1; finalRead = true; return 0; }
          return 500;
        })
        .catch(function () { return 1000; })
        .then(function (wait) { if (wait >= 0) setTimeout(step, wait); });
    }
    step();
  }

  wire();
  document.querySelectorAll("pre.log[data-src]").forEach(tail);
  // A running task's progress and times change without events: its page refreshes every 2 s.
  setInterval(function () {
    if (!document.hidden && document.querySelector("[data-task-state][data-ended='0']")) {
      scheduleRefresh();
    }
  }, 2000);
  if (live && live.hasAttribute("data-static")) return;
  connect();
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      disconnect();
    } else {
      connect();
      scheduleRefresh();
    }
  });
  window.addEventListener("pagehide", disconnect);
})();
`;
