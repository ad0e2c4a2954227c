// Every action of the crew goes through this queue: kept in IndexedDB with its own client_id, sent in
// order as soon as the server can be reached, removed only when the server acknowledged it. The server
// applies an (order, client_id) once, so a replay after a lost answer changes nothing. An action that no
// longer applies (409: the order was reassigned, cancelled or moved on) or that the server refuses (422...)
// is kept among the refused, shown to the crew until they dismiss it — never dropped silently.
import { Unreachable, request } from './api.js';
import { db } from './db.js';
export { db };
import { config } from './i18n.js';

const RETRY_MS = [1000, 2000, 4000, 8000, 15000, 30000]; // then every 30 s until the server answers
const listeners = new Set();
let flushing = null;
let failures = 0;
let timer = null;
export const status = { online: navigator.onLine, signedOut: false, sending: false };

function emit(event) {
  for (const listener of listeners) listener(event);
}

/** Be told of `{type: 'changed' | 'applied' | 'refused' | 'status', ...}`. */
export function listen(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const newId = () => (crypto.randomUUID ? crypto.randomUUID()
  : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`);

/**
 * Queue an action: `{order_id, type, method, path, json?, form?, summary}` (`summary`: what to show the
 * crew while it waits). Resolves once it is stored (the tablet may lose the network or power afterwards).
 */
export async function enqueue(action) {
  const entry = { ...action, client_id: newId(), user_id: config.user.id, queued_at: new Date().toISOString() };
  if (entry.json) entry.json = { ...entry.json, client_id: entry.client_id };
  if (entry.form) entry.form = { ...entry.form, client_id: entry.client_id };
  entry.seq = await db.add('queue', entry);
  emit({ type: 'changed' });
  flush();
  return entry;
}

/** The actions waiting, oldest first. */
export const waiting = () => db.all('queue');
/** The actions the server refused, oldest first. */
export const refused = async () => (await db.all('refused')).sort((a, b) => a.at.localeCompare(b.at));

export async function dismiss(clientId) {
  await db.delete('refused', clientId);
  emit({ type: 'changed' });
}

function setStatus(change) {
  Object.assign(status, change);
  emit({ type: 'status' });
}

function retryLater() {
  clearTimeout(timer);
  const delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
  failures += 1;
  timer = setTimeout(() => { timer = null; flush(); }, delay);
}

/** Send one action; true when it is settled (applied or refused), false to stop and retry later. */
async function send(entry) {
  let answer;
  try {
    answer = await request(entry.method, entry.path, { json: entry.json, form: entry.form });
  } catch (error) {
    if (error instanceof Unreachable) {
      setStatus({ online: false });
      return false;
    }
    throw error;
  }
  setStatus({ online: true });
  if (answer.status === 401 || (answer.status === 403 && answer.body?.error === 'csrf')) {
    setStatus({ signedOut: true });
    return false;
  }
  if (answer.status >= 500 || answer.status === 429) return false;
  if (answer.status < 300) {
    await db.delete('queue', entry.seq);
    emit({ type: 'applied', entry, body: answer.body });
    return true;
  }
  const { form, ...kept } = entry; // the refused photo's bytes are not kept: the crew sees what it was
  await db.put('refused', { client_id: entry.client_id, action: kept, status: answer.status, body: answer.body,
    at: new Date().toISOString() });
  await db.delete('queue', entry.seq);
  emit({ type: 'refused', entry, status: answer.status, body: answer.body });
  return true;
}

/** Send what waits, in order, one at a time; retried with a growing delay while the server is unreachable. */
export function flush() {
  if (flushing) return flushing;
  flushing = (async () => {
    setStatus({ sending: true });
    try {
      for (;;) {
        const mine = (await db.all('queue')).filter((e) => e.user_id === config.user.id);
        if (!mine.length) {
          failures = 0;
          break;
        }
        if (!(await send(mine[0]))) {
          retryLater();
          break;
        }
        failures = 0;
        emit({ type: 'changed' });
      }
    } finally {
      flushing = null;
      setStatus({ sending: false });
    }
  })();
  return flushing;
}

window.addEventListener('online', () => { failures = 0; flush(); });
window.addEventListener('offline', () => setStatus({ online: false }));
setInterval(() => { if (!flushing && !timer) flush(); }, 30000); // a missed 'online' event
