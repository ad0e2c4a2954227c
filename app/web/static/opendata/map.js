// Open-data map previews (no inline script: the pages' CSP allows the app's own files only).
// <div data-ogc-map data-features="ID of a JSON script"> draws the features inline in the page;
// <div data-ogc-map data-items-base="/ogc/collections"> with [data-preview] buttons fetches a collection.
(function () {
  const box = document.querySelector("[data-ogc-map]");
  if (!box || typeof L === "undefined") return;
  const map = L.map(box).setView([47.32, 5.04], 12);
  let layer = null;
  function draw(data, fit) {
    if (layer) layer.remove();
    layer = L.geoJSON(data, {pointToLayer: (f, ll) => L.circleMarker(ll, {radius: 3, weight: 1})}).addTo(map);
    if (fit && data.features && data.features.length) map.fitBounds(layer.getBounds());
  }
  if (box.dataset.features) {
    const data = JSON.parse(document.getElementById(box.dataset.features).textContent);
    draw(data, box.dataset.fit === "true");
  }
  const base = box.dataset.itemsBase;
  if (base) {
    const preview = async (id) => {
      const answer = await fetch(`${base}/${id}/items?limit=2000&f=json`, {headers: {Accept: "application/geo+json"}});
      if (answer.ok) draw(await answer.json(), true);
    };
    document.querySelectorAll("[data-preview]").forEach((b) => b.addEventListener("click", () => preview(b.dataset.preview)));
    if (box.dataset.first) preview(box.dataset.first);
  }
})();
