// The control room: wires the map, the live stream, the alarms, the asset panel and the commands.
import { api } from './api.js';
import { AlarmList } from './alarms.js';
import { Commands } from './commands.js';
import { ContractPanel } from './contract.js';
import { Counters } from './counters.js';
import { announce, fmtNumber, h, stateLabel, t } from './i18n.js';
import { CityMap } from './map.js';
import { OrdersPanel } from './orders.js';
import { AssetPanel } from './panel.js';
import { FrameBatch, LiveStream } from './stream.js';
import { STATES } from './styles.js';
import { addDrawButton, addSwitcher } from './switcher.js';
import { Vehicles } from './vehicles.js';

const city = new CityMap(document.getElementById('cr-map'));
const vehicles = new Vehicles(city);
const counters = new Counters(document.getElementById('cr-counters'));
const marker = L.circleMarker([0, 0], {
  renderer: L.canvas({ pane: 'cr-overlay' }), radius: 13, weight: 3, color: '#0b5cad', fill: false, interactive: false,
});

function highlight(latlng) {
  marker.setLatLng(latlng);
  if (!city.map.hasLayer(marker)) marker.addTo(city.map);
}

function showOnMap(asset) {
  if (asset.lat == null || asset.lon == null) return;
  const at = L.latLng(asset.lat, asset.lon);
  city.map.flyTo(at, Math.max(city.map.getZoom(), 17), { duration: 0.6 });
  highlight(at);
}

const panel = new AssetPanel(document.getElementById('cr-panel'), city);
panel.onLoaded = (feature) => {
  if (feature.geometry?.type === 'Point') highlight([feature.geometry.coordinates[1], feature.geometry.coordinates[0]]);
};
const openAsset = (id, options) => panel.open(id, options);
const alarms = new AlarmList(document.getElementById('cr-alarm-list'), document.getElementById('cr-alarm-count'),
  { showOnMap, openAsset });
const contract = new ContractPanel(document.getElementById('cr-contract'));
const orders = new OrdersPanel(document.getElementById('cr-orders'), city, { showOnMap });
const commands = new Commands(city, {
  box: document.getElementById('cr-command'), pending: document.getElementById('cr-pending'), drawButton: addDrawButton(city),
});
addSwitcher(city, vehicles);
city.onBackgroundLost = () => {
  announce(t('background_unreachable'));
  const box = document.getElementById('cr-layer-background');
  if (box) { box.checked = false; box.disabled = true; box.closest('label').title = t('background_unreachable'); }
};

function clusterPopup(properties, latlng) {
  const rows = STATES.filter((s) => properties[s]).map((s) => h('li', { dataset: { state: s } }, `${stateLabel(s)} : ${fmtNumber(properties[s])}`));
  const zoom = h('button', { type: 'button', class: 'secondary' }, t('cluster_zoom'));
  zoom.addEventListener('click', () => { city.map.closePopup(); city.map.setView(latlng, city.map.getZoom() + 2); });
  L.popup({ className: 'cr-cluster-popup' }).setLatLng(latlng)
    .setContent(h('div', {}, h('strong', {}, t('cluster_title', { count: fmtNumber(properties.count) })), h('ul', {}, rows), zoom))
    .openOn(city.map);
}

city.map.on('click', (event) => {
  if (commands.drawing) return;
  const vehicle = vehicles.hitTest(event.latlng);
  if (vehicle) { highlight(event.latlng); openAsset(vehicle.asset_id); return; }
  const hit = city.hitTest(event.latlng);
  if (!hit) return;
  if (hit.properties.id != null) {
    openAsset(hit.properties.id);
  } else if (hit.properties.count != null) {
    clusterPopup(hit.properties, event.latlng);
  }
});

document.getElementById('cr-search').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = event.target.elements.q;
  const q = input.value.trim();
  if (!q) return;
  const page = await api.get('/assets', { q, limit: 5 }).catch(() => null);
  const found = page?.items?.find((a) => a.code.toLowerCase() === q.toLowerCase()) || page?.items?.[0];
  if (!found) { announce(t('search_none')); input.setCustomValidity(t('search_none')); input.reportValidity(); return; }
  input.setCustomValidity('');
  const geometry = found.geom;
  if (geometry?.type === 'Point') showOnMap({ lon: geometry.coordinates[0], lat: geometry.coordinates[1] });
  else if (geometry) city.map.flyToBounds(L.geoJSON(geometry).getBounds(), { maxZoom: 17 });
  openAsset(found.id);
});

const status = document.getElementById('cr-stream');
function setStatus(state) {
  status.dataset.state = state;
  status.textContent = t(`stream_${state}`);
}

function loadAll() {
  counters.load().catch(() => {});
  alarms.load();
  vehicles.load().catch(() => {});
  commands.loadPending();
  orders.load();
  setTimeout(() => contract.load(), 2000); // the contract's figures take seconds to compute: after the live parts
}

const batch = new FrameBatch((states, positions) => {
  city.applyStates(states);
  vehicles.applyPositions(positions);
});
const stream = new LiveStream({
  state: (event) => { batch.state(event); counters.onState(event); panel.onState(event); },
  position: (event) => batch.position(event),
  alarm: (event) => alarms.onEvent(event),
  command: (event) => commands.onEvent(event),
  order: (event) => orders.onOrder(event),
  escalation: (event) => orders.onEscalation(event),
  resync: () => { city.resync(); loadAll(); },
  status: setStatus,
});
stream.open();
loadAll();

// For tests and the curious: the page's parts.
window.controlRoom = { city, vehicles, counters, alarms, panel, commands, orders, contract, batch, stream };
