// What the top of every view says plainly: online or not, how many actions wait, and each action the
// server refused with what happened (the order's state and crew now), until the crew dismisses it.
import { config, h, stateLabel, t } from './i18n.js';
import { dismiss, listen, refused, status, waiting } from './queue.js';

const ACTIONS = {
  move: (a) => t('action_move', { state: stateLabel(a.summary?.to) }),
  tick: (a) => t('action_tick', { label: a.summary?.label || '' }),
  labour: () => t('action_labour'),
  part: (a) => t('action_part', { reference: a.summary?.reference || '' }),
  note: () => t('action_note'),
  photo: () => t('action_photo'),
  signature: () => t('action_signature'),
};

/** What an action is, in the crew's words ("the move to “on site”"). */
export const describe = (action) => (ACTIONS[action.type] || (() => action.type))(action);

function refusalText(entry) {
  const body = entry.body || {};
  const parts = [t('refused_reason', { id: entry.action.order_id, action: describe(entry.action),
    message: body.message || `HTTP ${entry.status}` })];
  if (body.state) {
    const crew = body.crew_id == null ? t('refused_no_crew')
      : (body.crew_id === entry.action.summary?.crew_id ? String(body.crew_id) : t('refused_other_crew'));
    parts.push(t('refused_state', { state: stateLabel(body.state), crew }));
  }
  return parts.join(' ');
}

async function render() {
  const net = document.getElementById('ct-net');
  const online = status.online && navigator.onLine;
  net.dataset.online = String(online);
  net.textContent = online ? t('online') : t('offline');
  const count = (await waiting()).length;
  const queue = document.getElementById('ct-queue');
  queue.dataset.count = String(count);
  queue.textContent = count === 1 ? t('waiting_one') : count ? t('waiting_n', { count }) : t('waiting_none');
  const box = document.getElementById('ct-refused');
  const items = await refused();
  box.replaceChildren(
    ...(status.signedOut ? [h('p', { class: 'ct-signed-out' }, t('signed_out'), ' ',
      h('a', { class: 'ct-button', href: `${config.urls.login}?next=${encodeURIComponent(config.urls.page)}` },
        t('sign_in_again')))] : []),
    ...items.map((entry) => h('div', { class: 'ct-refusal', dataset: { clientId: entry.client_id, order: entry.action.order_id } },
      h('strong', {}, t('refused_title')), ' ', h('span', { class: 'ct-refusal-text' }, refusalText(entry)), ' ',
      h('button', { type: 'button', class: 'ct-button', onclick: () => dismiss(entry.client_id) }, t('dismiss')))),
  );
  box.hidden = !items.length && !status.signedOut;
}

let pending = null;
let drawing = false;
let stale = false;
/** Draw once at a time, and again if something changed meanwhile (never an older count drawn last). */
async function redraw() {
  if (drawing) { stale = true; return; }
  drawing = true;
  try {
    do { stale = false; await render(); } while (stale);
  } finally { drawing = false; }
}

/** Draw the status now, and again whenever the queue or the network changes (coalesced). */
export function watchStatus() {
  const later = () => { if (!pending) pending = requestAnimationFrame(() => { pending = null; redraw(); }); };
  listen(later);
  window.addEventListener('online', later);
  window.addEventListener('offline', later);
  redraw();
}
