// The desktop's map is the control room's (cr-map.js: the same tiles, styles, cluster merging and labels, live
// restyling and hit test), extended with what planners do: modes (add, draw, select, lasso), selections, edit
// handles, the import preview and the planning layers. Clicks and the extent go to Python over QWebChannel
// (window.citypilot); Python calls window.cityMap.
import { CityMap } from './cr-map.js';

const SEVERITY_COLORS = { critical: '#b71c1c', major: '#e53935', minor: '#fb8c00', warning: '#fdd835' };
const PRIORITY_RADIUS = { urgent: 11, high: 9, normal: 7, low: 6 };
const OVERLAYS = {
  orders: (p) => ({ radius: PRIORITY_RADIUS[p.priority] || 7, color: '#1a237e', weight: 2, fillColor: '#5c6bc0', fillOpacity: 0.6 }),
  alarms: (p) => ({ radius: 9, color: '#ffffff', weight: 2, fillColor: SEVERITY_COLORS[p.severity] || '#e53935', fillOpacity: 0.9 }),
  feeds: (p) => ({ radius: 8, color: '#00bcd4', weight: p.depth ? 4 : 6, opacity: 0.9, fillColor: '#00e5ff', fillOpacity: 0.5 }),
};

class DesktopMap extends CityMap {
  constructor(element, bridge) {
    super(element);
    this.bridge = bridge;
    this.selection = null;
    this.handle = null;
    this.picked = null;
    this.mode = 'browse';
    this.map.on('moveend', () => this.reportExtent());
    this.map.on('click', (event) => {
      if (this.mode === 'browse') {
        const hit = this.hitTest(event.latlng);
        if (hit?.properties?.id != null) this.bridge.clicked(hit.properties.id);
      } else if (this.mode === 'add') this.bridge.mapClicked(event.latlng.lng, event.latlng.lat);
      else if (this.mode === 'draw' && !this.secondClick(event)) this.bridge.vertexClicked(event.latlng.lng, event.latlng.lat);
    });
    this.map.on('dblclick', () => { if (this.mode === 'draw') this.bridge.drawFinished(); });
    this.boxSelect();
    this.lassoSelect();
    this.reportExtent();
  }

  // Shift + drag (or the "select" mode): a rectangle; Python finds the assets inside through the API.
  boxSelect() {
    this.map.boxZoom.disable();
    let start = null;
    let box = null;
    this.map.on('mousedown', (event) => {
      if (!(event.originalEvent.shiftKey || this.mode === 'select') || this.mode === 'lasso') return;
      start = event.latlng;
      this.map.dragging.disable();
    });
    this.map.on('mousemove', (event) => {
      if (!start) return;
      const bounds = L.latLngBounds(start, event.latlng);
      if (box) box.setBounds(bounds); else box = L.rectangle(bounds, { color: '#ff00aa', weight: 1, dashArray: '4' }).addTo(this.map);
    });
    this.map.on('mouseup', (event) => {
      if (!start) return;
      const b = L.latLngBounds(start, event.latlng);
      start = null;
      this.map.dragging.enable();
      if (box) { this.map.removeLayer(box); box = null; }
      this.bridge.boxSelected(b.getWest(), b.getSouth(), b.getEast(), b.getNorth());
    });
  }

  // The second click of a double-click (the one that finishes a line) adds no vertex of its own.
  secondClick(event) {
    const now = Date.now();
    const at = this.map.latLngToContainerPoint(event.latlng);
    const last = this.lastClick;
    this.lastClick = { now, at };
    return Boolean(last && now - last.now < 400 && at.distanceTo(last.at) < 6);
  }

  // The "lasso" mode: a freehand ring; Python keeps the assets inside it.
  lassoSelect() {
    let ring = null;
    let line = null;
    this.map.on('mousedown', (event) => {
      if (this.mode !== 'lasso') return;
      ring = [event.latlng];
      this.map.dragging.disable();
    });
    this.map.on('mousemove', (event) => {
      if (!ring) return;
      ring.push(event.latlng);
      if (line) line.setLatLngs(ring); else line = L.polyline(ring, { color: '#ff00aa', weight: 1, dashArray: '4' }).addTo(this.map);
    });
    this.map.on('mouseup', () => {
      if (!ring) return;
      const points = ring.map((p) => [p.lng, p.lat]);
      ring = null;
      this.map.dragging.enable();
      if (line) { this.map.removeLayer(line); line = null; }
      if (points.length >= 3) this.bridge.lassoSelected(JSON.stringify(points));
    });
  }

  // The fibre segment being drawn (vertices as Python snapped them); null clears it.
  drawing(coordinates) {
    if (this.drawn) this.map.removeLayer(this.drawn);
    this.drawn = null;
    if (!coordinates || !coordinates.length) return;
    this.drawn = L.layerGroup([
      L.polyline(coordinates.map(([x, y]) => [y, x]), { color: '#6a1b9a', weight: 4, dashArray: '6 4' }),
      ...coordinates.map(([x, y]) => L.circleMarker([y, x], { radius: 5, color: '#6a1b9a', weight: 2, fillColor: '#fff', fillOpacity: 1 })),
    ]).addTo(this.map);
  }

  drawnVertices() { return this.drawn ? this.drawn.getLayers().length - 1 : 0; }

  setMode(mode) {
    this.mode = mode;
    if (mode === 'draw') this.map.doubleClickZoom.disable(); else this.map.doubleClickZoom.enable();
    this.map.getContainer().style.cursor = mode === 'browse' ? '' : 'crosshair';
  }

  // Several assets highlighted (a rectangle's selection).
  highlight(geometries) {
    if (this.picked) this.map.removeLayer(this.picked);
    this.picked = L.geoJSON({ type: 'FeatureCollection', features: geometries.map((g) => ({ type: 'Feature', geometry: g, properties: {} })) }, {
      pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 7, color: '#ff00aa', weight: 2, fill: false }),
      style: { color: '#ff00aa', weight: 3 },
    }).addTo(this.map);
  }

  // The selected point can be dragged: its drop goes to Python, which saves it with the asset's version.
  editHandle(id, geometry) {
    if (this.handle) this.map.removeLayer(this.handle);
    this.handle = null;
    if (id == null || !geometry) return;
    if (geometry.type === 'LineString') { this.vertexHandles(id, geometry.coordinates); return; }
    if (geometry.type !== 'Point') return;
    const [lng, lat] = geometry.coordinates;
    this.handle = L.marker([lat, lng], { draggable: true, opacity: 0.85 }).addTo(this.map);
    this.handle.on('dragend', () => {
      const at = this.handle.getLatLng();
      this.bridge.dragged(id, at.lng, at.lat);
    });
  }

  // A line's vertices, each draggable: the drop goes to Python (snapped, saved with the asset's version).
  vertexHandles(id, coordinates) {
    this.handle = L.layerGroup(coordinates.map(([x, y], index) => {
      const vertex = L.marker([y, x], { draggable: true, opacity: 0.85 });
      vertex.on('dragend', () => {
        const at = vertex.getLatLng();
        this.bridge.vertexDragged(id, index, at.lng, at.lat);
      });
      return vertex;
    })).addTo(this.map);
  }

  handleCount() { return this.handle ? (this.handle.getLayers ? this.handle.getLayers().length : 1) : 0; }

  // A file being imported, over the inventory.
  preview(collection) {
    if (this.previewLayer) this.map.removeLayer(this.previewLayer);
    this.previewLayer = null;
    if (!collection) return;
    this.previewLayer = L.geoJSON(collection, {
      pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 5, color: '#e65100', weight: 2, fillOpacity: 0.4 }),
      style: { color: '#e65100', weight: 3 },
    }).addTo(this.map);
    const bounds = this.previewLayer.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, { maxZoom: 17 });
  }

  // A planning layer over the inventory: open orders, active alarms, or what an asset feeds (GeoJSON from the
  // API); null removes it. Clicking an order or alarm tells Python; a fed asset opens in the form.
  overlay(name, collection) {
    this.overlays = this.overlays || {};
    if (this.overlays[name]) this.map.removeLayer(this.overlays[name]);
    delete this.overlays[name];
    if (!collection) return;
    const look = OVERLAYS[name];
    const layer = L.geoJSON(collection, {
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, look(feature.properties)),
      style: (feature) => look(feature.properties),
      onEachFeature: (feature, item) => {
        if (feature.properties.label) item.bindTooltip(feature.properties.label);
        item.on('click', () => this.bridge.overlayClicked(name, feature.properties.id ?? 0));
      },
    }).addTo(this.map);
    this.overlays[name] = layer;
    if (name === 'feeds') {
      const bounds = layer.getBounds();
      if (bounds.isValid()) this.map.fitBounds(bounds.pad(0.2), { maxZoom: 18 });
    }
  }

  overlayCount(name) { return this.overlays?.[name] ? this.overlays[name].getLayers().length : 0; }

  // Live state from the stream: only that feature is restyled.
  liveState(id, kind, state) { this.applyStates(new Map([[id, { kind, state }]])); }

  // Tiles again, without a blank (an asset saved: its new place or status).
  refreshAll() { for (const name of this.shown) this.refresh(name); }

  view(lng, lat, zoom) { this.map.setView([lat, lng], zoom); }

  // The fleet (control-room roles only: the server sends positions to no one else), light canvas circles moved
  // by the stream's `position` events: [[id, lon, lat, code], ...].
  vehiclesAt(items) {
    if (!this.vehicles) {
      this.vehicles = new Map();
      this.vehicleGroup = L.layerGroup().addTo(this.map);
      this.vehicleRenderer = L.canvas({ padding: 0.2 });
    }
    for (const [id, lng, lat, code] of items) {
      if (lng == null || lat == null) continue;
      const known = this.vehicles.get(id);
      if (known) { known.setLatLng([lat, lng]); continue; }
      const marker = L.circleMarker([lat, lng], { radius: 6, color: '#ffffff', weight: 1.5, fillColor: '#6a3d9a',
        fillOpacity: 1, renderer: this.vehicleRenderer });
      if (code) marker.bindTooltip(code);
      this.vehicles.set(id, marker.addTo(this.vehicleGroup));
    }
  }

  setVehiclesShown(on) {
    if (!this.vehicleGroup) return;
    if (on) this.vehicleGroup.addTo(this.map); else this.map.removeLayer(this.vehicleGroup);
  }

  vehicleAt(id) {
    const marker = this.vehicles?.get(id);
    if (!marker || !this.map.hasLayer(this.vehicleGroup)) return null;
    const ll = marker.getLatLng();
    return [ll.lng, ll.lat];
  }

  // A place found by the search box: its extent (a street, a commune) or its point (an asset), marked a moment.
  showPlace(place) {
    if (this.placeMark) this.map.removeLayer(this.placeMark);
    if (place.bbox) {
      const [w, s, e, n] = place.bbox;
      const bounds = L.latLngBounds([s, w], [n, e]);
      this.map.fitBounds(bounds.pad(0.15), { maxZoom: 18 });
      this.placeMark = L.rectangle(bounds, { color: '#ff6f00', weight: 2, fill: false, dashArray: '6 4' });
    } else {
      const [lng, lat] = place.point;
      this.map.setView([lat, lng], Math.max(this.map.getZoom(), 18));
      this.placeMark = L.circleMarker([lat, lng], { radius: 14, color: '#ff6f00', weight: 3, fill: false });
    }
    this.placeMark.addTo(this.map);
  }

  reportExtent() {
    const b = this.map.getBounds();
    this.bridge.moved(b.getWest(), b.getSouth(), b.getEast(), b.getNorth());
  }

  select(id, geometry) {
    if (this.selection) this.map.removeLayer(this.selection);
    this.selection = null;
    if (id == null || !geometry) return;
    this.selection = L.geoJSON(geometry, {
      pointToLayer: (_feature, latlng) => L.circleMarker(latlng, { radius: 10, color: '#ff00aa', weight: 3, fill: false }),
      style: { color: '#ff00aa', weight: 4 },
    }).addTo(this.map);
    const bounds = this.selection.getBounds();
    if (!this.map.getBounds().contains(bounds)) this.map.fitBounds(bounds, { maxZoom: 18 });
  }
}

new QWebChannel(qt.webChannelTransport, (channel) => {
  const bridge = channel.objects.citypilot;
  window.cityMap = new DesktopMap(document.getElementById('map'), bridge);
  bridge.loaded();
});
