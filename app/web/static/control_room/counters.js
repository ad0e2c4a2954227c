// Counters per family (in service, in fault, unreachable): read from /stats/families, then kept
// current from the stream's state events (each carries the previous state) and read again now and then.
import { api } from './api.js';
import { config, familyLabel, fmtNumber, h, t } from './i18n.js';

const RENDER_EVERY_MS = 250;
const RELOAD_EVERY_MS = 60000;

export class Counters {
  constructor(element) {
    this.element = element;
    this.families = null;
    this.kindFamily = {};
    this.timer = null;
    setInterval(() => this.load().catch(() => {}), RELOAD_EVERY_MS);
  }

  async load() {
    const data = await api.get('/stats/families');
    this.families = data.families;
    this.kindFamily = data.kind_family;
    this.render();
  }

  onState(event) {
    const family = this.families?.[this.kindFamily[event.kind]];
    if (!family) return;
    const previous = event.previous || 'unknown';
    if (previous === event.state) return;
    for (const figures of [family, family.kinds?.[event.kind]]) {
      if (!figures) continue;
      if (figures[previous] > 0) figures[previous] -= 1;
      figures[event.state] = (figures[event.state] || 0) + 1;
    }
    if (!this.timer) this.timer = setTimeout(() => { this.timer = null; this.render(); }, RENDER_EVERY_MS);
  }

  render() {
    if (!this.families) return;
    const figure = (kind, value, label, title) => h('span', { class: `counter-figure ${kind}`, title },
      h('span', { class: 'dot', 'aria-hidden': 'true' }), h('b', {}, fmtNumber(value)),
      h('span', { class: 'visually-hidden' }, ` ${label}`));
    const items = [h('li', { class: 'counter-legend', 'aria-hidden': 'true' },
      ...[['in-service', t('in_service')], ['fault', t('in_fault')], ['unreachable', t('unreachable_n')]]
        .map(([kind, label]) => h('span', { class: `counter-figure ${kind}` }, h('span', { class: 'dot' }), label)))];
    for (const name of config.family_order) {
      const f = this.families[name];
      if (!f || !f.total) continue;
      items.push(h('li', { class: `counter${f.fault ? ' has-fault' : ''}${f.unreachable ? ' has-unreachable' : ''}`, dataset: { family: name } },
        h('span', { class: 'counter-family' }, familyLabel(name)),
        figure('in-service', f.in_service, t('in_service'), t('in_service_hint')),
        figure('fault', f.fault, t('in_fault')),
        figure('unreachable', f.unreachable, t('unreachable_n'))));
    }
    this.element.replaceChildren(...items);
  }
}
