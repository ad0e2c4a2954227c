// One order on the tablet: where it is (one tap to navigate), its clocks, its asset, the checklist, labour,
// parts, notes, photos and the signature, and the moves the crew may make next. Every write is queued
// (queue.js) and shown at once, marked "waiting to be sent" until the server has it.
import { get } from './api.js';
import { assetBlock } from './asset.js';
import { position } from './geo.js';
import { config, fmtNumber, fmtTime, h, stateLabel, t } from './i18n.js';
import { urgency } from './list.js';
import { shrink } from './photo.js';
import { enqueue, listen, waiting } from './queue.js';
import { signaturePad } from './signature.js';

const local = (date) => new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
const objectUrls = [];

function geoLink(order) {
  if (order.lon == null) return null;
  const label = encodeURIComponent(`${t('order_title', { id: order.id })}`);
  return h('a', { class: 'ct-button ct-primary ct-navigate', href: `geo:${order.lat},${order.lon}?q=${order.lat},${order.lon}(${label})` },
    t('navigate'));
}

/** The state the order will be in once what waits is sent, and the moves allowed from there. */
function effective(work, pending) {
  const moves = pending.filter((e) => e.type === 'move');
  const state = moves.length ? moves[moves.length - 1].json.to : work.state;
  const allowed = moves.length ? (config.machine[state] || []) : work.allowed;
  return { state, allowed: config.moves ? allowed.filter((m) => config.moves.includes(m)) : allowed };
}

function transitions(order, work, pending, act) {
  const { state, allowed } = effective(work, pending);
  const reason = h('select', { id: 'ct-waiting-reason', 'aria-label': t('waiting_reason') },
    Object.entries(config.waiting_reasons).map(([key, label]) => h('option', { value: key }, label)));
  const buttons = allowed.map((to) => h('button', {
    type: 'button', class: `ct-button ct-move move-${to}`, dataset: { to },
    onclick: () => act.move(to, to === 'waiting' ? reason.value : undefined),
  }, t(`move_${to}`)));
  const required = work.checklist.filter((c) => c.required && !tickedNow(c, pending));
  return h('section', { class: 'ct-box ct-moves', id: 'ct-moves' },
    h('h2', {}, t('transitions'), ' — ', h('span', { class: 'ct-state', id: 'ct-state', dataset: { state } }, stateLabel(state),
      state !== work.state ? ` (${t('pending')})` : '')),
    allowed.includes('waiting') ? h('label', { class: 'ct-field' }, t('waiting_reason'), reason) : null,
    h('div', { class: 'ct-row' }, buttons),
    allowed.includes('done') && required.length ? h('p', { class: 'ct-hint' }, t('done_needs')) : null);
}

function tickedNow(item, pending) {
  const ticks = pending.filter((e) => e.type === 'tick' && e.summary.key === item.key);
  return ticks.length ? ticks[ticks.length - 1].json.done : item.done;
}

function checklist(work, pending, act) {
  return h('section', { class: 'ct-box', id: 'ct-checklist' }, h('h2', {}, t('checklist')),
    h('ul', { class: 'ct-checks' }, work.checklist.map((item) => {
      const done = tickedNow(item, pending);
      const waits = done !== item.done;
      return h('li', { class: 'ct-check', dataset: { key: item.key, done: String(done) } },
        h('label', {},
          h('input', { type: 'checkbox', checked: done, onchange: (e) => act.tick(item, e.target.checked) }),
          h('span', {}, item.label, item.required ? h('span', { class: 'ct-required' }, ` (${t('required')})`) : null,
            waits ? h('span', { class: 'ct-pending' }, ` — ${t('pending')}`) : null,
            item.done_at && !waits ? h('span', { class: 'ct-muted' }, ` — ${item.done_by || ''} ${fmtTime(item.done_at)}`) : null)));
    })));
}

function labour(order, work, pending, act) {
  const arrived = order.arrived_at ? Date.parse(order.arrived_at) : NaN;
  const from = Number.isNaN(arrived) || arrived > Date.now() - 5 * 60000 ? Date.now() - 30 * 60000 : arrived;
  const start = h('input', { type: 'datetime-local', name: 'started_at', value: local(new Date(from)) });
  const end = h('input', { type: 'datetime-local', name: 'ended_at', value: local(new Date()) });
  const rows = [...work.labour.map((l) => h('li', {}, `${l.user || ''} ${fmtTime(l.started_at)} → ${fmtTime(l.ended_at)} `,
    t('labour_hours', { hours: fmtNumber(l.hours) }))),
  ...pending.filter((e) => e.type === 'labour').map((e) => h('li', { class: 'ct-pending' },
    `${fmtTime(e.json.started_at)} → ${fmtTime(e.json.ended_at)} — ${t('pending')}`))];
  return h('section', { class: 'ct-box', id: 'ct-labour' }, h('h2', {}, t('labour')), h('ul', { class: 'ct-lines' }, rows),
    h('div', { class: 'ct-row' }, h('label', { class: 'ct-field' }, t('labour_start'), start),
      h('label', { class: 'ct-field' }, t('labour_end'), end)),
    h('button', { type: 'button', class: 'ct-button', dataset: { act: 'labour' },
      onclick: () => act.labour(new Date(start.value).toISOString(), new Date(end.value).toISOString()) }, t('labour_add')));
}

function parts(work, pending, act) {
  const reference = h('input', { name: 'reference', required: true, autocomplete: 'off' });
  const label = h('input', { name: 'label', autocomplete: 'off' });
  const quantity = h('input', { name: 'quantity', type: 'number', min: '0', step: 'any', value: '1', inputmode: 'decimal' });
  const unit = h('input', { name: 'unit', value: config.lang === 'fr' ? 'u' : 'pc', size: 4 });
  const rows = [...work.parts.map((p) => h('li', {}, `${p.quantity} ${p.unit} × ${p.reference}${p.label ? ` — ${p.label}` : ''}`)),
    ...pending.filter((e) => e.type === 'part').map((e) => h('li', { class: 'ct-pending' },
      `${e.json.quantity} ${e.json.unit || ''} × ${e.json.reference} — ${t('pending')}`))];
  return h('section', { class: 'ct-box', id: 'ct-parts' }, h('h2', {}, t('parts')), h('ul', { class: 'ct-lines' }, rows),
    h('form', { class: 'ct-form', onsubmit: (e) => {
      e.preventDefault();
      if (!reference.value.trim()) return;
      act.part({ reference: reference.value.trim(), label: label.value.trim() || undefined,
        quantity: Number(quantity.value.replace(',', '.')), unit: unit.value.trim() || undefined });
      reference.value = '';
      label.value = '';
      quantity.value = '1';
    } },
    h('label', { class: 'ct-field' }, t('part_reference'), reference), h('label', { class: 'ct-field' }, t('part_label'), label),
    h('div', { class: 'ct-row' }, h('label', { class: 'ct-field' }, t('part_quantity'), quantity),
      h('label', { class: 'ct-field' }, t('part_unit'), unit)),
    h('button', { type: 'submit', class: 'ct-button', dataset: { act: 'part' } }, t('part_add'))));
}

/** What the crew is typing in a note, per order: kept when the page is drawn again (a sent action, the stream). */
const noteDrafts = new Map();

function notes(work, pending, act) {
  const text = h('textarea', { name: 'text', rows: 3, placeholder: t('note_placeholder') });
  text.value = noteDrafts.get(act.orderId) || '';
  text.addEventListener('input', () => noteDrafts.set(act.orderId, text.value));
  const rows = [...work.notes.map((n) => h('li', {}, h('span', { class: 'ct-muted' }, `${n.author || ''} ${fmtTime(n.at)} — `), n.text)),
    ...pending.filter((e) => e.type === 'note').map((e) => h('li', { class: 'ct-pending' }, `${e.json.text} — ${t('pending')}`))];
  return h('section', { class: 'ct-box', id: 'ct-notes' }, h('h2', {}, t('notes')), h('ul', { class: 'ct-lines' }, rows),
    h('form', { class: 'ct-form', onsubmit: (e) => {
      e.preventDefault();
      if (text.value.trim()) act.note(text.value.trim());
      text.value = '';
      noteDrafts.delete(act.orderId);
    } }, h('label', { class: 'ct-field' }, t('notes'), text),
    h('button', { type: 'submit', class: 'ct-button', dataset: { act: 'note' } }, t('note_add'))));
}

function thumb(src, kind, waits) {
  return h('li', { class: `ct-thumb${waits ? ' ct-pending' : ''}`, dataset: { kind } },
    h('img', { src, alt: t(kind === 'signature' ? 'signature' : 'photos'), loading: 'lazy' }),
    waits ? h('span', {}, t('photo_waiting')) : null);
}

function photos(work, pending, act) {
  for (const url of objectUrls.splice(0)) URL.revokeObjectURL(url);
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'ct-photo-input',
    class: 'ct-file', onchange: async (e) => {
      for (const file of [...e.target.files]) await act.photo(file);
      e.target.value = '';
    } });
  const queued = pending.filter((e) => e.type === 'photo' || e.type === 'signature').map((e) => {
    const url = URL.createObjectURL(e.form.file);
    objectUrls.push(url);
    return thumb(url, e.form.kind, true);
  });
  return h('section', { class: 'ct-box', id: 'ct-photos' }, h('h2', {}, t('photos')),
    h('ul', { class: 'ct-thumbs' }, work.attachments.map((a) => thumb(a.url, a.kind, false)), queued),
    h('label', { class: 'ct-button ct-primary ct-camera', for: 'ct-photo-input' }, t('take_photo')), input);
}

function header(order, detail) {
  const u = urgency(order);
  return h('section', { class: `ct-box ct-head level-${u.level}`, dataset: { level: u.level } },
    h('p', { class: 'ct-row' }, h('span', { class: `ct-prio prio-${order.priority}` }, t(`priority_${order.priority}`)),
      h('span', {}, t(`category_${order.category}`))),
    h('h1', { class: 'ct-h1' }, t('order_title', { id: order.id })),
    order.description ? h('p', { class: 'ct-desc' }, order.description) : null,
    h('p', { class: 'ct-clock' }, u.text),
    geoLink(order),
    h('details', { class: 'ct-events' }, h('summary', {}, t('history')),
      h('ul', { class: 'ct-lines' }, (detail.events || []).map((e) => h('li', {},
        `${fmtTime(e.at)} — ${stateLabel(e.to)}${e.actor ? ` (${e.actor})` : ''}${e.reason ? ` — ${e.reason}` : ''}`)))));
}

function presence(work) {
  const p = work.presence;
  if (!p) return null;
  if (p.proven) return h('p', { class: 'ct-ok', id: 'ct-presence' }, t('presence_proven', { distance: `${Math.round(p.nearest_m ?? 0)} m` }));
  return p.flagged ? h('p', { class: 'ct-hint', id: 'ct-presence' }, t('presence_flagged')) : null;
}

/** What the crew is typing in the forms of `root`, and a function putting it back after a redraw. */
function keepTyped(root) {
  const values = new Map();
  for (const el of root.querySelectorAll('section[id] input[name], section[id] textarea[name]')) {
    values.set(`${el.closest('section').id}/${el.name}`, el.value);
  }
  return () => {
    for (const el of root.querySelectorAll('section[id] input[name], section[id] textarea[name]')) {
      const value = values.get(`${el.closest('section').id}/${el.name}`);
      if (value !== undefined) el.value = value;
    }
  };
}

/** Show order `id` in `main`; returns a function that stops following the queue. */
export async function showOrder(main, id) {
  const path = `/work-orders/${id}`;
  let detail;
  let work;
  const assets = h('section', { class: 'ct-box', id: 'ct-assets' }, h('h2', {}, t('assets')));
  const act = {
    orderId: id,
    move: (to, reason) => enqueue({ order_id: id, type: 'move', method: 'POST', path: `${path}/transition`,
      json: { to, ...(reason ? { reason } : {}), ...(position() ? { position: position() } : {}) },
      summary: { to, crew_id: detail.crew?.id } }),
    tick: (item, done) => enqueue({ order_id: id, type: 'tick', method: 'PUT',
      path: `${path}/checklist/${encodeURIComponent(item.key)}`, json: { done },
      summary: { key: item.key, label: item.label, crew_id: detail.crew?.id } }),
    labour: (startedAt, endedAt) => enqueue({ order_id: id, type: 'labour', method: 'POST', path: `${path}/labour`,
      json: { started_at: startedAt, ended_at: endedAt }, summary: { crew_id: detail.crew?.id } }),
    part: (part) => enqueue({ order_id: id, type: 'part', method: 'POST', path: `${path}/parts`, json: part,
      summary: { reference: part.reference, crew_id: detail.crew?.id } }),
    note: (text) => enqueue({ order_id: id, type: 'note', method: 'POST', path: `${path}/notes`, json: { text },
      summary: { crew_id: detail.crew?.id } }),
    photo: async (file) => {
      const blob = await shrink(file);
      return attach('photo', blob);
    },
    signature: (blob) => attach('signature', blob),
  };
  const attach = (kind, blob) => {
    const where = position();
    return enqueue({ order_id: id, type: kind, method: 'POST', path: `${path}/attachments`,
      form: { file: blob, kind, taken_at: new Date().toISOString(), lon: where?.lon, lat: where?.lat },
      summary: { crew_id: detail.crew?.id } });
  };
  const body = h('div', { class: 'ct-order', id: 'ct-order', dataset: { id } });
  const sign = h('section', { class: 'ct-box', id: 'ct-sign' }, h('h2', {}, t('signature')), signaturePad(act.signature));
  const draw = async () => {
    const pending = (await waiting()).filter((e) => e.order_id === id);
    const typed = keepTyped(body);
    body.replaceChildren(header(detail, detail), transitions(detail, work, pending, act), presence(work),
      checklist(work, pending, act), photos(work, pending, act), sign,
      parts(work, pending, act), labour(detail, work, pending, act), notes(work, pending, act), assets);
    typed();
    body.dataset.pending = String(pending.length);
  };
  const load = async () => {
    [detail, work] = await Promise.all([get(path), get(`${path}/work`)]);
  };
  main.replaceChildren(h('a', { class: 'ct-back ct-button', href: '#/' }, t('back')), body);
  await load();
  await draw();
  Promise.all((detail.assets || []).slice(0, 5).map(assetBlock)).then((blocks) => assets.append(...blocks));
  let refreshing = false;
  const stop = listen(async (event) => {
    if (event.type === 'applied' && event.entry.order_id === id && !refreshing) {
      refreshing = true;
      try { await load(); } catch { /* offline again: the last copy stays */ } finally { refreshing = false; }
      await draw();
    } else if ((event.type === 'changed' || event.type === 'refused') && !refreshing) {
      await draw();
    }
  });
  return stop;
}
