// How each asset is drawn on the canvas tiles: the fill says the live state, the size and outline the kind.
import { config } from './i18n.js';

export const STATE_COLORS = { ok: '#2e9d46', fault: '#d62728', unreachable: '#f28e2b', unknown: '#97a3af' };
export const STATES = ['ok', 'fault', 'unreachable', 'unknown'];
// Each kind's drawing is a fact of its spec (KindSpec.style), served in the page as in GET /api/v1/kinds.
const KINDS = config.styles || {};
/** Kinds with no device (supports, cables): drawn whatever the live-state filter says. */
export const PASSIVE = new Set(Object.keys(KINDS).filter((kind) => KINDS[kind].passive));
const SEVERITY_OF_STATE = ['fault', 'unreachable', 'ok', 'unknown'];

/** Drawn nothing (filtered out), but kept so that a later change can show it again. */
export const HIDDEN = Object.freeze({ stroke: false, fill: false, radius: 1, hidden: true });

const zoomStep = (z) => (z <= 12 ? 0 : z <= 14 ? 1 : z <= 15 ? 2 : z <= 17 ? 3 : 4);

/** The canvas style of one asset of `kind` whose live state is `state` (inventory `status` dims it). */
export function assetStyle(kind, state, status, z) {
  const spec = KINDS[kind] || { radius: [3, 3, 4, 5, 6], outline: '#333', weight: 1 };
  const color = STATE_COLORS[state] || STATE_COLORS.unknown;
  const dim = status && status !== 'in_service';
  if (spec.line) {
    return { stroke: true, color: spec.line, weight: spec.weight + (z >= 16 ? 1 : 0), opacity: spec.opacity, fill: false };
  }
  if (spec.fixed) {
    return { stroke: false, fill: true, fillColor: spec.fixed, fillOpacity: 0.8, radius: spec.radius[zoomStep(z)] };
  }
  if (spec.area) { // a building: a polygon (or a point when it has no outline)
    return {
      stroke: true, color: spec.outline, weight: spec.weight, opacity: 0.9, fill: true, fillColor: color,
      fillOpacity: dim ? 0.25 : 0.55, radius: spec.radius[zoomStep(z)],
    };
  }
  const outline = spec.outline && z >= 13;
  return {
    stroke: Boolean(outline) || dim, color: outline ? spec.outline : color, weight: outline ? spec.weight : 1,
    opacity: 1, fill: true, fillColor: color, fillOpacity: dim ? 0.3 : 0.95, radius: spec.radius[zoomStep(z)],
    dashArray: dim ? '2 2' : null,
  };
}

/** The visible count of a cluster (the states shown) and the colour of its worst visible state. */
export function clusterStyle(props, states) {
  let count = 0;
  let worst = null;
  for (const state of SEVERITY_OF_STATE) {
    if (!states.has(state)) continue;
    const n = props[state] ?? 0;
    count += n;
    if (n > 0 && worst === null) worst = state;
  }
  if (STATES.every((state) => states.has(state))) count = props.count ?? count;
  if (!count) return HIDDEN;
  const radius = Math.min(22, 7 + 2.2 * Math.log2(count));
  return {
    stroke: true, color: '#ffffff', weight: 1.5, opacity: 0.95, fill: true,
    fillColor: STATE_COLORS[worst || 'unknown'], fillOpacity: 0.85, radius,
    label: count >= 10000 ? `${Math.round(count / 1000)}k` : String(count), labelStyle: 'cluster',
  };
}

/** The base map: commune boundaries, streets by class, commune names. */
export function basemapStyles() {
  const streets = { primary: [2.2, '#aeb6bf'], secondary: [1.4, '#bfc6cd'], rural: [1.1, '#c9cfc0'], residential: [0.8, '#cdd3d9'] };
  return {
    communes: () => ({ stroke: true, color: '#6d5a8c', weight: 1.2, opacity: 0.7, dashArray: '6 4', fill: false }),
    streets: (props, z) => {
      const [weight, color] = streets[props.street_class] || [0.8, '#cdd3d9'];
      return { stroke: true, color, weight: weight + Math.max(0, z - 14) * 0.6, opacity: 1, fill: false };
    },
    labels: (props) => ({
      stroke: false, fill: false, radius: 1, label: props.name, labelStyle: 'place',
    }),
  };
}
