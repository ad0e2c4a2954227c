// An order's asset on the order page: its attributes, what its device says now, its recent history and what
// it feeds (what else goes dark with it), each read from the API (and from the tablet's copy offline).
import { get } from './api.js';
import { config, fmtTime, h, kindLabel, t } from './i18n.js';

const HIDDEN = new Set(['id', 'kind', 'code', 'version', 'created_by', 'updated_by', 'created_at', 'updated_at']);

function value(v) {
  if (v === true) return t('yes');
  if (v === false) return t('no');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function attributes(feature) {
  const props = feature?.properties || {};
  const rows = Object.entries(props).filter(([k, v]) => !HIDDEN.has(k) && v != null && v !== '' &&
    !(typeof v === 'object' && !Object.keys(v).length));
  return h('dl', { class: 'ct-attrs' }, rows.flatMap(([k, v]) => [h('dt', {}, k.replace(/_/g, ' ')), h('dd', {}, value(v))]));
}

async function section(title, load, draw) {
  const body = h('div', { class: 'ct-sub' }, t('sending'));
  const box = h('section', { class: 'ct-asset-part' }, h('h4', {}, title), body);
  load().then((data) => body.replaceChildren(draw(data)))
    .catch(() => body.replaceChildren(h('p', { class: 'ct-muted' }, t('not_cached'))));
  return box;
}

/** The block of one asset `{id, kind, code}`. */
export async function assetBlock(asset) {
  const live = await section(t('live_state'), () => get(`/assets/${asset.id}/live`), (l) => h('p', {
    class: `ct-live live-${l.state}`, dataset: { state: l.state } },
  config.live_states[l.state] || l.state, l.last_seen ? ` — ${fmtTime(l.last_seen)}` : '',
  ...Object.entries(l.values || {}).slice(0, 6).map(([k, v]) => h('span', { class: 'ct-value' }, ` ${k}: ${value(v)}`))));
  const attrs = await section(t('attributes'), () => get(`/assets/${asset.id}`), attributes);
  const history = await section(t('history'), () => get(`/assets/${asset.id}/history?limit=5`), (page) => (
    page.items.length ? h('ul', { class: 'ct-history' }, page.items.map((e) => h('li', {},
      `${fmtTime(e.at)} — ${e.action} (${e.actor || '?'})${e.changed?.length ? `: ${e.changed.join(', ')}` : ''}`)))
      : h('p', { class: 'ct-muted' }, t('no_history'))));
  const feeds = await section(t('feeds'), () => get(`/assets/${asset.id}/feeds`), (f) => (
    f.items.length ? h('ul', { class: 'ct-feeds' }, f.items.slice(0, 20).map((a) => h('li', {}, `${kindLabel(a.kind)} ${a.code}`)),
      f.total > 20 ? h('li', {}, `… (${f.total})`) : null)
      : h('p', { class: 'ct-muted' }, t('feeds_none'))));
  return h('details', { class: 'ct-asset', open: true, dataset: { assetId: asset.id } },
    h('summary', {}, `${kindLabel(asset.kind)} ${asset.code}`), live, attrs, history, feeds);
}


