// The layer switcher: families, live states, base map (a Leaflet control built from the page's template).
import { STATE_COLORS, STATES } from './styles.js';
import { config, familyLabel, h, stateLabel, t } from './i18n.js';

function checkbox(name, label, checked, onChange, swatch) {
  const id = `cr-layer-${name}`;
  const input = h('input', { type: 'checkbox', id, checked, dataset: { layer: name } });
  input.addEventListener('change', () => onChange(input.checked));
  const mark = swatch ? h('span', { class: 'swatch', 'aria-hidden': 'true' }) : '';
  if (swatch) mark.style.background = swatch;
  return h('label', { for: id, class: 'cr-check' }, input, mark, label);
}

export function addSwitcher(cityMap, vehicles) {
  const root = document.getElementById('cr-switcher-template').content.firstElementChild.cloneNode(true);
  const toggle = root.querySelector('.cr-switcher-toggle');
  const body = root.querySelector('.cr-switcher-body');
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    body.hidden = !open;
  });
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !body.hidden) { toggle.click(); toggle.focus(); }
  });
  const families = root.querySelector('[data-group="families"]');
  for (const spec of config.tiles.vector_layers) {
    families.append(checkbox(spec.id, familyLabel(spec.id), true, (on) => cityMap.setFamilyShown(spec.id, on)));
  }
  families.append(checkbox('vehicles', t('vehicles'), true, (on) => vehicles.setShown(on)));
  const states = root.querySelector('[data-group="states"]');
  for (const state of STATES) {
    states.append(checkbox(`state-${state}`, stateLabel(state), true, (on) => cityMap.setStateShown(state, on), STATE_COLORS[state]));
  }
  const base = root.querySelector('[data-group="base"]');
  base.append(checkbox('base', t('base'), true, (on) => cityMap.setBaseShown(on)));
  if (config.background) {
    base.append(checkbox('background', t('background'), true, (on) => cityMap.setBackgroundShown(on)));
  }
  const Control = L.Control.extend({
    onAdd() {
      L.DomEvent.disableClickPropagation(root);
      L.DomEvent.disableScrollPropagation(root);
      return root;
    },
  });
  new Control({ position: 'topright' }).addTo(cityMap.map);
  return root;
}

export function addDrawButton(cityMap) {
  const root = document.getElementById('cr-draw-template').content.firstElementChild.cloneNode(true);
  const Control = L.Control.extend({
    onAdd() {
      L.DomEvent.disableClickPropagation(root);
      return root;
    },
  });
  new Control({ position: 'topleft' }).addTo(cityMap.map);
  return root.querySelector('button');
}
