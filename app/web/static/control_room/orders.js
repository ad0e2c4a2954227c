// The work orders panel: open orders, most urgent first, with their SLA clocks (red when at risk or late),
// filters, a marker per order on the map, kept current by the stream's `order` and `escalation` events;
// "Propose a crew" lists the nearest qualified crews (GET /work-orders/{id}/proposals), "Assign" assigns;
// "Proof on map" draws the positions reported on each move and the vehicle's track (GET /work-orders/{id}/proof).
import { api, missing } from './api.js';
import { announce, fmtTime, h, t } from './i18n.js';

const PAGE = 50;
const STATES = ['open', 'new', 'assigned', 'en_route', 'on_site', 'made_safe', 'waiting'];
const CATEGORIES = ['lighting', 'signals', 'video', 'fibre', 'buildings'];
const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
const CLOCKS = [['response', 'arrived_at'], ['make_safe', 'made_safe_at'], ['resolution', 'done_at']];
const AT_RISK_MIN = 30; // without an escalation yet, under this many minutes left is shown at risk
const COLOURS = { late: '#b3261e', risk: '#e8590c', ok: '#0b5cad' };
const ON_SITE = ['on_site', 'made_safe', 'waiting', 'done', 'verified'];
const PROOF = { track: '#6f42c1', proven: '#1b7f3b', unproven: '#b3261e', asset: '#111111' };

/** The running clock due first: {clock, due} or null (every clock stopped or paused). */
export function nextClock(order) {
  let best = null;
  for (const [clock, stop] of CLOCKS) {
    const due = order[`${clock}_due`];
    if (due && !order[stop] && (!best || due < best.due)) best = { clock, due };
  }
  return best;
}

/** "1 h 05" / "25 min" / "3 d 4 h" for a number of minutes. */
export function fmtSpan(minutes) {
  const m = Math.round(Math.abs(minutes));
  if (m < 60) return `${m} min`;
  if (m < 24 * 60) return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`;
  return `${Math.floor(m / 1440)} ${t('days_short')} ${Math.floor((m % 1440) / 60)} h`;
}

export class OrdersPanel {
  /** `element`: the section to fill; `city`: the map; `showOnMap({lat, lon})` centres it. */
  constructor(element, city, { showOnMap }) {
    this.element = element;
    this.city = city;
    this.showOnMap = showOnMap;
    this.orders = new Map(); // id -> item, in the API's order (most urgent first)
    this.escalated = new Map(); // order id -> level ('at_risk' | 'breached')
    this.proposed = new Map(); // order id -> the crews proposed (kept while the list is drawn again)
    this.total = 0;
    this.next = null;
    this.filters = { state: 'open', category: '', priority: '' };
    this.selected = null;
    this.renderer = L.canvas({ pane: 'cr-orders', padding: 0.2 });
    city.map.createPane('cr-orders').style.zIndex = 455;
    this.layer = L.layerGroup().addTo(city.map);
    this.markers = new Map();
    this.proofLayer = L.layerGroup().addTo(city.map);
    this.build();
    element.addEventListener('click', (event) => this.onClick(event));
    setInterval(() => this.tick(), 30_000);
  }

  build() {
    const select = (name, values, label) => h('label', { class: 'cr-order-filter' }, t(`filter_${name}`), ' ',
      h('select', { name, dataset: { filter: name } },
        ...values.map((v) => h('option', { value: v }, label(v)))));
    this.count = h('span', { class: 'cr-count', id: 'cr-orders-count' });
    this.list = h('ul', { class: 'cr-order-list', id: 'cr-order-list' });
    this.more = h('button', { type: 'button', class: 'secondary', dataset: { act: 'more' }, hidden: true }, t('load_more'));
    this.form = h('form', { class: 'cr-order-filters' },
      select('state', STATES, (v) => t(`order_state_${v}`)),
      select('category', ['', ...CATEGORIES], (v) => (v ? t(`order_category_${v}`) : t('filter_all'))),
      select('priority', ['', ...PRIORITIES], (v) => (v ? t(`order_priority_${v}`) : t('filter_all'))));
    this.form.addEventListener('change', (event) => {
      const name = event.target.dataset.filter;
      if (!name) return;
      this.filters[name] = event.target.value;
      this.load();
    });
    this.element.replaceChildren(h('h2', { id: 'cr-orders-title' }, t('orders_title'), ' ', this.count), this.form,
      this.list, this.more);
  }

  params(cursor) {
    return { state: this.filters.state, category: this.filters.category, priority: this.filters.priority, limit: PAGE, cursor };
  }

  async load() {
    try {
      const [page, escalations] = await Promise.all([
        api.get('/work-orders', this.params()),
        api.get('/escalations', { open: 'true', limit: 500 }).catch(() => ({ items: [] })),
      ]);
      this.escalated.clear();
      for (const e of escalations.items) {
        if (this.escalated.get(e.order_id) !== 'breached') this.escalated.set(e.order_id, e.level);
      }
      this.orders.clear();
      this.add(page);
    } catch (error) {
      this.list.replaceChildren(h('li', { class: 'cr-note' },
        missing(error) ? t('orders_unavailable') : t('orders_error', { message: error.message })));
      return;
    }
    this.render();
  }

  add(page) {
    for (const item of page.items) this.orders.set(item.id, item);
    this.total = page.total;
    this.next = page.next ? new URL(page.next, window.location.origin).searchParams.get('cursor') : null;
  }

  async loadMore() {
    if (!this.next) return;
    const page = await api.get('/work-orders', this.params(this.next)).catch(() => null);
    if (!page) return;
    this.add(page);
    this.render();
  }

  /** A change heard on the stream: read the list again, once per burst. */
  refresh() {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.load(), 400);
  }

  onOrder() {
    this.refresh();
  }

  onEscalation(event) {
    const level = event.level === 'breached' ? 'breached' : 'at_risk';
    this.escalated.set(event.order_id, level);
    announce(t(level === 'breached' ? 'order_breached' : 'order_at_risk',
      { id: event.order_id, clock: t(`clock_${event.clock}`) }));
    this.refresh();
  }

  /** How urgent an order looks now: late, risk or ok, and its running clock's text. */
  status(order, now = Date.now()) {
    const next = nextClock(order);
    if (!next) return { level: 'ok', text: order.state === 'waiting' ? t('clock_paused') : t('no_due') };
    const left = (new Date(next.due).getTime() - now) / 60000;
    const clock = t(`clock_${next.clock}`);
    if (left < 0 || this.escalated.get(order.id) === 'breached') {
      return { level: 'late', text: t('late_by', { clock, time: fmtSpan(left) }), due: next.due };
    }
    const risk = this.escalated.has(order.id) || left <= AT_RISK_MIN;
    return { level: risk ? 'risk' : 'ok', text: t('time_left', { clock, time: fmtSpan(left) }), due: next.due };
  }

  render() {
    const items = [...this.orders.values()];
    this.count.textContent = `(${this.total})`;
    this.more.hidden = !this.next;
    if (!items.length) {
      this.list.replaceChildren(h('li', { class: 'cr-note' }, t('orders_empty')));
    } else {
      this.list.replaceChildren(...items.map((order) => this.item(order)));
    }
    this.drawMarkers(items);
  }

  item(order) {
    const status = this.status(order);
    const li = h('li', {
      class: `cr-order level-${status.level} prio-${order.priority}${this.selected === order.id ? ' selected' : ''}`,
      tabindex: '0', dataset: { id: order.id, level: status.level, state: order.state },
    },
    h('div', { class: 'cr-order-head' },
      h('span', { class: 'cr-order-prio' }, t(`order_priority_${order.priority}`)), ' ',
      h('span', { class: 'cr-order-cat' }, t(`order_category_${order.category}`)), ' ',
      h('span', { class: 'cr-order-id' }, `#${order.id}`)),
    h('div', { class: 'cr-order-desc' }, order.description || ''),
    h('div', { class: 'cr-order-meta' },
      h('span', { class: 'cr-order-state' }, t(`order_state_${order.state}`)), ' · ',
      h('span', { class: 'cr-order-crew' }, order.crew ? order.crew.name : t('unassigned'))),
    h('div', { class: 'cr-order-clock', title: status.due ? fmtTime(status.due) : null }, status.text),
    h('div', { class: 'cr-alarm-actions' },
      order.lat != null ? h('button', { type: 'button', dataset: { act: 'map' } }, t('show_on_map')) : '',
      order.state === 'new' ? h('button', { type: 'button', class: 'primary', dataset: { act: 'propose' } }, t('propose_crew')) : '',
      ON_SITE.includes(order.state) ? h('button', { type: 'button', dataset: { act: 'proof' } }, t('show_proof')) : ''),
    h('p', { class: 'cr-proof', hidden: true }),
    this.proposalList(order));
    li.append(h('p', { class: 'error', role: 'alert' }));
    return li;
  }

  /** The crews proposed for an order, as the supervisor asked for them (none asked: hidden). */
  proposalList(order) {
    const found = order.state === 'new' ? this.proposed.get(order.id) : undefined;
    const list = h('ul', { class: 'cr-proposals', hidden: !found });
    if (!found) return list;
    if (!found.length) { list.append(h('li', { class: 'cr-note' }, t('no_crew'))); return list; }
    list.append(...found.map((p) => h('li', { class: 'cr-proposal', dataset: { crew: p.crew_id } },
      h('span', {}, t('proposal_line', {
        crew: p.name, km: (p.distance_m / 1000).toFixed(1), min: Math.round(p.travel_min), queue: p.queue.length,
      })),
      p.response_breach || p.resolution_breach ? h('strong', { class: 'cr-breach' }, ` ${t('would_breach')}`) : '',
      ' ',
      h('button', { type: 'button', class: 'primary', dataset: { act: 'assign', crew: p.crew_id, name: p.name } },
        t('assign_to', { crew: p.name })))));
    return list;
  }

  drawMarkers(items) {
    this.layer.clearLayers();
    this.markers.clear();
    for (const order of items) {
      if (order.lat == null || order.lon == null) continue;
      const level = this.status(order).level;
      const marker = L.circleMarker([order.lat, order.lon], {
        renderer: this.renderer, radius: 7, weight: 2, color: '#ffffff', fillColor: COLOURS[level], fillOpacity: 1,
      });
      marker.on('click', (event) => { L.DomEvent.stopPropagation(event); this.select(order.id); });
      marker.addTo(this.layer);
      this.markers.set(order.id, marker);
    }
  }

  tick() {
    for (const li of this.list.querySelectorAll('.cr-order')) {
      const order = this.orders.get(Number(li.dataset.id));
      if (!order) continue;
      const status = this.status(order);
      li.querySelector('.cr-order-clock').textContent = status.text;
      li.classList.remove('level-ok', 'level-risk', 'level-late');
      li.classList.add(`level-${status.level}`);
      li.dataset.level = status.level;
      this.markers.get(order.id)?.setStyle({ fillColor: COLOURS[status.level] });
    }
  }

  select(id) {
    this.selected = id;
    for (const li of this.list.querySelectorAll('.cr-order')) li.classList.toggle('selected', Number(li.dataset.id) === id);
    const li = this.list.querySelector(`.cr-order[data-id="${id}"]`);
    li?.scrollIntoView({ block: 'nearest' });
    li?.focus();
  }

  onClick(event) {
    const button = event.target.closest('button[data-act]');
    if (!button) return;
    if (button.dataset.act === 'more') { this.loadMore(); return; }
    const li = button.closest('.cr-order');
    const order = li && this.orders.get(Number(li.dataset.id));
    if (!order) return;
    if (button.dataset.act === 'map') {
      this.select(order.id);
      this.showOnMap(order);
    } else if (button.dataset.act === 'proof') {
      this.select(order.id);
      this.showProof(order, li);
    } else if (button.dataset.act === 'propose') {
      this.propose(order, li);
    } else if (button.dataset.act === 'assign') {
      this.assign(order, Number(button.dataset.crew), button.dataset.name, li);
    }
  }

  /** Draw the order's proof of presence: its assets, each reported position (green when it proves presence),
   * and the vehicle's track around each visit; say in the list item what it proves. */
  async showProof(order, li) {
    const line = li.querySelector('.cr-proof');
    const error = li.querySelector('.error');
    error.textContent = '';
    try {
      const proof = await api.get(`/work-orders/${order.id}/proof`);
      this.proofLayer.clearLayers();
      const drawn = L.geoJSON(proof, {
        renderer: this.renderer,
        style: () => ({ color: PROOF.track, weight: 4, opacity: 0.8 }),
        pointToLayer: (feature, latlng) => {
          const p = feature.properties;
          const colour = p.role === 'asset' ? PROOF.asset : (p.proven === false ? PROOF.unproven : PROOF.proven);
          return L.circleMarker(latlng, { renderer: this.renderer, radius: p.role === 'asset' ? 6 : 5, weight: 2,
            color: '#ffffff', fillColor: colour, fillOpacity: 1 });
        },
        onEachFeature: (feature, layer) => layer.bindTooltip(this.proofLabel(feature.properties)),
      }).addTo(this.proofLayer);
      if (drawn.getLayers().length) this.city.map.fitBounds(drawn.getBounds(), { maxZoom: 18, padding: [30, 30] });
      const arrival = proof.features.map((f) => f.properties).filter((p) => p.role === 'move' && p.state === 'on_site').pop();
      const tracks = proof.features.filter((f) => f.properties.role === 'track').length;
      line.hidden = false;
      line.textContent = [
        !arrival ? t('proof_no_arrival')
          : arrival.proven ? t('proof_proven', { m: Math.round(arrival.distance_m ?? 0) }) : t('proof_unproven'),
        t('proof_tracks', { n: tracks })].join(' · ');
      line.classList.toggle('cr-breach', Boolean(arrival && !arrival.proven));
    } catch (error_) {
      error.textContent = t('proof_failed', { message: error_.message });
    }
  }

  proofLabel(p) {
    if (p.role === 'asset') return `${p.kind} ${p.code}`;
    if (p.role === 'track') return t('proof_track', { from: fmtTime(p.arrived_at), to: p.departed_at ? fmtTime(p.departed_at) : '…' });
    const where = p.distance_m != null ? ` · ${Math.round(p.distance_m)} m` : '';
    return `${t(`order_state_${p.state}`)} · ${fmtTime(p.at)}${where}${p.by_vehicle ? ` · ${t('proof_by_vehicle')}` : ''}`;
  }

  async propose(order, li) {
    const error = li.querySelector('.error');
    error.textContent = '';
    try {
      const found = await api.get(`/work-orders/${order.id}/proposals`, { limit: 3 });
      this.proposed.set(order.id, found.items);
      // the list may have been drawn again meanwhile (a stream event): fill the item shown now
      const shown = this.list.querySelector(`.cr-order[data-id="${order.id}"] .cr-proposals`);
      shown?.replaceWith(this.proposalList(this.orders.get(order.id) || order));
    } catch (error_) {
      error.textContent = t('propose_failed', { message: error_.message });
    }
  }

  async assign(order, crewId, name, li) {
    try {
      await api.post(`/work-orders/${order.id}/transition`, { to: 'assigned', version: order.version, crew_id: crewId });
      this.proposed.delete(order.id);
      announce(t('assigned_ok', { id: order.id, crew: name }));
      this.load();
    } catch (error) {
      li.querySelector('.error').textContent = t('assign_failed', { message: error.message });
    }
  }
}
