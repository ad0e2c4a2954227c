// The map: the platform's vector tiles for every family drawn on canvas (VectorGrid), coloured by live
// state; the base map (communes, streets) or a configured background; filters per family and per state.
import './canvas.js';
import { config } from './i18n.js';
import { HIDDEN, PASSIVE, STATES, assetStyle, basemapStyles, clusterStyle } from './styles.js';

/** Bottom to top. */
const ORDER = ['network', 'lighting', 'energy', 'environment', 'video', 'traffic'];
const CLUSTER_REFRESH_MS = 30000;
const HIT_TOLERANCE_PX = 6;

const CLUSTER_GRID = 4; // clusters drawn per tile side (the server counts 32 × 32 cells per tile)
const CLUSTER_FIELDS = ['count', ...STATES];
/** Drawn first (below): cables, supports, buildings; last (on top): cabinets and controllers. */
const DRAW_RANK = { circuit: 0, fibre_segment: 0, pole: 1, building: 1, cabinet: 3, signal_controller: 3 };

/** The server's fine cluster cells merged into a coarser grid (weighted mean position, summed counts). */
function mergeClusters(layer) {
  const step = layer.extent / CLUSTER_GRID;
  const cells = new Map();
  for (const feature of layer.features) {
    const p = feature.geometry[0][0];
    const key = `${Math.floor(p.x / step)}:${Math.floor(p.y / step)}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = { type: 1, x: 0, y: 0, properties: Object.fromEntries(CLUSTER_FIELDS.map((f) => [f, 0])) };
      cells.set(key, cell);
    }
    const n = feature.properties.count || 0;
    cell.x += p.x * n;
    cell.y += p.y * n;
    for (const f of CLUSTER_FIELDS) cell.properties[f] += feature.properties[f] || 0;
  }
  return [...cells.values()].filter((c) => c.properties.count > 0).map((c) => ({
    type: 1, properties: c.properties,
    geometry: [[{ x: c.x / c.properties.count, y: c.y / c.properties.count }]],
  }));
}

// The MVT feature id is the asset id: give it to the style functions too (they see only properties);
// low-zoom clusters are merged to a readable grid; a tile that cannot be fetched is drawn empty.
const fetchTile = L.VectorGrid.Protobuf.prototype._getVectorTilePromise;
L.VectorGrid.Protobuf.prototype._getVectorTilePromise = function getVectorTile(coords) {
  return fetchTile.call(this, coords).then((tile) => {
    for (const name in tile.layers) {
      const layer = tile.layers[name];
      const features = layer.features || [];
      if (features.length && features[0].id == null && features[0].properties.count != null) {
        layer.features = mergeClusters(layer);
        continue;
      }
      for (const feature of features) {
        if (feature.id != null) feature.properties.id = feature.id;
      }
      features.sort((a, b) => (DRAW_RANK[a.properties.kind] ?? 2) - (DRAW_RANK[b.properties.kind] ?? 2));
    }
    return tile;
  }, () => ({ layers: {} }));
};

export class CityMap {
  constructor(element) {
    const b = config.tiles.bounds || [4.89, 47.21, 5.21, 47.4];
    this.bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
    this.map = L.map(element, {
      preferCanvas: true, minZoom: 9, maxZoom: 19, maxBounds: this.bounds.pad(0.6), zoomSnap: 1,
      attributionControl: true, keyboard: true,
    });
    this.map.attributionControl.setPrefix(false);
    this.map.fitBounds(this.bounds);
    for (const [name, z] of [['cr-basemap', 210], ['cr-assets', 250], ['cr-vehicles', 450], ['cr-overlay', 460]]) {
      this.map.createPane(name).style.zIndex = z;
    }
    this.live = new Map(); // asset id -> live state heard on the stream (newer than what the tiles say)
    this.states = new Set(STATES); // live states shown
    this.specs = Object.fromEntries(config.tiles.vector_layers.map((spec) => [spec.id, spec]));
    this.layerOfKind = {};
    for (const spec of config.tiles.vector_layers) {
      for (const kind of Object.keys(spec.kinds)) this.layerOfKind[kind] = spec.id;
    }
    this.layers = {};
    this.styleFns = {};
    this.shown = new Set(ORDER.filter((name) => this.specs[name]));
    this.addBase();
    for (const name of this.shown) {
      this.layers[name] = this.makeLayer(name).addTo(this.map);
    }
    this.refreshTimer = setInterval(() => this.refreshClusters(), CLUSTER_REFRESH_MS);
    this.onBackgroundLost = null; // called once if the configured background map cannot be reached
  }

  // -- layers -------------------------------------------------------------------------------------

  addBase() {
    this.base = L.vectorGrid.protobuf(config.urls.basemap, {
      rendererFactory: L.canvas.tile, vectorTileLayerStyles: basemapStyles(), interactive: false,
      pane: 'cr-basemap', maxNativeZoom: 19, attribution: 'IGN — Admin Express 2018',
    }).addTo(this.map);
    this.background = null;
    if (config.background) {
      this.background = L.tileLayer(config.background.url, {
        attribution: config.background.attribution, maxZoom: 19, crossOrigin: false,
      });
      this.background.addTo(this.map);
      this.background.once('tileerror', () => { // unreachable: the city's own base map stays
        this.map.removeLayer(this.background);
        this.onBackgroundLost?.();
      });
    }
  }

  makeLayer(name) {
    const spec = this.specs[name];
    const style = (props, z) => this.styleOf(props, z);
    this.styleFns[name] = style;
    return L.vectorGrid.protobuf(spec.tiles[0], {
      rendererFactory: L.canvas.tile, vectorTileLayerStyles: { [name]: style }, interactive: false,
      getFeatureId: (feature) => feature.id, pane: 'cr-assets', zIndex: 10 + ORDER.indexOf(name),
      maxNativeZoom: 19, keepBuffer: 1, updateWhenZooming: false, fetchOptions: { credentials: 'same-origin' },
    });
  }

  /** The style of one tile feature: a cluster (low zooms) or an asset in its latest known live state. */
  styleOf(props, z) {
    if (props.id == null && props.count != null) return clusterStyle(props, this.states);
    const state = this.live.get(props.id) ?? props.live ?? 'unknown';
    if (!PASSIVE.has(props.kind) && !this.states.has(state)) return HIDDEN;
    return assetStyle(props.kind, state, props.status, z);
  }

  setFamilyShown(name, on) {
    const layer = this.layers[name];
    if (!layer) return;
    if (on) { this.shown.add(name); layer.addTo(this.map); } else { this.shown.delete(name); this.map.removeLayer(layer); }
  }

  setStateShown(state, on) {
    if (on) this.states.add(state); else this.states.delete(state);
    this.restyleAll();
  }

  setBaseShown(on) {
    if (on) this.base.addTo(this.map); else this.map.removeLayer(this.base);
  }

  setBackgroundShown(on) {
    if (!this.background) return;
    if (on) this.background.addTo(this.map); else this.map.removeLayer(this.background);
  }

  /** Every drawn feature styled again (a filter changed). */
  restyleAll() {
    for (const name of this.shown) {
      for (const tile of Object.values(this.layers[name]._vectorTiles || {})) {
        const z = tile.getCoord().z;
        for (const feature of Object.values(tile._layers)) {
          feature.updateStyle(tile, L.extend({}, L.Path.prototype.options, this.styleOf(feature.properties, z)));
        }
      }
    }
  }

  /** Live state changes (`Map` id -> {state, kind}), once per animation frame: only their features are redrawn. */
  applyStates(changes) {
    for (const [id, change] of changes) {
      this.live.set(id, change.state);
      const name = this.layerOfKind[change.kind];
      if (name && this.shown.has(name)) this.layers[name].setFeatureStyle(id, this.styleFns[name]);
    }
  }

  /** Fetch the tiles of `name` again without a blank: the new layer replaces the old once loaded. */
  refresh(name) {
    const old = this.layers[name];
    if (!old || !this.shown.has(name) || old._replacing) return;
    old._replacing = true;
    const fresh = this.makeLayer(name);
    const swap = () => { if (this.map.hasLayer(old)) this.map.removeLayer(old); };
    fresh.once('load', swap);
    setTimeout(swap, 15000);
    this.layers[name] = fresh;
    fresh.addTo(this.map);
  }

  /** Clusters carry counts per state that the stream cannot patch: fetch them again now and then. */
  refreshClusters() {
    const z = this.map.getZoom();
    for (const name of this.shown) {
      if (z <= this.specs[name].cluster_maxzoom && this.showsClusters(name)) this.refresh(name);
    }
  }

  showsClusters(name) {
    for (const tile of Object.values(this.layers[name]._vectorTiles || {})) {
      for (const feature of Object.values(tile._layers)) {
        if (feature.properties.id == null && feature.properties.count != null) return true;
      }
    }
    return false;
  }

  /** After missed events: forget what the stream said and read every tile again. */
  resync() {
    this.live.clear();
    for (const name of this.shown) this.refresh(name);
  }

  // -- hit test -----------------------------------------------------------------------------------

  /** The asset or cluster drawn under `latlng` (top layer first, nearest first), or null. */
  hitTest(latlng) {
    let best = null;
    for (const name of [...ORDER].reverse()) {
      if (!this.shown.has(name)) continue;
      const found = this.hitLayer(this.layers[name], latlng);
      if (found && (!best || found.rank < best.rank)) best = { ...found, layer: name };
      if (best && best.rank < HIT_TOLERANCE_PX / 2) break;
    }
    return best;
  }

  hitLayer(layer, latlng) {
    const z = layer._tileZoom;
    if (z == null) return null;
    const size = layer.getTileSize();
    const scale = this.map.getZoomScale(this.map.getZoom(), z);
    const tolerance = HIT_TOLERANCE_PX / scale;
    const p = this.map.project(latlng, z);
    let best = null;
    const tx0 = Math.floor((p.x - tolerance) / size.x); const tx1 = Math.floor((p.x + tolerance) / size.x);
    const ty0 = Math.floor((p.y - tolerance) / size.y); const ty1 = Math.floor((p.y + tolerance) / size.y);
    for (let tx = tx0; tx <= tx1; tx += 1) {
      for (let ty = ty0; ty <= ty1; ty += 1) {
        const tile = layer._vectorTiles?.[`${tx}:${ty}:${z}`];
        if (!tile) continue;
        const local = L.point(p.x - tx * size.x, p.y - ty * size.y);
        for (const feature of Object.values(tile._layers)) {
          if (feature.options.hidden) continue;
          const d = distance(feature, local);
          const reach = (feature._point ? feature._radius : 0) + tolerance;
          if (d > reach) continue;
          const passive = PASSIVE.has(feature.properties.kind) ? 4 : 0; // a device wins over its pole or cable
          const rank = Math.max(0, d - (feature._point ? feature._radius : 0)) + passive;
          if (!best || rank < best.rank) best = { rank, properties: feature.properties };
        }
      }
    }
    return best;
  }
}

function distance(feature, p) {
  if (feature._point) return p.distanceTo(feature._point);
  let best = Infinity;
  const closed = feature instanceof L.Polygon;
  for (const part of feature._parts || []) {
    if (closed && L.PolyUtil && insideRing(p, part)) return 0;
    for (let i = 1; i < part.length; i += 1) {
      best = Math.min(best, L.LineUtil.pointToSegmentDistance(p, part[i - 1], part[i]));
    }
  }
  return best;
}

function insideRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const a = ring[i]; const b = ring[j];
    if ((a.y > p.y) !== (b.y > p.y) && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}
