/* The gate page: +1 / +5 / −1 taps go into a queue kept in localStorage, each with its own
   Idempotency-Key, and are sent one by one to POST …/checkpoints/{id}/counts; offline they wait and
   go when the connection is back (a retry of a key never counts twice). The figure is the server's
   occupancy plus the taps still waiting; it is read again every 5 seconds. Texts from the page's
   JSON data block (translated), put in with textContent. */
(function () {
  "use strict";

  var REFRESH_MS = 5000;
  var RETRY_MS = 3000;
  var data, root, queue, state = null, sending = false, offline = false;

  function el(name) { return root.querySelector('[data-gate="' + name + '"]'); }

  function load() {
    try { return JSON.parse(window.localStorage.getItem(data.store) || "[]"); } catch (e) { return []; }
  }

  function save() {
    try { window.localStorage.setItem(data.store, JSON.stringify(queue)); } catch (e) { /* private mode: memory only */ }
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function fmt(n) { return Number(n).toLocaleString(); }

  function statusOf(n, limit) {
    if (limit === null || limit === undefined) return "open";
    if (n >= limit) return "full";
    return n >= 0.9 * limit ? "near" : "open";
  }

  function note(text, refused) {
    var box = el("note");
    box.textContent = text || "";
    box.classList.toggle("refused", !!refused);
  }

  function render() {
    var L_ = data.labels;
    var waiting = queue.reduce(function (sum, q) { return sum + q.in - q.out; }, 0);
    el("pending").textContent = queue.length ? queue.length + " " + L_.pending : "";
    if (offline) note(L_.offline);
    if (!state) return;
    var shown = Math.max(state.occupancy + waiting, 0);
    var status = statusOf(shown, state.limit);
    root.setAttribute("data-status", status);
    el("occupancy").textContent = fmt(shown);
    el("limit").textContent = state.limit === null ? L_.no_limit : L_.of + " " + fmt(state.limit) + " " + L_.inside;
    el("bar").style.width = state.limit ? Math.min(100, (100 * shown) / Math.max(state.limit, 1)) + "%" : "0";
    el("status").textContent = L_[status];
    var slot = state.current_slot;
    if (slot) {
      el("slot").textContent = L_.slot + " " + slot.from + "–" + slot.to + ": " + fmt(slot.entries) + " / " + fmt(slot.quota) + " " + L_.entries;
    } else {
      el("slot").textContent = state.slots && state.slots.length ? L_.no_slot : "";
    }
    var mine = (state.checkpoints || []).filter(function (c) { return c.id === data.checkpoint; })[0];
    el("here").textContent = mine ? fmt(mine.in) + " / " + fmt(mine.out) + " " + L_.in_out : "";
    root.querySelectorAll("[data-in]").forEach(function (b) { b.disabled = status === "full" && !offline; });
  }

  function refresh() {
    return fetch(data.occupancyUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
      .then(function (body) { state = body; render(); })
      .catch(function () { /* the next tick tries again */ });
  }

  function flush() {
    if (sending || !queue.length) return;
    sending = true;
    var item = queue[0];
    var body = { in: item.in, out: item.out };
    if (Date.now() - item.t > 60000) body.at = new Date(item.t).toISOString(); // sent late: when it was
    fetch(data.countsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": data.csrf,
        "Idempotency-Key": item.key,
      },
      body: JSON.stringify(body),
    })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (answer) { return { status: resp.status, body: answer }; });
      })
      .then(function (got) {
        offline = false;
        if (got.status >= 500 || got.status === 401 || got.status === 429) throw new Error("HTTP " + got.status);
        queue.shift();
        save();
        if (got.status === 201) {
          note("");
          if (state) { state.occupancy = got.body.occupancy; state.limit = got.body.limit; }
        } else {
          var message = got.body && got.body.error ? got.body.error.message : "HTTP " + got.status;
          note((got.status === 409 ? data.labels.refused : data.labels.error) + " (" + message + ")", true);
        }
        render();
        return refresh();
      })
      .catch(function () {
        offline = true;
        render();
        window.setTimeout(flush, RETRY_MS);
      })
      .then(function () {
        sending = false;
        if (queue.length && !offline) flush();
      });
  }

  function tap(nIn, nOut) {
    queue.push({ key: newKey(), in: nIn, out: nOut, t: Date.now() });
    save();
    render();
    flush();
  }

  function start() {
    var block = document.getElementById("gm-gate");
    root = document.getElementById("gate");
    if (!block || !root) return;
    data = JSON.parse(block.textContent);
    queue = load();
    root.querySelectorAll("[data-in]").forEach(function (b) {
      b.addEventListener("click", function () { tap(Number(b.getAttribute("data-in")), 0); });
    });
    root.querySelectorAll("[data-out]").forEach(function (b) {
      b.addEventListener("click", function () { tap(0, Number(b.getAttribute("data-out"))); });
    });
    window.addEventListener("online", function () { offline = false; flush(); });
    refresh().then(flush);
    window.setInterval(function () { refresh(); if (!sending) flush(); }, REFRESH_MS);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
