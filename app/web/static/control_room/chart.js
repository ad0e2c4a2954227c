// A small SVG line chart of one telemetry series (no chart library): time on x, value on y.
import { fmtNumber, fmtTime } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};

/** An <svg> drawing `points` ([{ts, value}], oldest first), labelled for screen readers by `label`. */
export function lineChart(points, { width = 340, height = 150, label = '' } = {}) {
  const pad = { left: 44, right: 10, top: 10, bottom: 22 };
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'cr-chart', role: 'img', 'aria-label': label });
  const values = points.map((p) => p.value).filter((v) => typeof v === 'number');
  if (!values.length) return root;
  const times = points.map((p) => new Date(p.ts).getTime());
  let [lo, hi] = [Math.min(...values), Math.max(...values)];
  if (lo === hi) { lo -= 1; hi += 1; }
  const [t0, t1] = [times[0], times[times.length - 1] === times[0] ? times[0] + 1 : times[times.length - 1]];
  const x = (t) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - (v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  const axis = `M${pad.left},${pad.top} V${height - pad.bottom} H${width - pad.right}`;
  root.append(svg('path', { d: axis, class: 'cr-chart-axis' }));
  for (const [v, anchor] of [[hi, 'hanging'], [lo, 'auto']]) {
    const text = svg('text', { x: pad.left - 4, y: y(v), 'text-anchor': 'end', 'dominant-baseline': anchor, class: 'cr-chart-label' });
    text.textContent = fmtNumber(Math.round(v * 100) / 100);
    root.append(text);
  }
  for (const [t, anchor] of [[t0, 'start'], [t1, 'end']]) {
    const text = svg('text', { x: x(t), y: height - 4, 'text-anchor': anchor, class: 'cr-chart-label' });
    text.textContent = fmtTime(new Date(t).toISOString());
    root.append(text);
  }
  const step = Math.max(1, Math.floor(points.length / 600)); // at most ~600 vertices
  const coords = [];
  for (let i = 0; i < points.length; i += step) {
    if (typeof points[i].value === 'number') coords.push(`${x(times[i]).toFixed(1)},${y(points[i].value).toFixed(1)}`);
  }
  root.append(svg('polyline', { points: coords.join(' '), class: 'cr-chart-line' }));
  const last = points[points.length - 1];
  if (typeof last.value === 'number') {
    root.append(svg('circle', { cx: x(times[times.length - 1]), cy: y(last.value), r: 3, class: 'cr-chart-dot' }));
  }
  return root;
}
