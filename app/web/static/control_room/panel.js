// The asset panel: attributes, inventory status, live state, last values, a telemetry chart, history.
import { api } from './api.js';
import { lineChart } from './chart.js';
import { announce, fmtNumber, fmtTime, h, kindLabel, stateLabel, t } from './i18n.js';

const HIDDEN_FIELDS = new Set(['id', 'kind', 'code', 'status', 'version', 'fov', 'attrs', 'created_by', 'updated_by',
  'created_at', 'updated_at']);
const PREFERRED_METRICS = ['power_w', 'dim_level', 'laeq_db', 'no2_ugm3', 'pm10_ugm3', 'temperature_c', 'energy_kwh',
  'power_kw', 'voltage_v', 'speed_kmh'];
const HISTORY_SHOWN = 15;
const fieldLabel = (name) => { const key = `field_${name}`; const label = t(key); return label === key ? name.replaceAll('_', ' ') : label; };
const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const LIVE_REFRESH_MS = 1000;

export class AssetPanel {
  constructor(element, cityMap) {
    this.element = element;
    this.body = element.querySelector('#cr-panel-body');
    this.title = element.querySelector('#cr-panel-title');
    this.cityMap = cityMap;
    this.id = null;
    this.feature = null;
    this.returnFocus = null;
    this.liveTimer = null;
    this.onLoaded = null; // called with each asset shown (GeoJSON Feature)
    element.querySelector('[data-act="close"]').addEventListener('click', () => this.close());
    element.addEventListener('keydown', (event) => { if (event.key === 'Escape') this.close(); });
  }

  /** Show asset `id` (a feature of the tiles, a vehicle, an alarm's asset...). */
  async open(id, { focus = true } = {}) {
    this.id = id;
    this.returnFocus = focus ? document.activeElement : null;
    this.element.hidden = false;
    this.element.dataset.assetId = id;
    this.title.textContent = t('panel_loading');
    this.body.replaceChildren(h('p', { class: 'cr-note' }, t('panel_loading')));
    if (focus) this.element.focus();
    let feature; let live; let history;
    try {
      [feature, live, history] = await Promise.all([
        api.get(`/assets/${id}`), api.get(`/assets/${id}/live`), api.get(`/assets/${id}/history`, { limit: 500 }),
      ]);
    } catch (error) {
      if (this.id !== id) return;
      this.body.replaceChildren(h('p', { class: 'error' }, t('panel_error', { message: error.message })));
      return;
    }
    if (this.id !== id) return; // another asset was opened meanwhile
    this.feature = feature;
    const p = feature.properties;
    this.title.textContent = `${capitalised(kindLabel(p.kind))} ${p.code}`;
    this.body.replaceChildren(
      h('section', { class: 'cr-live', 'aria-label': t('live_state') }, ...this.liveParts(live)),
      this.attributes(p),
      this.values(live),
      this.telemetry(live),
      this.orderForm(id),
      this.historyList(history),
    );
    announce(`${kindLabel(p.kind)} ${p.code}: ${stateLabel(live.state)}`);
    this.onLoaded?.(feature);
  }

  close() {
    this.id = null;
    this.element.hidden = true;
    delete this.element.dataset.assetId;
    this.returnFocus?.focus?.();
  }

  /** A state event: refresh the live part if it is about the shown asset. */
  onState(event) {
    if (event.asset_id !== this.id || this.liveTimer) return;
    this.liveTimer = setTimeout(async () => {
      this.liveTimer = null;
      const id = this.id;
      if (id == null) return;
      const live = await api.get(`/assets/${id}/live`).catch(() => null);
      const section = this.body.querySelector('.cr-live');
      if (live && section && this.id === id) section.replaceChildren(...this.liveParts(live));
    }, LIVE_REFRESH_MS / 4);
  }

  location() {
    const geometry = this.feature?.geometry;
    if (!geometry) return null;
    const layer = L.geoJSON(geometry);
    return layer.getBounds();
  }

  liveParts(live) {
    const parts = [
      h('h3', {}, t('live_state')),
      h('p', {},
        h('span', { class: `cr-badge state-${live.state}`, dataset: { state: live.state } }, stateLabel(live.state)),
        live.state_since ? ` ${t('since', { when: fmtTime(live.state_since) })}` : ''),
      h('p', { class: 'cr-note' }, live.last_seen ? t('last_seen', { when: fmtTime(live.last_seen) }) : t('never_seen')),
    ];
    const bounds = this.location();
    if (bounds) {
      parts.push(h('button', {
        type: 'button', class: 'secondary', onclick: () => this.cityMap.map.flyToBounds(bounds, { maxZoom: 18 }),
      }, t('zoom_to')));
    }
    return parts;
  }

  attributes(p) {
    const rows = [
      [t('code'), p.code],
      [t('inventory_status'), t(`status_${p.status}`)],
    ];
    if (p.commune_insee) rows.push([t('commune'), p.commune_insee]);
    for (const [name, value] of Object.entries(p)) {
      if (HIDDEN_FIELDS.has(name) || name === 'commune_insee' || value == null || value === '') continue;
      if (typeof value === 'object') continue;
      rows.push([fieldLabel(name), typeof value === 'boolean' ? t(value ? 'yes' : 'no')
        : typeof value === 'number' && !name.endsWith('_id') ? fmtNumber(value) : String(value)]);
    }
    for (const [name, value] of Object.entries(p.attrs || {})) {
      if (value != null && typeof value !== 'object') rows.push([name.replaceAll('_', ' '), String(value)]);
    }
    return h('section', {}, h('h3', {}, t('attributes')),
      h('dl', { class: 'cr-attrs' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  }

  values(live) {
    const entries = Object.entries(live.values || {});
    if (!entries.length) return '';
    return h('section', {}, h('h3', {}, t('values')),
      h('dl', { class: 'cr-attrs' }, entries.flatMap(([k, v]) => [
        h('dt', {}, k),
        h('dd', {}, typeof v === 'number' ? fmtNumber(v) : typeof v === 'boolean' ? t(v ? 'yes' : 'no') : String(v)),
      ])));
  }

  telemetry(live) {
    const numeric = Object.entries(live.values || {}).filter(([, v]) => typeof v === 'number').map(([k]) => k);
    if (!numeric.length) return '';
    const metrics = [...PREFERRED_METRICS.filter((m) => numeric.includes(m)), ...numeric.filter((m) => !PREFERRED_METRICS.includes(m))];
    const chart = h('div', { class: 'cr-chart-box' });
    const select = h('select', { id: 'cr-metric', 'aria-label': t('metric') },
      metrics.map((m) => h('option', { value: m }, m)));
    const draw = async () => {
      const id = this.id;
      const metric = select.value;
      const data = await api.get(`/assets/${id}/telemetry`, { metric }).catch(() => null);
      if (this.id !== id) return;
      const points = data?.points || [];
      if (!points.length) { chart.replaceChildren(h('p', { class: 'cr-note' }, t('no_telemetry'))); return; }
      const values = points.map((point) => point.value).filter((v) => typeof v === 'number');
      const label = t('chart_label', { metric, min: fmtNumber(Math.min(...values)), max: fmtNumber(Math.max(...values)) });
      chart.replaceChildren(lineChart(points, { label }));
    };
    select.addEventListener('change', draw);
    draw();
    return h('section', {}, h('h3', {}, h('label', { for: 'cr-metric' }, t('telemetry'))), select, chart);
  }

  /** "Open a work order" about this asset (an inspection: category from its family, clocks running). */
  orderForm(id) {
    const status = h('p', { class: 'cr-note', role: 'status' });
    const form = h('form', { class: 'cr-order-form' },
      h('label', {}, t('filter_priority'), ' ', h('select', { name: 'priority' },
        ...['urgent', 'high', 'normal', 'low'].map((v) => h('option', { value: v, selected: v === 'normal' },
          t(`order_priority_${v}`))))),
      h('label', {}, t('order_description'), h('textarea', { name: 'description', rows: 2, maxlength: 4000 })),
      h('button', { type: 'submit', class: 'primary' }, t('order_open')),
      status);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      try {
        const order = await api.post('/work-orders', {
          origin: 'inspection', asset_ids: [id], priority: data.get('priority'),
          description: data.get('description') || undefined,
        });
        status.textContent = t('order_opened', { id: order.id });
        announce(status.textContent);
        form.reset();
      } catch (error) {
        status.textContent = t('order_open_failed', { message: error.message });
      }
    });
    return h('details', { class: 'cr-order-new' }, h('summary', {}, t('order_new')), form);
  }

  historyList(history) {
    const items = (history?.items || []).slice(-HISTORY_SHOWN).reverse();
    if (!items.length) return h('section', {}, h('h3', {}, t('history')), h('p', { class: 'cr-note' }, t('no_history')));
    return h('section', {}, h('h3', {}, t('history')),
      h('ol', { class: 'cr-history' }, items.map((e) => h('li', {},
        h('time', { datetime: e.at }, fmtTime(e.at)), ' ',
        t('history_entry', { action: t(`action_${e.action}`), actor: e.actor || '?' }),
        e.changed?.length ? h('span', { class: 'cr-note' }, ` (${e.changed.join(', ')})`) : ''))));
  }
}
