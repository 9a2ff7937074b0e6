/* The warden page offline: "Log a round" and "Report a problem" go into a queue in IndexedDB, each
   with its time, the phone's position (navigator.geolocation, WGS84 — right whatever datum the base
   map's tiles use) and its own Idempotency-Key, then are sent to the JSON API one by one: a round to
   POST …/cells/{code}/rounds, a finding to POST …/cells/{code}/findings and its photo to
   POST /findings/{id}/photos. Without a connection they wait (listed on the page) and go when it is
   back; a retry of a key never stores twice. Once everything waiting is sent the page is loaded
   again so it shows the server's view. The service worker (/sw.js) keeps the page for offline use.
   Texts come from the page's JSON data block (translated) and go in with textContent. */
(function () {
  "use strict";

  var DB_NAME = "gridmgr-warden";
  var STORE = "queue";
  var RETRY_MS = 5000;
  var data, db = null, memory = [], sending = false, notes = [];

  function el(name) { return document.querySelector('[data-offline="' + name + '"]'); }

  // --- the queue: IndexedDB (memory only where it is not available) ---------------------------

  function openDb() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var req = window.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { resolve(null); };
    });
  }

  function tx(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!db) { resolve(work(null)); return; }
      var t = db.transaction(STORE, mode);
      var result = work(t.objectStore(STORE));
      t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
      t.onerror = function () { reject(t.error); };
    });
  }

  function mine(item) { return item.user === data.user; }

  function all() {
    if (!db) return Promise.resolve(memory.filter(mine));
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).filter(mine).sort(function (a, b) { return a.t - b.t || a.seq - b.seq; });
    });
  }

  function put(item) {
    if (!db) {
      memory = memory.filter(function (m) { return m.key !== item.key; }).concat([item]);
      return Promise.resolve();
    }
    return tx("readwrite", function (s) { s.put(item); });
  }

  function remove(key) {
    if (!db) { memory = memory.filter(function (m) { return m.key !== key; }); return Promise.resolve(); }
    return tx("readwrite", function (s) { s.delete(key); });
  }

  // the order items were queued in, also when the clock gives two the same time
  function nextSeq() {
    var n = 0;
    try {
      n = Number(window.localStorage.getItem("gridmgr-warden-seq") || "0") + 1;
      window.localStorage.setItem("gridmgr-warden-seq", String(n));
    } catch (e) { n = memory.length + 1; }
    return n;
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  // --- the phone's position -------------------------------------------------------------------

  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      var done = false;
      var timer = window.setTimeout(function () { if (!done) { done = true; resolve(null); } }, 12000);
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          if (done) return;
          done = true;
          window.clearTimeout(timer);
          var c = pos.coords;
          var fix = { lon: c.longitude, lat: c.latitude };
          if (typeof c.accuracy === "number" && isFinite(c.accuracy)) fix.accuracy_m = Math.min(Math.max(c.accuracy, 0), 2000);
          resolve(fix);
        },
        function () { if (!done) { done = true; window.clearTimeout(timer); resolve(null); } },
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 }
      );
    });
  }

  // --- the page -------------------------------------------------------------------------------

  function render() {
    return all().then(function (items) {
      var L_ = data.labels;
      var box = el("waiting");
      var list = el("list");
      if (!box || !list) return;
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.setAttribute("data-waiting", item.kind);
        li.setAttribute("data-key", item.key);
        var when = new Date(item.at);
        var hhmm = ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
        var text = hhmm + " · " + item.code + " · " + (item.kind === "round" ? L_.round : L_.finding);
        if (item.kind === "finding") text += ": " + item.finding.text + (item.photo ? " (" + L_.photo + ")" : "");
        else if (item.note) text += ": " + item.note;
        if (!item.location) text += " · " + L_.no_position;
        li.textContent = text;
        list.appendChild(li);
      });
      box.hidden = !items.length && !notes.length;
      el("count").textContent = items.length ? items.length + " " + L_.waiting : "";
      el("state").textContent = navigator.onLine ? (items.length ? L_.sending : "") : L_.offline;
      var refused = el("refused");
      refused.textContent = "";
      notes.forEach(function (n) {
        var li = document.createElement("li");
        li.textContent = n;
        refused.appendChild(li);
      });
      document.documentElement.setAttribute("data-waiting", String(items.length));
    });
  }

  // --- sending --------------------------------------------------------------------------------

  function post(url, key, body, isForm) {
    var headers = { Accept: "application/json", "X-CSRF-Token": data.csrf };
    if (key) headers["Idempotency-Key"] = key;
    if (!isForm) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: headers,
      body: isForm ? body : JSON.stringify(body),
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (answer) {
        return { status: resp.status, body: answer };
      });
    });
  }

  // what an answer means for the item: sent, keep it for later, or refused for good
  function verdict(got) {
    if (got.status >= 200 && got.status < 300) return "sent";
    if (got.status >= 500 || got.status === 401 || got.status === 408 || got.status === 429) return "keep";
    return "refused";
  }

  function cellUrl(item, what) {
    return data.api + encodeURIComponent(item.slug) + "/cells/" + encodeURIComponent(item.code) + "/" + what;
  }

  function sendRound(item) {
    var body = { at: item.at };
    if (item.note) body.note = item.note;
    if (item.location) body.location = item.location;
    return post(cellUrl(item, "rounds"), item.key, body).then(function (got) { return [verdict(got), got]; });
  }

  function sendFinding(item) {
    var step = item.findingId ? Promise.resolve(["sent", null]) : post(
      cellUrl(item, "findings"), item.key,
      Object.assign({}, item.finding, { at: item.at }, item.location ? { location: { lon: item.location.lon, lat: item.location.lat } } : {})
    ).then(function (got) {
      var v = verdict(got);
      if (v !== "sent") return [v, got];
      item.findingId = got.body.id;
      return put(item).then(function () { return ["sent", got]; });
    });
    return step.then(function (res) {
      if (res[0] !== "sent" || !item.photo) return res;
      var form = new FormData();
      form.append("file", item.photo, item.photoName || "photo.jpg");
      return post(data.photos.replace("{id}", String(item.findingId)), null, form, true).then(function (got) {
        return [verdict(got), got];
      });
    });
  }

  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    var sent = 0, said = [];
    function next(items) {
      if (!items.length) return null;
      var item = items[0];
      var go = item.kind === "round" ? sendRound(item) : sendFinding(item);
      return go.then(function (res) {
        if (res[0] === "keep") throw new Error("later");
        if (res[0] === "refused") {
          var msg = res[1] && res[1].body && res[1].body.error ? res[1].body.error.message : "HTTP " + res[1].status;
          notes.push(item.code + ": " + data.labels.refused + " (" + msg + ")");
        } else {
          sent += 1;
          if (item.kind === "round") said.push(loggedText(item));
        }
        return remove(item.key).then(function () { return next(items.slice(1)); });
      });
    }
    return all()
      .then(next)
      .then(function () {
        sending = false;
        return all().then(function (left) {
          if (sent && !left.length && !notes.length) {
            try { window.sessionStorage.setItem("gridmgr-warden-said", JSON.stringify(said)); } catch (e) { /* none */ }
            window.location.reload();
          } else {
            render();
          }
        });
      })
      .catch(function () {
        sending = false;
        render();
        window.setTimeout(flush, RETRY_MS);
      });
  }

  function loggedText(item) {
    var when = new Date(item.at);
    var hhmm = ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
    return data.labels.logged.replace("{code}", item.code).replace("{area}", item.areaName || item.slug)
      .replace("{time}", hhmm);
  }

  // what the last sending said, shown once after the reload as the server's messages are
  function sayAgain() {
    var said = [];
    try {
      said = JSON.parse(window.sessionStorage.getItem("gridmgr-warden-said") || "[]");
      window.sessionStorage.removeItem("gridmgr-warden-said");
    } catch (e) { said = []; }
    var main = document.querySelector("main") || document.body;
    said.forEach(function (text) {
      var p = document.createElement("p");
      p.className = "flash ok";
      p.textContent = text;
      main.insertBefore(p, main.firstChild);
    });
  }

  // --- the forms ------------------------------------------------------------------------------

  function queueRound(form) {
    var note = form.querySelector('[name="note"]');
    var item = {
      key: newKey(), user: data.user, kind: "round", t: Date.now(), seq: nextSeq(), at: new Date().toISOString(),
      slug: form.getAttribute("data-slug"), code: form.getAttribute("data-code"),
      areaName: form.getAttribute("data-area-name"),
      note: note && note.value.trim() ? note.value.trim() : null,
    };
    return item;
  }

  function queueFinding(form) {
    function val(name) {
      var f = form.querySelector('[name="' + name + '"]');
      return f && f.value.trim() ? f.value.trim() : null;
    }
    var plan = form.querySelector('[name="plan"]:checked');
    var fixedNow = !plan || plan.value === "now";
    var finding = { category: val("category"), text: val("text"), fixed_now: fixedNow };
    if (val("note")) finding.note = val("note");
    if (!fixedNow) {
      ["deadline", "unit", "person"].forEach(function (k) { if (val(k)) finding[k] = val(k); });
    }
    var file = form.querySelector('[name="photo"]');
    var photo = file && file.files && file.files[0] ? file.files[0] : null;
    return {
      key: newKey(), user: data.user, kind: "finding", t: Date.now(), seq: nextSeq(), at: new Date().toISOString(),
      slug: form.getAttribute("data-slug"), code: form.getAttribute("data-code"),
      finding: finding, photo: photo, photoName: photo ? photo.name : null,
    };
  }

  function intercept(form, make) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (form.getAttribute("data-busy")) return;
      form.setAttribute("data-busy", "1");
      var item = make(form);
      position()
        .then(function (fix) { item.location = fix; return put(item); })
        .then(function () {
          form.reset();
          form.removeAttribute("data-busy");
          var details = form.closest("details");
          if (details) details.open = false;
          return render();
        })
        .then(flush);
    });
  }

  // --- the service worker ---------------------------------------------------------------------

  function register() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(data.worker, { scope: data.scope })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (reg) {
        var urls = [window.location.pathname, data.cells];
        document.querySelectorAll("script[src], link[href]").forEach(function (n) {
          var u = n.getAttribute("src") || n.getAttribute("href");
          if (u && u.charAt(0) === "/" && u.charAt(1) !== "/") urls.push(u);
        });
        document.querySelectorAll("img[src]").forEach(function (n) {
          var u = n.getAttribute("src");
          if (u && u.indexOf("/static/") === 0) urls.push(u);
        });
        if (reg.active) reg.active.postMessage({ type: "cache", urls: urls });
        document.documentElement.setAttribute("data-offline-ready", "1");
      })
      .catch(function () { /* no service worker: the page still queues while it is open */ });
  }

  function start() {
    var block = document.getElementById("gm-warden");
    if (!block) return;
    data = JSON.parse(block.textContent);
    sayAgain();
    openDb().then(function (opened) {
      db = opened;
      document.querySelectorAll("form.log-form[data-code]").forEach(function (f) { intercept(f, queueRound); });
      document.querySelectorAll("form.report-form[data-code]").forEach(function (f) { intercept(f, queueFinding); });
      window.addEventListener("online", function () { render(); flush(); });
      window.addEventListener("offline", render);
      document.documentElement.setAttribute("data-queue-ready", "1");
      return render().then(flush);
    });
    register();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
