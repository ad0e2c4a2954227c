// The crew tablet: one page, three views (#/ my orders, #/map, #/order/<id>), the network and queue status
// always shown, the service worker registered so that it all opens again with no network.
import { watchPosition } from './geo.js';
import { config, h, t } from './i18n.js';
import { renderCards, showList } from './list.js';
import { showMap } from './map.js';
import { showOrder } from './order.js';
import { readAhead } from './prefetch.js';
import { db, flush, listen, status, waiting } from './queue.js';
import { watchStatus } from './status.js';

const main = document.getElementById('ct-main');
const state = { orders: [], stop: null, map: null };
window.crewTablet = { state, flush, status, renderCards, waiting, db };

async function pendingStates() {
  const states = {};
  for (const e of await waiting()) if (e.type === 'move') states[e.order_id] = e.json.to;
  return states;
}

async function route() {
  state.stop?.();
  state.stop = null;
  state.map?.remove();
  state.map = null;
  const hash = window.location.hash || '#/';
  document.getElementById('ct-tab-list').toggleAttribute('aria-current', hash === '#/');
  document.getElementById('ct-tab-map').toggleAttribute('aria-current', hash === '#/map');
  const order = hash.match(/^#\/order\/(\d+)$/);
  try {
    if (order) {
      state.stop = await showOrder(main, Number(order[1]));
    } else if (hash === '#/map') {
      if (!state.orders.length) state.orders = (await showList(document.createElement('div'), {})).orders;
      state.map = showMap(main, state.orders);
      window.crewTablet.map = state.map;
    } else {
      const { orders } = await showList(main, await pendingStates());
      state.orders = orders;
      if (navigator.onLine) readAhead(orders);
    }
  } catch (error) {
    main.replaceChildren(h('p', { class: 'ct-error', role: 'alert' },
      error.status === undefined ? t('not_cached') : t('error', { message: error.message })));
  }
  main.dataset.view = order ? 'order' : hash === '#/map' ? 'map' : 'list';
  main.dataset.ready = 'true';
}

window.addEventListener('hashchange', () => { main.dataset.ready = 'false'; route(); });
listen((event) => {
  if (event.type === 'applied' && (window.location.hash || '#/') === '#/') route();
});

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register(config.urls.sw, { scope: config.urls.page });
  } catch { /* without it the tablet works online only */ }
  const last = localStorage.getItem('citypilot-crew-user');
  if (last && last !== String(config.user.id)) { // another person on this tablet: the last one's reads go
    (await navigator.serviceWorker.ready).active?.postMessage({ type: 'forget' });
  }
  localStorage.setItem('citypilot-crew-user', String(config.user.id));
}

watchStatus();
watchPosition();
registerWorker();
route();
flush();
