/* 城管通's service worker: the shell opens with no network; the lists read with no network show
   their last answer. It handles GET requests only: an upload (POST, with its photos) is never
   intercepted (WebKit sends intercepted POST bodies empty), and an update of this worker touches
   nothing the page keeps in IndexedDB, so nothing queued is dropped. */
"use strict";
const SHELL = "cgzf-field-shell-v1";
const DATA = "cgzf-field-data-v1";
const FILES = ["/field", "/field/app.js", "/field/manifest.webmanifest", "/field/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== DATA).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // never an upload
  const url = new URL(request.url);
  if (url.origin !== location.origin || url.pathname.includes("/auth/") || url.pathname.endsWith("/stream")) return;
  if (FILES.includes(url.pathname)) {
    // the shell: from the cache at once, refreshed behind (stale-while-revalidate)
    event.respondWith(caches.open(SHELL).then(async (cache) => {
      const hit = await cache.match(url.pathname);
      const fresh = fetch(request).then((r) => { if (r.ok && !r.redirected) cache.put(url.pathname, r.clone()); return r; }).catch(() => hit);
      return hit || fresh;
    }));
  }
});
