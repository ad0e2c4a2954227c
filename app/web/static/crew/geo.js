// The tablet's own position (the browser's geolocation, watched while the page is open), the distance to an
// order, and the position sent with each move so that the server can prove the crew was on site.
const listeners = new Set();
export const here = { fix: null, error: null };

export function watchPosition() {
  if (!('geolocation' in navigator)) {
    here.error = 'unsupported';
    return;
  }
  navigator.geolocation.watchPosition((p) => {
    here.fix = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: Math.round(p.coords.accuracy ?? 0),
      at: new Date(p.timestamp).toISOString() };
    here.error = null;
    for (const listener of listeners) listener(here.fix);
  }, (error) => { here.error = error.message; }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 60000 });
}

export const onPosition = (listener) => listeners.add(listener);

/** `{lon, lat, accuracy_m}` as the API takes it, or undefined with no fix. */
export const position = () => (here.fix ? { lon: here.fix.lon, lat: here.fix.lat, accuracy_m: here.fix.accuracy_m }
  : undefined);

/** Great-circle metres between two WGS84 points. */
export function metres(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(s));
}
