// The map of the crew's orders and of the tablet's own position: Leaflet from the app's own files, the city
// drawn from the platform's base map tiles (communes and streets; kept on the tablet by the service worker).
import { here, onPosition } from './geo.js';
import { config, h, t } from './i18n.js';
import { urgency } from './list.js';

const COLOURS = { late: '#b3261e', risk: '#c2410c', ok: '#0b5cad', none: '#4b5563' };
const STREETS = { primary: [2.4, '#8a96a3'], secondary: [1.6, '#9aa5b1'], rural: [1.2, '#a9b59f'], residential: [1, '#b0b9c2'] };
const DIJON = [47.3216, 5.0415];

function baseStyles() {
  return {
    communes: () => ({ stroke: true, color: '#5b4a7a', weight: 1.4, opacity: 0.8, dashArray: '6 4', fill: false }),
    streets: (props, z) => {
      const [weight, color] = STREETS[props.street_class] || STREETS.residential;
      return { stroke: true, color, weight: weight + Math.max(0, z - 14) * 0.7, opacity: 1, fill: false };
    },
    labels: () => [],
  };
}

/** Draw `orders` on a map in `main`; returns the Leaflet map (window.crewTablet.map in tests). */
export function showMap(main, orders) {
  const box = h('div', { id: 'ct-map', class: 'ct-map', role: 'region', 'aria-label': t('map') });
  main.replaceChildren(box);
  const map = L.map(box, { zoomControl: true, tap: true }).setView(DIJON, 13);
  map.attributionControl.setPrefix(false);
  L.vectorGrid.protobuf(config.urls.basemap, {
    rendererFactory: L.canvas.tile, vectorTileLayerStyles: baseStyles(), interactive: false, maxNativeZoom: 19,
    attribution: 'IGN — Admin Express 2018',
  }).addTo(map);
  const points = [];
  for (const order of orders) {
    if (order.lon == null) continue;
    const u = urgency(order);
    const marker = L.circleMarker([order.lat, order.lon], { radius: 14, color: '#fff', weight: 3, fillColor: COLOURS[u.level],
      fillOpacity: 1 }).addTo(map);
    marker.bindPopup(() => h('a', { class: 'ct-popup', href: `#/order/${order.id}` },
      h('strong', {}, t('order_title', { id: order.id })), h('br'), order.description || '', h('br'), u.text));
    points.push([order.lat, order.lon]);
  }
  const me = L.circleMarker(DIJON, { radius: 9, color: '#fff', weight: 3, fillColor: '#111827', fillOpacity: 1 });
  const reach = L.circle(DIJON, { radius: 10, color: '#111827', weight: 1, fillOpacity: 0.1 });
  const place = (fix) => {
    me.setLatLng([fix.lat, fix.lon]).addTo(map).bindTooltip(t('my_position'));
    reach.setLatLng([fix.lat, fix.lon]).setRadius(fix.accuracy_m || 10).addTo(map);
  };
  if (here.fix) {
    place(here.fix);
    points.push([here.fix.lat, here.fix.lon]);
  }
  onPosition((fix) => { if (map.getContainer().isConnected) place(fix); });
  if (points.length) map.fitBounds(points, { padding: [40, 40], maxZoom: 16 });
  return map;
}
