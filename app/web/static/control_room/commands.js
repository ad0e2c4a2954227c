// Group commands on a drawn area (docs/CONTROL.md): the form, then the progress device by device from
// the stream's `command` events and GET /commands/{id}; cancel; the second person's confirmation.
import { api, missing } from './api.js';
import { announce, config, fmtNumber, fmtTime, h, kindLabel, t } from './i18n.js';
import { AreaDraw } from './draw.js';

const ACTIONS = {
  luminaire: ['dim'],
  cabinet: ['switch_on', 'switch_off', 'dim'],
  signal_controller: ['flash', 'normal'],
  camera: ['reboot'],
};
const TARGET_STATES = ['verified', 'acknowledged', 'sent', 'queued', 'failed', 'timed_out', 'cancelled'];
const TARGET_COLORS = {
  queued: '#97a3af', sent: '#0b5cad', acknowledged: '#17becf', verified: '#2e9d46', failed: '#d62728',
  timed_out: '#f28e2b', cancelled: '#5b6b7c',
};
const FINISHED = new Set(['done', 'partly_failed', 'failed', 'cancelled']);
const TARGETS_SHOWN = 500;
const REFRESH_MS = 700;

/** The request body of a form choice: `dim` + level, `switch_on`... */
function request(choice, level) {
  if (choice === 'dim') return { action: 'dim', params: { level } };
  if (choice === 'switch_on') return { action: 'switch', params: { on: true } };
  if (choice === 'switch_off') return { action: 'switch', params: { on: false } };
  return { action: choice, params: {} };
}

/** A command's action in words: "dim to 50 %", "flashing mode"... */
export function actionWords(action, params = {}) {
  if (action === 'dim') return t('action_dim', { level: params.level });
  if (action === 'switch') return t(params.on ? 'action_switch_on' : 'action_switch_off');
  return t(`action_${action}`);
}

export class Commands {
  constructor(cityMap, { box, pending, drawButton }) {
    this.cityMap = cityMap;
    this.map = cityMap.map;
    this.box = box;
    this.form = box.querySelector('#cr-command-form');
    this.progress = box.querySelector('#cr-command-progress');
    this.pendingBox = pending;
    this.drawButton = drawButton;
    this.active = null; // the command followed: {id, ...GET /commands/{id}}
    this.pending = new Map();
    this.rings = L.layerGroup().addTo(this.map);
    this.ringRenderer = L.canvas({ pane: 'cr-overlay' });
    this.ringOf = new Map();
    this.refreshTimer = null;
    this.area = null;
    this.draw = new AreaDraw(this.map, {
      onStart: () => { this.drawButton.setAttribute('aria-pressed', 'true'); announce(t('draw_hint')); },
      onDone: (polygon) => this.areaDrawn(polygon),
      onCancel: () => this.discard(),
      onTooSmall: () => announce(t('draw_too_small')),
    });
    this.drawButton.addEventListener('click', () => {
      if (this.draw.drawing) { this.draw.clear(); this.discard(); } else this.draw.start();
    });
    this.kind = this.form.elements.kind;
    this.action = this.form.elements.action;
    this.level = this.form.elements.level;
    this.kind.addEventListener('change', () => this.kindChanged());
    this.action.addEventListener('change', () => this.actionChanged());
    this.level.addEventListener('input', () => { box.querySelector('#cr-command-level-out').textContent = `${this.level.value} %`; });
    this.form.addEventListener('submit', (event) => { event.preventDefault(); this.send(); });
    this.form.querySelector('[data-act="discard"]').addEventListener('click', () => { this.draw.clear(); this.discard(); });
    this.kindChanged();
  }

  get drawing() { return this.draw.drawing; }

  // -- the form -----------------------------------------------------------------------------------

  kindChanged() {
    const kind = this.kind.value;
    this.action.replaceChildren(...ACTIONS[kind].map((choice) => h('option', { value: choice },
      choice === 'dim' ? t('choice_dim') : actionWords(request(choice).action, request(choice).params))));
    this.box.querySelector('#cr-command-signal-note').hidden = kind !== 'signal_controller';
    this.actionChanged();
    this.estimate();
  }

  actionChanged() {
    this.box.querySelector('#cr-command-level-row').hidden = this.action.value !== 'dim';
  }

  areaDrawn(polygon) {
    this.area = polygon;
    this.drawButton.setAttribute('aria-pressed', 'false');
    this.box.hidden = false;
    this.form.hidden = false;
    this.form.querySelector('#cr-command-error').textContent = '';
    this.estimate();
    this.kind.focus();
  }

  discard() {
    this.area = null;
    this.drawButton.setAttribute('aria-pressed', 'false');
    this.form.hidden = true;
    if (!this.active) this.box.hidden = true;
  }

  /** How many devices of the chosen kind the map draws inside the area (none at cluster zooms). */
  estimate() {
    const out = this.box.querySelector('#cr-command-estimate');
    if (!this.area) { out.textContent = ''; return; }
    const kind = this.kind.value;
    const layer = this.cityMap.layers[this.cityMap.layerOfKind[kind]];
    const seen = new Set();
    for (const tile of Object.values(layer?._vectorTiles || {})) {
      const c = tile.getCoord();
      const size = layer.getTileSize();
      for (const feature of Object.values(tile._layers)) {
        const p = feature.properties;
        if (p.kind !== kind || !feature._point || seen.has(p.id)) continue;
        const latlng = this.map.unproject(L.point(c.x * size.x + feature._point.x, c.y * size.y + feature._point.y), c.z);
        if (this.draw.contains(latlng)) seen.add(p.id);
      }
    }
    out.textContent = seen.size ? t('estimate', { count: fmtNumber(seen.size) }) : '';
  }

  async send() {
    if (!this.area) return;
    const error = this.form.querySelector('#cr-command-error');
    error.textContent = '';
    const body = {
      ...request(this.action.value, Number(this.level.value)),
      target: { polygon: this.area, kind: this.kind.value },
      comment: this.form.elements.comment.value || undefined,
    };
    let created;
    try {
      created = await api.post('/commands', body);
    } catch (failure) {
      error.textContent = missing(failure) ? t('command_unavailable') : t('command_failed', { message: failure.message });
      return;
    }
    announce(t('command_sent', { id: created.id, count: created.targets }));
    this.draw.clear();
    this.area = null;
    this.form.hidden = true;
    await this.follow(created.id);
  }

  // -- progress -----------------------------------------------------------------------------------

  async follow(id) {
    this.active = { id };
    this.ringOf.clear();
    this.rings.clearLayers();
    this.box.hidden = false;
    this.progress.hidden = false;
    await this.reload();
    const bounds = L.latLngBounds((this.active?.targets || []).filter((x) => x.lat != null).map((x) => [x.lat, x.lon]));
    if (bounds.isValid()) this.map.fitBounds(bounds.pad(0.2), { maxZoom: 17 });
  }

  async reload() {
    if (!this.active) return;
    const id = this.active.id;
    const command = await api.get(`/commands/${id}`, { targets_limit: TARGETS_SHOWN }).catch(() => null);
    if (!command || this.active?.id !== id) return;
    this.active = command;
    this.renderProgress();
  }

  scheduleReload() {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => { this.refreshTimer = null; this.reload(); }, REFRESH_MS);
  }

  renderProgress() {
    const c = this.active;
    const counts = c.counts || {};
    const total = TARGET_STATES.reduce((n, s) => n + (counts[s] || 0), 0) || 1;
    const bar = h('div', { class: 'cr-progress-bar', role: 'img', 'aria-label': TARGET_STATES.map((s) => `${t(`target_${s}`)} ${counts[s] || 0}`).join(', ') });
    for (const s of TARGET_STATES) {
      if (!counts[s]) continue;
      const part = h('span', { class: `seg target-${s}` });
      part.style.flexGrow = String(counts[s] / total);
      part.style.background = TARGET_COLORS[s];
      bar.append(part);
    }
    const targets = Array.isArray(c.targets) ? c.targets : [];
    const more = (c.targets_total ?? targets.length) - targets.length;
    const mine = c.requested_by === config.user.name || c.requested_by?.name === config.user.name;
    this.progress.replaceChildren(
      h('h3', {}, t('command_title', { id: c.id, action: actionWords(c.action, c.params) })),
      h('p', { class: `cr-command-state cmd-${c.state}`, dataset: { state: c.state } }, t(`cmd_${c.state}`)),
      c.requested_by ? h('p', { class: 'cr-note' }, t('command_requested', {
        who: c.requested_by?.full_name || c.requested_by?.name || c.requested_by, when: fmtTime(c.requested_at) })) : '',
      c.state === 'awaiting_confirmation' ? h('p', { class: 'cr-note' }, t('command_awaiting')) : '',
      bar,
      h('ul', { class: 'cr-legend' }, TARGET_STATES.filter((s) => counts[s]).map((s) => h('li', { dataset: { state: s } },
        h('span', { class: 'swatch' }), `${t(`target_${s}`)} `, h('b', {}, fmtNumber(counts[s]))))),
      h('ol', { class: 'cr-targets' }, targets.map((x) => h('li', { dataset: { assetId: x.asset_id, state: x.state } },
        h('span', { class: 'code' }, `${kindLabel(x.kind)} ${x.code}`), ' ',
        h('span', { class: 'target-state' }, t(`target_${x.state}`)), x.detail ? h('span', { class: 'cr-note' }, ` ${x.detail}`) : ''))),
      more > 0 ? h('p', { class: 'cr-note' }, t('command_more', { count: fmtNumber(more) })) : '',
      h('div', { class: 'cr-buttons' },
        !FINISHED.has(c.state) ? h('button', { type: 'button', class: 'danger', onclick: () => this.cancel() }, t('command_cancel')) : '',
        c.state === 'awaiting_confirmation' && !mine
          ? h('button', { type: 'button', class: 'primary', onclick: () => this.confirm(c.id) }, t('command_confirm')) : '',
        h('button', { type: 'button', class: 'secondary', onclick: () => this.closeProgress() }, t('command_close'))),
    );
    for (const x of targets) this.ring(x.asset_id, x.lat, x.lon, x.state);
    for (const s of TARGET_STATES) {
      for (const el of this.progress.querySelectorAll(`.cr-legend [data-state="${s}"] .swatch`)) el.style.background = TARGET_COLORS[s];
    }
  }

  ring(assetId, lat, lon, state) {
    const known = this.ringOf.get(assetId);
    if (known) { known.setStyle({ color: TARGET_COLORS[state] || '#333' }); return; }
    if (lat == null || lon == null) return;
    const ring = L.circleMarker([lat, lon], {
      renderer: this.ringRenderer, radius: 7, weight: 2, color: TARGET_COLORS[state] || '#333', fill: false, interactive: false,
    }).addTo(this.rings);
    this.ringOf.set(assetId, ring);
  }

  closeProgress() {
    this.active = null;
    this.rings.clearLayers();
    this.ringOf.clear();
    this.progress.hidden = true;
    if (this.form.hidden) this.box.hidden = true;
  }

  async cancel() {
    if (!this.active) return;
    try {
      await api.post(`/commands/${this.active.id}/cancel`, {});
      announce(t('command_cancelled', { id: this.active.id }));
    } catch (failure) {
      announce(t('command_failed', { message: failure.message }));
    }
    this.reload();
  }

  async confirm(id) {
    try {
      await api.post(`/commands/${id}/confirm`, {});
      announce(t('command_confirmed', { id }));
      this.pending.delete(id);
      this.renderPending();
      if (this.active?.id === id) this.reload(); else this.follow(id);
    } catch (failure) {
      announce(t('command_failed', { message: failure.message }));
    }
  }

  /** A `command` event: {id, state, asset_id, target_state}. */
  onEvent(event) {
    if (this.active && event.id === this.active.id) {
      if (event.asset_id != null && event.target_state) {
        const row = this.progress.querySelector(`.cr-targets [data-asset-id="${event.asset_id}"]`);
        if (row) {
          row.dataset.state = event.target_state;
          row.querySelector('.target-state').textContent = t(`target_${event.target_state}`);
        }
        this.ring(event.asset_id, null, null, event.target_state);
      }
      this.scheduleReload();
    }
    if (event.asset_id == null) this.pendingEvent(event);
  }

  // -- the second person --------------------------------------------------------------------------

  async loadPending() {
    try {
      const page = await api.get('/commands', { state: 'awaiting_confirmation', limit: 50 });
      this.pending = new Map(page.items.map((c) => [c.id, c]));
    } catch {
      this.pending = new Map();
    }
    this.renderPending();
  }

  async pendingEvent(event) {
    if (event.state === 'awaiting_confirmation') {
      const command = await api.get(`/commands/${event.id}`, { targets_limit: 1 }).catch(() => null);
      if (command) this.pending.set(command.id, command);
    } else {
      this.pending.delete(event.id);
    }
    this.renderPending();
  }

  renderPending() {
    const mine = (c) => c.requested_by === config.user.name || c.requested_by?.name === config.user.name;
    const others = [...this.pending.values()].filter((c) => !mine(c));
    this.pendingBox.hidden = !others.length;
    this.pendingBox.querySelector('h2').textContent = t('pending_title');
    this.pendingBox.querySelector('ul').replaceChildren(...others.map((c) => h('li', { dataset: { id: c.id } },
      t('pending_item', {
        action: actionWords(c.action, c.params),
        count: fmtNumber(c.targets_total ?? Object.values(c.counts || {}).reduce((a, b) => a + b, 0)),
        who: c.requested_by?.full_name || c.requested_by?.name || c.requested_by,
      }), ' ',
      h('button', { type: 'button', class: 'primary', onclick: () => this.confirm(c.id) }, t('command_confirm')),
      h('button', { type: 'button', class: 'secondary', onclick: () => this.follow(c.id) }, t('show_on_map')))));
  }
}
