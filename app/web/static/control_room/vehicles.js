// The 205 vehicles: light canvas circles (one renderer, no DOM marker each), moved by `position` events.
import { api } from './api.js';

const STYLE = { radius: 5, color: '#ffffff', weight: 1.5, fillColor: '#6a3d9a', fillOpacity: 1, interactive: false };

export class Vehicles {
  constructor(cityMap) {
    this.map = cityMap.map;
    this.renderer = L.canvas({ pane: 'cr-vehicles', padding: 0.2 });
    this.group = L.layerGroup().addTo(this.map);
    this.markers = new Map(); // asset id -> {marker, code}
  }

  async load() {
    const data = await api.get('/vehicles');
    for (const item of data.items) {
      if (item.lon != null && item.lat != null) this.place(item.asset_id, item.lat, item.lon, item.code);
    }
    return data.total;
  }

  place(id, lat, lon, code) {
    const known = this.markers.get(id);
    if (known) { known.marker.setLatLng([lat, lon]); return; }
    const marker = L.circleMarker([lat, lon], { ...STYLE, renderer: this.renderer }).addTo(this.group);
    this.markers.set(id, { marker, code });
  }

  /** Positions coalesced per vehicle (`Map` id -> event), applied once per frame. */
  applyPositions(positions) {
    for (const [id, event] of positions) {
      if (event.lat == null || event.lon == null) continue;
      this.place(id, event.lat, event.lon, null);
    }
  }

  setShown(on) {
    if (on) this.group.addTo(this.map); else this.map.removeLayer(this.group);
  }

  /** The vehicle drawn within `px` pixels of `latlng`, as {asset_id, code}, or null. */
  hitTest(latlng, px = 8) {
    if (!this.map.hasLayer(this.group)) return null;
    const p = this.map.latLngToLayerPoint(latlng);
    let best = null;
    for (const [id, { marker, code }] of this.markers) {
      const d = this.map.latLngToLayerPoint(marker.getLatLng()).distanceTo(p);
      if (d <= px && (!best || d < best.d)) best = { d, asset_id: id, code };
    }
    return best;
  }
}
