// Drawing a selection polygon on the map (no plugin): click to add corners, double-click / Enter / a click
// on the first corner to close, Backspace to remove the last corner, Escape to cancel.
const CLOSE_PX = 9;
const LINE = { color: '#0b5cad', weight: 2, dashArray: '6 4', fill: false, interactive: false };
const AREA = { color: '#0b5cad', weight: 2, fillColor: '#0b5cad', fillOpacity: 0.08, interactive: false };

export class AreaDraw {
  constructor(map, { onDone, onCancel, onStart, onTooSmall }) {
    this.map = map;
    this.onTooSmall = onTooSmall;
    this.onDone = onDone;
    this.onCancel = onCancel;
    this.onStart = onStart;
    this.renderer = L.canvas({ pane: 'cr-overlay' });
    this.points = [];
    this.drawing = false;
    this.preview = null;
    this.area = null;
    this.corners = L.layerGroup();
    this.handlers = {
      click: (e) => this.add(e.latlng),
      mousemove: (e) => this.follow(e.latlng),
      dblclick: (e) => { L.DomEvent.stop(e); this.finish(true); },
    };
    this.keys = (e) => this.key(e);
  }

  start() {
    this.clear();
    this.drawing = true;
    this.map.doubleClickZoom.disable();
    this.map.getContainer().classList.add('cr-drawing');
    this.map.on(this.handlers);
    document.addEventListener('keydown', this.keys);
    this.corners.addTo(this.map);
    this.onStart?.();
  }

  stop() {
    this.drawing = false;
    this.map.off(this.handlers);
    document.removeEventListener('keydown', this.keys);
    this.map.getContainer().classList.remove('cr-drawing');
    setTimeout(() => this.map.doubleClickZoom.enable(), 0);
    this.corners.clearLayers();
    if (this.preview) { this.map.removeLayer(this.preview); this.preview = null; }
  }

  clear() {
    if (this.drawing) this.stop();
    this.points = [];
    if (this.area) { this.map.removeLayer(this.area); this.area = null; }
  }

  add(latlng) {
    if (this.points.length >= 3) {
      const first = this.map.latLngToContainerPoint(this.points[0]);
      if (first.distanceTo(this.map.latLngToContainerPoint(latlng)) <= CLOSE_PX) { this.finish(false); return; }
    }
    this.points.push(latlng);
    L.circleMarker(latlng, { renderer: this.renderer, radius: 4, color: '#0b5cad', fillColor: '#fff', fillOpacity: 1, weight: 2, interactive: false })
      .addTo(this.corners);
    this.follow(latlng);
  }

  follow(latlng) {
    if (!this.points.length) return;
    const line = [...this.points, latlng];
    if (this.preview) this.preview.setLatLngs(line);
    else this.preview = L.polyline(line, { ...LINE, renderer: this.renderer }).addTo(this.map);
  }

  key(event) {
    if (event.target.closest?.('input, select, textarea')) return;
    if (event.key === 'Escape') { this.clear(); this.onCancel?.(); } else if (event.key === 'Enter') {
      this.finish(false);
    } else if (event.key === 'Backspace' && this.points.length) {
      this.points.pop();
      const layers = this.corners.getLayers();
      this.corners.removeLayer(layers[layers.length - 1]);
      if (this.preview) this.preview.setLatLngs(this.points);
    } else {
      return;
    }
    event.preventDefault();
  }

  finish(fromDoubleClick) {
    if (fromDoubleClick && this.points.length >= 2) {
      // the double-click's own two clicks added the last corner twice
      const [a, b] = this.points.slice(-2).map((p) => this.map.latLngToContainerPoint(p));
      if (a.distanceTo(b) < 4) this.points.pop();
    }
    if (this.points.length < 3) { this.onTooSmall?.(); return; }
    const points = this.points;
    this.stop();
    this.points = points;
    this.area = L.polygon(points, { ...AREA, renderer: this.renderer }).addTo(this.map);
    this.onDone?.(this.geometry());
  }

  /** The area as a GeoJSON Polygon (WGS84, counter-clockwise, closed). */
  geometry() {
    const ring = this.points.map((p) => [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))]);
    let area = 0;
    for (let i = 0; i < ring.length; i += 1) {
      const [x1, y1] = ring[i]; const [x2, y2] = ring[(i + 1) % ring.length];
      area += x1 * y2 - x2 * y1;
    }
    if (area < 0) ring.reverse();
    ring.push(ring[0]);
    return { type: 'Polygon', coordinates: [ring] };
  }

  /** Whether `latlng` is inside the drawn area. */
  contains(latlng) {
    let inside = false;
    const pts = this.points;
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i, i += 1) {
      const a = pts[i]; const b = pts[j];
      if ((a.lat > latlng.lat) !== (b.lat > latlng.lat)
        && latlng.lng < ((b.lng - a.lng) * (latlng.lat - a.lat)) / (b.lat - a.lat) + a.lng) inside = !inside;
    }
    return inside;
  }
}
