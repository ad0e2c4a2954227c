// The desktop's map: the server's vector tiles (through the citypilot: proxy) drawn with the control room's
// styles; clicks and the extent go to Python over QWebChannel (window.citypilot), Python calls window.cityMap.
import { assetStyle, basemapStyles, clusterStyle, STATES } from './styles.js';

const ORDER = ['network', 'lighting', 'energy', 'environment', 'video', 'traffic'];

// The MVT feature id is the asset id: the style functions see it as properties.id.
const fetchTile = L.VectorGrid.Protobuf.prototype._getVectorTilePromise;
L.VectorGrid.Protobuf.prototype._getVectorTilePromise = function getVectorTile(coords) {
  return fetchTile.call(this, coords).then((tile) => {
    for (const name in tile.layers) {
      for (const feature of tile.layers[name].features || []) {
        if (feature.id != null) feature.properties.id = feature.id;
      }
    }
    return tile;
  }, () => ({ layers: {} }));
};

class DesktopMap {
  constructor(element, setup, bridge) {
    const b = setup.bounds;
    this.bridge = bridge;
    this.map = L.map(element, { preferCanvas: true, minZoom: 9, maxZoom: 19, zoomSnap: 1 });
    this.map.fitBounds(L.latLngBounds([b[1], b[0]], [b[3], b[2]]));
    this.layers = {};
    L.vectorGrid.protobuf(setup.basemap, {
      rendererFactory: L.canvas.tile, vectorTileLayerStyles: basemapStyles(), interactive: false, maxNativeZoom: 19,
    }).addTo(this.map);
    const specs = [...setup.layers].sort((a, c) => ORDER.indexOf(a.id) - ORDER.indexOf(c.id));
    for (const spec of specs) {
      const style = (props, z) => (props.id == null && props.count != null
        ? clusterStyle(props, new Set(STATES))
        : assetStyle(props.kind, props.live ?? 'unknown', props.status, z));
      const layer = L.vectorGrid.protobuf(spec.tiles[0], {
        rendererFactory: L.canvas.tile, vectorTileLayerStyles: { [spec.id]: style }, interactive: true,
        getFeatureId: (feature) => feature.id, maxNativeZoom: 19,
      });
      layer.on('click', (event) => {
        const id = event.layer?.properties?.id;
        if (id != null) this.bridge.clicked(id);
      });
      this.layers[spec.id] = layer.addTo(this.map);
    }
    this.selection = null;
    this.map.on('moveend', () => this.reportExtent());
    this.reportExtent();
  }

  reportExtent() {
    const b = this.map.getBounds();
    this.bridge.moved(b.getWest(), b.getSouth(), b.getEast(), b.getNorth());
  }

  setShown(name, on) {
    const layer = this.layers[name];
    if (!layer) return;
    if (on) layer.addTo(this.map); else this.map.removeLayer(layer);
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
  bridge.setup((text) => {
    window.cityMap = new DesktopMap(document.getElementById('map'), JSON.parse(text), bridge);
    bridge.loaded();
  });
});
