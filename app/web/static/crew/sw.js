// The crew tablet's service worker (scope /crew/): the app shell and what the crew read (their orders, the
// assets, the photos) stay on the tablet, so the pages open and show the orders with no network. Writes
// are never handled here: the page's queue (IndexedDB) keeps and replays them.
//  - the page and its scripts: from the network when it answers (within a few seconds), else the copy;
//  - the API's reads: the same, and the copy says when it was taken (X-CityPilot-Offline);
//  - the base map tiles: the copy first, bounded to MAX_TILES (the oldest dropped first).
const SHELL = 'crew-shell-v1';
const DATA = 'crew-data-v1';
const TILES = 'crew-tiles-v1';
// the bound of the tile copies: `?tiles=N` on the worker's URL (the server's CITYPILOT_CREW_TILES), else 1500
const MAX_TILES = Number(new URL(self.location.href).searchParams.get('tiles')) || 1500;
const NETWORK_MS = 4000;
const scope = new URL(self.registration.scope);
const ROOT = scope.pathname.replace(/crew\/$/, '');
const SHELL_FILES = [
  'crew/', 'crew/manifest.webmanifest',
  'static/vendor/leaflet/leaflet.css', 'static/vendor/leaflet/leaflet.js',
  'static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js',
  ...['crew.css', 'main.js', 'i18n.js', 'api.js', 'db.js', 'queue.js', 'list.js', 'order.js', 'asset.js', 'map.js',
    'photo.js', 'signature.js', 'status.js', 'prefetch.js', 'geo.js'].map((f) => `static/crew/${f}`),
].map((path) => ROOT + path);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await Promise.all(SHELL_FILES.map((url) => fetch(url, { credentials: 'same-origin', redirect: 'manual' })
      .then((response) => (response.ok ? cache.put(url, response) : null)).catch(() => null)));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL, DATA, TILES]);
    for (const name of await caches.keys()) if (!keep.has(name)) await caches.delete(name);
    await self.clients.claim();
  })());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

/** A copy of `headers` for a body already decoded (the network's gzip is undone by then). */
function decoded(headers) {
  const copy = new Headers(headers);
  copy.delete('Content-Encoding');
  copy.delete('Content-Length');
  return copy;
}

async function stamped(response) {
  const headers = decoded(response.headers);
  headers.set('X-CityPilot-Stored', new Date().toISOString());
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}

async function fromCopy(cacheName, request, key) {
  const copy = await (await caches.open(cacheName)).match(key || request, { ignoreVary: true });
  if (!copy) return null;
  const headers = decoded(copy.headers);
  headers.set('X-CityPilot-Offline', copy.headers.get('X-CityPilot-Stored') || 'true');
  return new Response(await copy.blob(), { status: copy.status, statusText: copy.statusText, headers });
}

/** The network's answer (kept), else the kept copy, else a 503 the page recognises as "offline". */
async function networkFirst(request, cacheName, key) {
  try {
    const response = await withTimeout(fetch(request), NETWORK_MS);
    if (response.ok && response.type === 'basic') {
      const copy = await stamped(response.clone());
      (await caches.open(cacheName)).put(key || request, copy);
    }
    return response;
  } catch (error) {
    const copy = await fromCopy(cacheName, request, key) || (cacheName !== SHELL && await fromCopy(SHELL, request, key));
    if (copy) return copy;
    return new Response(JSON.stringify({ error: 'offline', message: 'not available offline' }),
      { status: 503, headers: { 'Content-Type': 'application/json', 'X-CityPilot-Offline': 'none' } });
  }
}

let trimming = Promise.resolve();
/** Drop the oldest tile copies beyond MAX_TILES (one trim at a time, so none sees a half-trimmed cache). */
function trim(cache) {
  trimming = trimming.then(async () => {
    const keys = await cache.keys();
    for (let i = 0; i < keys.length - MAX_TILES; i += 1) await cache.delete(keys[i]);
  }).catch(() => null);
  return trimming;
}

async function tileFirst(request) {
  const cache = await caches.open(TILES);
  const copy = await cache.match(request);
  if (copy) return copy;
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
    await trim(cache);
  }
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const path = url.pathname.slice(ROOT.length - 1);
  if (path.startsWith('/api/v1/basemap/')) {
    event.respondWith(tileFirst(request));
  } else if (path.startsWith('/api/v1/stream')) {
    // the live stream is never kept
  } else if (path.startsWith('/api/v1/')) {
    event.respondWith(networkFirst(request, DATA));
  } else if (request.mode === 'navigate' && path.startsWith('/crew/')) {
    event.respondWith(networkFirst(request, SHELL, ROOT + 'crew/')); // one shell for every #/ view
  } else if (path.startsWith('/static/') || path.startsWith('/crew/')) {
    event.respondWith(networkFirst(request, SHELL, url.origin + url.pathname));
  }
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'forget') { // another person signs in on this tablet: the last one's reads go
    event.waitUntil(caches.delete(DATA));
  }
});
