// The contract panel: the current month's clauses live (GET /contract/month?months=6), a gauge per clause —
// energy savings against the pre-LED baseline (65 %), equipment availability, IT availability, interventions
// on time — with its target and verdict, the month's penalties, and each clause's trend over the last months.
// Read again every few minutes; the figures and their evidence are the server's (`citypilot contract explain`).
import { api, missing } from './api.js';
import { fmtTime, h, t } from './i18n.js';

const MONTHS = 6;
const REFRESH_MS = 5 * 60_000;
const NS = 'http://www.w3.org/2000/svg';
// clause: [name, its figure in the month's data, its clause (target, met), its scale's floor (the gauge's left end)]
const CLAUSES = [
  ['energy', (d) => d.energy.savings, (d) => d.energy, 0],
  ['equipment', (d) => d.equipment.availability, (d) => d.equipment, 0.9],
  ['it', (d) => d.it.availability, (d) => d.it, 0.99],
  ['delays', (d) => d.delays.rate, (d) => d.delays, 0.5],
];
const svg = (tag, attrs = {}) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};
const percent = (v, digits) => (v == null ? '–' : `${(v * 100).toLocaleString(document.documentElement.lang || 'fr',
  { minimumFractionDigits: digits, maximumFractionDigits: digits })} %`);
const digitsOf = (floor) => (floor >= 0.99 ? 2 : floor >= 0.9 ? 1 : 0);
const verdict = (met) => (met == null ? 'none' : met ? 'met' : 'missed');

/** A point on the half circle for share `u` (0: left end, 1: right end). */
function arcPoint(u, r, cx, cy) {
  const a = Math.PI * (1 - u);
  return [cx + r * Math.cos(a), cy - r * Math.sin(a)];
}

/** A half-circle gauge of `value` on [floor, 1] with a tick at `target`. */
export function gauge(value, target, floor, state, label) {
  const [cx, cy, r] = [60, 58, 46];
  const share = (v) => Math.min(1, Math.max(0, (v - floor) / (1 - floor)));
  const root = svg('svg', { viewBox: '0 0 120 66', class: 'cr-gauge', role: 'img', 'aria-label': label });
  const [x0, y0] = arcPoint(0, r, cx, cy);
  const [x1, y1] = arcPoint(1, r, cx, cy);
  root.append(svg('path', { d: `M${x0},${y0} A${r},${r} 0 0 1 ${x1},${y1}`, class: 'cr-gauge-track' }));
  if (value != null) {
    const [xv, yv] = arcPoint(share(value), r, cx, cy);
    root.append(svg('path', { d: `M${x0},${y0} A${r},${r} 0 0 1 ${xv.toFixed(2)},${yv.toFixed(2)}`,
      class: 'cr-gauge-value', 'data-state': state }));
  }
  const [ti, tj] = arcPoint(share(target), r - 9, cx, cy);
  const [to, tk] = arcPoint(share(target), r + 9, cx, cy);
  root.append(svg('line', { x1: ti, y1: tj, x2: to, y2: tk, class: 'cr-gauge-target' }));
  return root;
}

/** Bars of the clause's figure per month (oldest first), coloured by verdict. */
export function trendBars(points, floor, label) {
  const [width, height, gap] = [120, 28, 3];
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'cr-trend', role: 'img', 'aria-label': label });
  const step = width / Math.max(points.length, 1);
  points.forEach((p, i) => {
    const v = p.value == null ? 0 : Math.min(1, Math.max(0, (p.value - floor) / (1 - floor)));
    const barHeight = Math.max(1, v * (height - 2));
    const bar = svg('rect', { x: (i * step + gap / 2).toFixed(1), y: (height - barHeight).toFixed(1),
      width: (step - gap).toFixed(1), height: barHeight.toFixed(1), class: 'cr-trend-bar', 'data-state': verdict(p.met) });
    const title = svg('title');
    title.textContent = `${p.month}: ${percent(p.value, digitsOf(floor))}`;
    bar.append(title);
    root.append(bar);
  });
  return root;
}

export class ContractPanel {
  constructor(element) {
    this.element = element;
    this.data = null;
    this.loading = false;
    this.body = h('div', { class: 'cr-contract-body', id: 'cr-contract-body' }, h('p', { class: 'cr-note' }, t('panel_loading')));
    this.stamp = h('p', { class: 'cr-note cr-contract-stamp' });
    element.replaceChildren(h('h2', { id: 'cr-contract-title' }, t('contract_title')), this.body, this.stamp);
    setInterval(() => this.load(), REFRESH_MS);
  }

  /** The month first (the gauges), then with its trend (past months are cached by the server after the first time). */
  async load() {
    if (this.loading) return;
    this.loading = true;
    try {
      if (!this.data) await this.fetch(1);
      await this.fetch(MONTHS);
    } finally {
      this.loading = false;
    }
  }

  async fetch(months) {
    let data;
    try {
      data = await api.get('/contract/month', { months });
    } catch (error) {
      if (missing(error) || error.status === 403) { this.element.hidden = true; return; } // not for this role
      this.body.replaceChildren(h('p', { class: 'error' }, t('contract_error', { message: error.message })));
      return;
    }
    if (months === 1 && this.data?.trend) return; // the full answer came first
    this.data = data;
    this.render();
    this.element.dataset.loaded = months > 1 ? 'trend' : 'month';
  }

  render() {
    const d = this.data;
    const items = CLAUSES.map(([name, figure, clause, floor]) => {
      const value = figure(d);
      const { target, met } = clause(d);
      const state = verdict(met);
      const shown = percent(value, digitsOf(floor));
      const targetShown = percent(target, digitsOf(floor));
      const label = t(`contract_${name}`);
      const points = (d.trend || []).map((p) => ({ month: p.month, ...p[name] }));
      const trendLabel = t('contract_trend', { clause: label,
        values: points.map((p) => `${p.month} ${percent(p.value, digitsOf(floor))}`).join(', ') });
      return h('li', { class: 'cr-clause', dataset: { clause: name, state } },
        h('span', { class: 'cr-clause-name' }, label),
        gauge(value, target, floor, state, `${label}: ${shown}, ${t('contract_target')} ${targetShown}`),
        h('b', { class: 'cr-clause-value' }, shown),
        h('span', { class: 'cr-clause-target' }, `${t('contract_target')} ${targetShown} · ${t(`contract_${state}`)}`),
        trendBars(points, floor, trendLabel));
    });
    const penalties = Number(d.penalties_eur);
    this.body.replaceChildren(
      h('p', { class: 'cr-contract-month' }, t('contract_month', { month: d.month })),
      h('ul', { class: 'cr-clause-list' }, ...items),
      h('p', { class: 'cr-contract-penalties', dataset: { penalties: d.penalties_eur } },
        t('contract_penalties', { amount: penalties.toLocaleString(document.documentElement.lang || 'fr',
          { style: 'currency', currency: 'EUR' }), breaches: d.delays.breaches })));
    this.stamp.textContent = t('contract_computed', { when: fmtTime(d.computed_at) });
  }
}
