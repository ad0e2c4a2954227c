// The signature pad: a <canvas> drawn with a finger or a stylus (pointer events, no hover), saved as a PNG.
import { h, t } from './i18n.js';

/** The pad and its buttons; `onSave(blob)` gets the PNG of the signature. */
export function signaturePad(onSave) {
  const canvas = h('canvas', { class: 'ct-signature', width: 900, height: 300, 'aria-label': t('signature_hint') });
  const ctx = canvas.getContext('2d');
  let drawing = false;
  let strokes = 0;
  const clear = () => {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    strokes = 0;
  };
  clear();
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
  };
  canvas.addEventListener('pointerdown', (event) => {
    drawing = true;
    canvas.setPointerCapture?.(event.pointerId);
    ctx.lineWidth = 4;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#0a1f44';
    ctx.beginPath();
    ctx.moveTo(...at(event));
    event.preventDefault();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    ctx.lineTo(...at(event));
    ctx.stroke();
    strokes += 1;
    event.preventDefault();
  });
  const end = () => { drawing = false; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  const message = h('p', { class: 'ct-muted', role: 'status' });
  const save = h('button', { type: 'button', class: 'ct-button ct-primary', dataset: { act: 'save-signature' },
    onclick: () => {
      if (!strokes) {
        message.textContent = t('signature_empty');
        return;
      }
      canvas.toBlob((blob) => { onSave(blob); clear(); message.textContent = t('signature_saved'); }, 'image/png');
    } }, t('signature_save'));
  return h('div', { class: 'ct-signature-box' }, h('p', { class: 'ct-muted' }, t('signature_hint')), canvas,
    h('div', { class: 'ct-row' }, h('button', { type: 'button', class: 'ct-button', onclick: clear }, t('signature_clear')), save),
    message);
}
