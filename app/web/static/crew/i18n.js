// Words and formats of the tablet: the dictionary comes from the server's catalogue (French or English),
// embedded in the page with the rest of its configuration.
export const config = JSON.parse(document.getElementById('ct-config').textContent);
const locale = config.lang === 'fr' ? 'fr-FR' : 'en-GB';
const TIME_ZONE = 'Europe/Paris';

/** The translation of `key`, with `%(name)s` placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = config.strings[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => (name in params ? String(params[name]) : ''))
    .replace(/%%/g, '%');
}

export const stateLabel = (state) => config.states[state] ?? state;
export const kindLabel = (kind) => config.kinds[kind]?.label ?? kind;

const numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
export const fmtNumber = (n) => (n == null || Number.isNaN(n) ? '–' : numbers.format(n));

const times = new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' });
const dates = new Intl.DateTimeFormat(locale, {
  timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit',
});
const day = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** A UTC time as Paris time: the hour today, the date and hour otherwise. */
export function fmtTime(iso) {
  if (!iso) return '–';
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return day.format(when) === day.format(new Date()) ? times.format(when) : dates.format(when);
}

/** A span of minutes as people say it: 45 min, 2 h 05, 3 d 4 h. */
export function fmtSpan(minutes) {
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `${m} min`;
  if (m < 24 * 60) return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`;
  const d = Math.floor(m / 1440);
  return config.lang === 'fr' ? `${d} j ${Math.floor((m % 1440) / 60)} h` : `${d} d ${Math.floor((m % 1440) / 60)} h`;
}

/** Metres as a distance: 80 m, 1,2 km. */
export const fmtDistance = (m) => (m < 1000 ? `${Math.round(m)} m` : `${numbers.format(m / 1000)} km`);

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** `text` safe inside HTML (element text or a quoted attribute). */
export const esc = (text) => String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** A small DOM builder: `h('li', {class: 'x', dataset: {id: 1}, onclick}, child, 'text')`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}
