/* The warden page's service worker (served at /sw.js, scope /me): the pages under /me and the
   warden's cells (GET /api/v1/me/cells) come from the network when there is one and from the cache
   as last seen when there is none; the app's own static files come from the cache first (and are
   fetched again behind it). The page
   tells it which files it uses (a "cache" message) so the first visit is enough to work offline.
   Writes never go through the cache: the page queues them itself (gridmgr-warden.js). */
"use strict";

var CACHE = "gridmgr-warden-v1";

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf("gridmgr-warden-") === 0 && n !== CACHE; })
          .map(function (n) { return caches.delete(n); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function store(request, response) {
  if (!response || !response.ok || response.redirected || response.type !== "basic") return;
  var copy = response.clone();
  caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
}

self.addEventListener("message", function (event) {
  var msg = event.data || {};
  if (msg.type === "cache" && Array.isArray(msg.urls)) {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      return Promise.all(msg.urls.map(function (url) {
        var own = new URL(url, self.location.origin);
        if (own.origin !== self.location.origin) return null;
        return fetch(own.href, { credentials: "same-origin" })
          .then(function (resp) {
            if (resp.ok && !resp.redirected) return cache.put(own.href, resp);
            return null;
          })
          .catch(function () { return null; });
      }));
    }));
  }
  if (msg.type === "forget") event.waitUntil(caches.delete(CACHE));
});

function networkFirst(request) {
  return fetch(request)
    .then(function (resp) { store(request, resp); return resp; })
    .catch(function () {
      return caches.match(request).then(function (hit) {
        if (hit) return hit;
        return caches.match(new URL("/me", self.location.origin).href).then(function (page) {
          return page || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
        });
      });
    });
}

function cacheFirst(request) {
  // stale-while-revalidate: the cached copy at once, a fresh one stored for the next visit
  return caches.match(request).then(function (hit) {
    var fresh = fetch(request).then(function (resp) { store(request, resp); return resp; });
    if (hit) { fresh.catch(function () { return null; }); return hit; }
    return fresh;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" || url.pathname === "/api/v1/me/cells") {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest") {
    event.respondWith(cacheFirst(request));
  }
});
