// Service worker of Sổ tay Nghiệp vụ & Công nghệ. Served as /sw.js (root
// scope) with __VERSION__ and the precache list filled in by the server.
//
// Citizens open procedure pages from a QR code on the counter, often on a
// weak mobile connection. Procedure pages (and their QR images) are fetched
// network-first and kept, so a page the phone has opened once stays readable
// offline; static assets are cache-first (their URLs carry a content hash).
'use strict';

const VERSION = '__VERSION__';
const STATIC_CACHE = 'sotay-static-' + VERSION;
const PAGE_CACHE = 'sotay-pages';
const PRECACHE = ["__PRECACHE__"];
const MAX_PAGES = 150;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys
        .filter((k) => k.startsWith('sotay-static-') && k !== STATIC_CACHE)
        .map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
      .then(() => keepOpenPages())
  );
});

// keepOpenPages keeps the procedure pages that are open now. A citizen's
// first visit, from the QR code on the counter, is often the only one, and
// it loaded before this worker existed: without this the page they opened
// would not be readable offline until they opened it a second time.
async function keepOpenPages() {
  const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  await Promise.all(wins.map(async (win) => {
    const url = new URL(win.url);
    url.hash = '';
    if (!url.pathname.startsWith('/docs/procedures/')) return;
    const qr = new URL('/api/v1/procedures/' + url.pathname.slice('/docs/'.length) + '/qr.svg', url);
    for (const u of [url, qr]) {
      try {
        await networkFirst(new Request(u.href));
      } catch (err) {
        // offline already: nothing to keep
      }
    }
  }));
}

function isProcedure(url) {
  return url.pathname.startsWith('/docs/procedures/') ||
    (url.pathname.startsWith('/api/v1/procedures/') && url.pathname.endsWith('/qr.svg'));
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (isProcedure(url)) {
    event.respondWith(networkFirst(req));
  } else if (url.pathname.startsWith('/static/')) {
    event.respondWith(cacheFirst(req));
  } else if (req.mode === 'navigate') {
    event.respondWith(fetch(req).catch(() => offline()));
  }
});

async function networkFirst(req) {
  const cache = await caches.open(PAGE_CACHE);
  try {
    const res = await fetch(req);
    // The Cache API ignores Cache-Control, so honour it here: pages served
    // to a signed-in official (private, no-store) may hold internal
    // content and must not stay readable on the device after logout.
    const cc = res.headers.get('Cache-Control') || '';
    if (res.ok && !/no-store|private/i.test(cc)) {
      await cache.put(req, res.clone());
      trim(cache);
    }
    return res;
  } catch (err) {
    const hit = await cache.match(req) || await cache.match(req, { ignoreSearch: true });
    if (hit) return hit;
    if (req.mode === 'navigate') return offline();
    throw err;
  }
}

async function cacheFirst(req) {
  const hit = await caches.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(req, res.clone());
  }
  return res;
}

async function offline() {
  const page = await caches.match('/offline');
  return page || new Response('Không có kết nối mạng.', {
    status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

// trim keeps the page cache bounded: the oldest entries go first.
async function trim(cache) {
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - MAX_PAGES; i++) {
    await cache.delete(keys[i]);
  }
}
