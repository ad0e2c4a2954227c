// Small additions to Leaflet.VectorGrid's canvas tiles (the vendored file stays unchanged):
// - every drawn feature gets its pixel bounds when added, so that restyling one feature redraws only its
//   neighbourhood and never leaves a neighbour half-erased;
// - a point may carry a text label (cluster counts, commune names).
const Tile = L.Canvas.Tile.prototype;
const drawCircle = L.Canvas.prototype._updateCircle;

Tile._addPath = function addPath(layer) {
  if (layer._point) {
    L.CircleMarker.prototype._updateBounds.call(layer);
  } else if (layer._parts) {
    layer._pxBounds = layer._getPixelBounds();
  }
  this._requestRedraw(layer);
};

Tile._updateCircle = function updateCircle(layer) {
  drawCircle.call(this, layer);
  const label = layer.options.label;
  if (!label || !this._drawing) return;
  const ctx = this._ctx;
  const p = layer._point;
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  if (layer.options.labelStyle === 'place') {
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    ctx.strokeText(label, p.x, p.y);
    ctx.fillStyle = '#4a3d63';
    ctx.fillText(label, p.x, p.y);
  } else {
    ctx.font = 'bold 10px system-ui, sans-serif';
    ctx.fillStyle = '#ffffff';
    ctx.fillText(label, p.x, p.y + 0.5);
  }
  ctx.restore();
};
