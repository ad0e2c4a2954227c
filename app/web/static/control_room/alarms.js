// The alarm list (docs/CONTROL.md): open and acknowledged alarms, most severe then newest first, kept
// current by the stream's `alarm` events; acknowledge, show on map, a cause's affected devices.
import { api, missing } from './api.js';
import { announce, config, fmtTime, h, kindLabel, t } from './i18n.js';

const SEVERITY = { critical: 0, major: 1, minor: 2, warning: 3 };
const ACTIVE = new Set(['open', 'acknowledged']);
const PAGE = 500;

const byPriority = (a, b) => (SEVERITY[a.severity] ?? 9) - (SEVERITY[b.severity] ?? 9)
  || String(b.raised_at).localeCompare(String(a.raised_at)) || b.id - a.id;
const who = (value) => (value && typeof value === 'object' ? value.full_name || value.name : value);

export class AlarmList {
  /** `showOnMap(asset)` centres the map on {id, lon, lat}; `openAsset(id)` opens the panel. */
  constructor(element, counter, { showOnMap, openAsset }) {
    this.element = element;
    this.counter = counter;
    this.showOnMap = showOnMap;
    this.openAsset = openAsset;
    this.alarms = new Map(); // id -> item (top-level only: grouped children are left out)
    this.expanded = new Set();
    this.available = true;
    element.addEventListener('keydown', (event) => this.onKey(event));
    element.addEventListener('click', (event) => this.onClick(event));
  }

  async load() {
    try {
      const page = await api.get('/alarms', { state: 'open,acknowledged', limit: PAGE });
      this.alarms.clear();
      for (const item of page.items) {
        if (!item.cause_id) this.alarms.set(item.id, item);
      }
      this.available = true;
    } catch (error) {
      this.available = false;
      this.element.replaceChildren(h('li', { class: 'cr-note' },
        missing(error) ? t('alarms_unavailable') : t('alarms_error', { message: error.message })));
      this.counter.textContent = '';
      return;
    }
    this.render();
  }

  /** An `alarm` event: {action: raised|acknowledged|cleared|grouped, alarm: item}. */
  onEvent(event) {
    const alarm = event.alarm;
    if (!alarm || !this.available) return;
    const known = this.alarms.has(alarm.id);
    if (alarm.cause_id || !ACTIVE.has(alarm.state)) {
      this.alarms.delete(alarm.id);
      if (known && alarm.state === 'cleared') announce(t('alarm_cleared', this.words(alarm)));
    } else {
      this.alarms.set(alarm.id, alarm);
      if (!known && event.action === 'raised') announce(t('alarm_new', this.words(alarm)));
    }
    if (alarm.cause_id && this.expanded.has(alarm.cause_id)) this.expanded.delete(alarm.cause_id); // re-read on open
    this.scheduleRender();
  }

  /** A burst of events (a cabinet trip raises dozens) is drawn once per animation frame. */
  scheduleRender() {
    if (this.renderPending) return;
    this.renderPending = true;
    requestAnimationFrame(() => { this.renderPending = false; this.render(); });
  }

  words(alarm) {
    return {
      severity: t(`severity_${alarm.severity}`), type: t(`alarm_${alarm.type}`),
      asset: alarm.asset ? `${kindLabel(alarm.asset.kind)} ${alarm.asset.code}` : '',
    };
  }

  render() {
    const focusedId = document.activeElement?.closest?.('.cr-alarm')?.dataset.id;
    const items = [...this.alarms.values()].sort(byPriority);
    this.counter.textContent = items.length ? `(${items.length})` : '';
    if (!items.length) {
      this.element.replaceChildren(h('li', { class: 'cr-note' }, t('alarms_empty')));
      return;
    }
    this.element.replaceChildren(...items.map((alarm) => this.item(alarm)));
    if (focusedId) this.element.querySelector(`.cr-alarm[data-id="${focusedId}"]`)?.focus();
  }

  item(alarm) {
    const words = this.words(alarm);
    const acknowledged = alarm.state === 'acknowledged';
    const labelId = `cr-alarm-${alarm.id}-label`;
    const li = h('li', {
      class: `cr-alarm sev-${alarm.severity} state-${alarm.state}`, tabindex: '0', 'aria-labelledby': labelId,
      title: alarm.message || null,
      dataset: { id: alarm.id, state: alarm.state, assetId: alarm.asset?.id ?? '' },
    },
    h('div', { class: 'cr-alarm-head', id: labelId },
      h('span', { class: 'cr-sev' }, words.severity), ' ',
      h('span', { class: 'cr-alarm-type' }, words.type), ' ',
      h('time', { datetime: alarm.raised_at, title: t('raised_at', { when: fmtTime(alarm.raised_at) }) }, fmtTime(alarm.raised_at))),
    h('div', { class: 'cr-alarm-asset' }, words.asset),
    alarm.message && config.lang === 'en' ? h('p', { class: 'cr-alarm-msg' }, alarm.message) : '', // (English only)
    acknowledged ? h('p', { class: 'cr-alarm-ack' },
      t('acknowledged_by', { who: who(alarm.acknowledged_by) || '?', when: fmtTime(alarm.acknowledged_at) })) : '',
    h('div', { class: 'cr-alarm-actions' },
      alarm.asset ? h('button', { type: 'button', dataset: { act: 'map' } }, t('show_on_map')) : '',
      acknowledged ? '' : h('button', { type: 'button', class: 'primary', dataset: { act: 'ack' } }, t('acknowledge')),
      alarm.asset ? h('button', { type: 'button', dataset: { act: 'order' } }, t('alarm_order')) : '',
      alarm.affected_count ? h('button', {
        type: 'button', class: 'secondary', dataset: { act: 'expand' }, 'aria-expanded': String(this.expanded.has(alarm.id)),
        'aria-controls': `cr-alarm-${alarm.id}-affected`,
      }, t('affected', { count: alarm.affected_count })) : ''),
    h('p', { class: 'error', role: 'alert' }));
    if (alarm.affected_count) {
      const list = h('ul', { class: 'cr-affected', id: `cr-alarm-${alarm.id}-affected`, hidden: !this.expanded.has(alarm.id) });
      li.append(list);
      if (this.expanded.has(alarm.id)) this.fillAffected(alarm.id, list);
    }
    return li;
  }

  async fillAffected(id, list) {
    const detail = await api.get(`/alarms/${id}`).catch(() => null);
    if (!detail) return;
    list.replaceChildren(...(detail.affected || []).map((a) => h('li', {},
      h('button', { type: 'button', class: 'link-like', onclick: () => this.showOnMap(a) }, `${kindLabel(a.kind)} ${a.code}`))));
  }

  onClick(event) {
    const button = event.target.closest('button[data-act]');
    const li = event.target.closest('.cr-alarm');
    if (!button || !li) return;
    this.act(button.dataset.act, Number(li.dataset.id), li);
  }

  onKey(event) {
    const li = event.target.closest?.('.cr-alarm');
    if (!li || event.target !== li) return; // keys on the item itself, buttons keep theirs
    const items = [...this.element.querySelectorAll('.cr-alarm')];
    const at = items.indexOf(li);
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      items[Math.max(0, Math.min(items.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)))]?.focus();
    } else if (event.key === 'Home') {
      items[0]?.focus();
    } else if (event.key === 'End') {
      items[items.length - 1]?.focus();
    } else if (event.key === 'Enter') {
      this.act('map', Number(li.dataset.id), li);
    } else if (event.key === 'a' || event.key === 'A') {
      this.act('ack', Number(li.dataset.id), li);
    } else {
      return;
    }
    event.preventDefault();
  }

  async act(action, id, li) {
    const alarm = this.alarms.get(id);
    if (!alarm) return;
    if (action === 'map' && alarm.asset) {
      this.showOnMap(alarm.asset);
      this.openAsset(alarm.asset.id, { focus: false });
    } else if (action === 'ack' && alarm.state === 'open') {
      try {
        const updated = await api.post(`/alarms/${id}/acknowledge`, {});
        if (updated && ACTIVE.has(updated.state)) this.alarms.set(id, updated);
        this.render();
      } catch (error) {
        li.querySelector('.error').textContent = t('acknowledge_failed', { message: error.message });
      }
    } else if (action === 'order') {
      try {
        const order = await api.post(`/alarms/${id}/work-order`, {});
        const text = t(order.opened ? 'alarm_order_opened' : 'alarm_order_exists', { id: order.id });
        li.querySelector('.error').textContent = '';
        li.querySelector('.cr-alarm-order')?.remove();
        li.querySelector('.cr-alarm-actions').after(h('p', { class: 'cr-alarm-order' }, text));
        announce(text);
      } catch (error) {
        li.querySelector('.error').textContent = t('alarm_order_failed', { message: error.message });
      }
    } else if (action === 'expand') {
      if (this.expanded.has(id)) this.expanded.delete(id); else this.expanded.add(id);
      const button = li.querySelector('[data-act="expand"]');
      const list = li.querySelector('.cr-affected');
      button.setAttribute('aria-expanded', String(this.expanded.has(id)));
      list.hidden = !this.expanded.has(id);
      if (!list.hidden) this.fillAffected(id, list);
    }
  }
}
