// Online, the tablet reads ahead what the crew will need without network: each open order, its work
// record and its assets (the service worker keeps the answers), and the base map tiles around the orders
// (zooms 12 to 16, at most MAX_TILES; the service worker bounds its tile copies too).
import { get } from './api.js';
import { config } from './i18n.js';

const MAX_TILES = 400;
const ZOOMS = [12, 13, 14, 15, 16];
let done = new Set();

function tileOf(lat, lon, z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return [x, y];
}

async function quietly(promise) {
  try { await promise; } catch { /* offline meanwhile: what was read stays */ }
}

async function tiles(orders) {
  const urls = new Set();
  for (const z of ZOOMS) {
    for (const o of orders) {
      if (o.lon == null) continue;
      const [x, y] = tileOf(o.lat, o.lon, z);
      for (const dx of [-1, 0, 1]) for (const dy of [-1, 0, 1]) {
        urls.add(config.urls.basemap.replace('{z}', z).replace('{x}', x + dx).replace('{y}', y + dy));
      }
      if (urls.size >= MAX_TILES) break;
    }
  }
  for (const url of [...urls].slice(0, MAX_TILES)) {
    await quietly(fetch(url, { credentials: 'same-origin' }));
  }
}

/** Read ahead the orders of the list (once per page load and order). */
export async function readAhead(orders) {
  if (!navigator.serviceWorker?.controller) return;
  for (const order of orders) {
    if (done.has(order.id)) continue;
    done.add(order.id);
    const path = `/work-orders/${order.id}`;
    await quietly((async () => {
      const [detail] = await Promise.all([get(path), get(`${path}/work`)]);
      for (const asset of (detail.assets || []).slice(0, 5)) {
        await Promise.all([get(`/assets/${asset.id}`), get(`/assets/${asset.id}/live`),
          get(`/assets/${asset.id}/history?limit=5`), get(`/assets/${asset.id}/feeds`)].map(quietly));
      }
    })());
  }
  await tiles(orders);
}

export const forgetReadAhead = () => { done = new Set(); };
