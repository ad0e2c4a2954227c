// Words and formats of the page: the dictionary comes from the server's catalogue (French or English),
// embedded in the page with the rest of the configuration.
const element = document.getElementById('cr-config');
export const config = JSON.parse(element.textContent);
const strings = config.strings;
const locale = config.lang === 'fr' ? 'fr-FR' : 'en-GB';
const TIME_ZONE = 'Europe/Paris';

/** The translation of `key`, with `%(name)s` placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = strings[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => (name in params ? String(params[name]) : ''))
    .replace(/%%/g, '%');
}

export const kindLabel = (kind) => config.kinds[kind]?.label ?? kind;
export const familyLabel = (family) => config.families[family] ?? family;
export const stateLabel = (state) => config.states[state] ?? state;

const numbers = new Intl.NumberFormat(locale);
export const fmtNumber = (n) => (n == null || Number.isNaN(n) ? '–' : numbers.format(n));

const times = new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' });
const dates = new Intl.DateTimeFormat(locale, {
  timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const sameDay = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** A stored UTC time as Paris time: the hour today, the date otherwise. */
export function fmtTime(iso) {
  if (!iso) return '–';
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return sameDay.format(when) === sameDay.format(new Date()) ? times.format(when) : dates.format(when);
}

export const fmtDateTime = (iso) => (iso ? dates.format(new Date(iso)) : '–');

/** A small DOM builder: `h('li', {class: 'x', dataset: {id: 1}}, child, 'text')`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'text') el.textContent = value;
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Tell screen readers (the page's polite live region). */
export function announce(text) {
  const region = document.getElementById('cr-announce');
  if (!region) return;
  region.textContent = '';
  requestAnimationFrame(() => { region.textContent = text; });
}
