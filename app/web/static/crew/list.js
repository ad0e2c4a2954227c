// "My orders": the crew's open orders as the server sorts them (most urgent first), each with the time left
// on its running SLA clock (red when at risk or late) and its distance from the tablet.
import { get } from './api.js';
import { here, metres } from './geo.js';
import { esc, fmtDistance, fmtSpan, fmtTime, h, stateLabel, t } from './i18n.js';

const AT_RISK_MIN = 30; // as the control room: under this many minutes left, the order is shown at risk
const CLOCKS = [['response', 'response_due', 'arrived_at'], ['make_safe', 'make_safe_due', 'made_safe_at'],
  ['resolution', 'resolution_due', 'done_at']];
export const PAGE_SIZE = 50;

/** The running clock due first: `{clock, due, left_min}`, or null when none runs. */
export function nextClock(order, now = Date.now()) {
  let next = null;
  for (const [clock, due, stop] of CLOCKS) {
    if (!order[due] || order[stop]) continue;
    const when = Date.parse(order[due]);
    if (!next || when < next.when) next = { clock, when };
  }
  return next && { clock: next.clock, due: new Date(next.when).toISOString(), left_min: (next.when - now) / 60000 };
}

/** How urgent an order looks now: `{level: 'late' | 'risk' | 'ok' | 'none', text}`. */
export function urgency(order, now = Date.now()) {
  const next = nextClock(order, now);
  if (!next) return { level: 'none', text: t('no_clock') };
  const clock = t(`clock_${next.clock}`);
  if (next.left_min < 0) return { level: 'late', text: t('time_late', { clock, time: fmtSpan(-next.left_min) }) };
  return { level: next.left_min <= AT_RISK_MIN ? 'risk' : 'ok', text: t('time_left', { clock, time: fmtSpan(next.left_min) }) };
}

function distanceText(order) {
  if (!here.fix || order.lon == null) return t('distance_unknown');
  return t('distance', { distance: fmtDistance(metres(here.fix, order)) });
}

/** One order's card (a big link to its page), as HTML: the list is built in one `innerHTML`, one parse. */
export function card(order, now, pendingState) {
  const u = urgency(order, now);
  const state = pendingState || order.state;
  const pending = pendingState ? ` (${esc(t('pending'))})` : '';
  return `<li class="ct-card level-${u.level}" data-id="${order.id}" data-level="${u.level}" data-state="${esc(state)}">`
    + `<a class="ct-card-link" href="#/order/${order.id}"><span class="ct-card-top">`
    + `<span class="ct-prio prio-${esc(order.priority)}">${esc(t(`priority_${order.priority}`))}</span>`
    + `<span class="ct-cat">${esc(t(`category_${order.category}`))}</span><span class="ct-id">#${order.id}</span></span>`
    + `<span class="ct-desc">${esc(order.description || '')}</span><span class="ct-clock">${esc(u.text)}</span>`
    + `<span class="ct-card-bottom"><span class="ct-state">${esc(stateLabel(state))}${pending}</span>`
    + `<span class="ct-distance">${esc(distanceText(order))}</span></span></a></li>`;
}

/** Render `orders` into `list` at once: one string, one parse, one layout (off-screen cards are not laid
 * out: `content-visibility: auto` in crew.css). */
export function renderCards(list, orders, pending = {}) {
  const now = Date.now();
  let html = '';
  for (const order of orders) html += card(order, now, pending[order.id]);
  list.innerHTML = html;
}

/** The list view: first page, then "more" pages through the API's `next` link. */
export async function showList(main, pending) {
  const list = h('ul', { class: 'ct-cards', id: 'ct-cards' });
  const info = h('p', { class: 'ct-info', id: 'ct-list-info' });
  const more = h('button', { type: 'button', class: 'ct-button ct-more', hidden: true }, t('load_more'));
  main.replaceChildren(h('h1', { class: 'ct-h1' }, t('my_orders')), info, list, more);
  const orders = [];
  const load = async (path) => {
    const page = await get(path);
    orders.push(...page.items);
    renderCards(list, orders, pending);
    info.textContent = !page.total ? t('orders_none')
      : page.__cached ? t('orders_cached', { when: fmtTime(page.__cached) }) : t('orders_count', { count: page.total });
    more.hidden = !page.next;
    more.onclick = () => load(new URL(page.next).pathname.replace(/^.*\/api\/v1/, '') + new URL(page.next).search);
    return page;
  };
  const first = await load(`/work-orders?state=open&limit=${PAGE_SIZE}`);
  return { orders, first };
}
