// The platform's REST API, called with the page's session (its CSRF token on writes). A failed connection
// (no network, server unreachable) is an `Unreachable` error; an answer is returned whatever its status.
import { config } from './i18n.js';

export class Unreachable extends Error {}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

const TIMEOUT_MS = 15000;

/** `{status, body, offline}` of one request (`offline`: the service worker answered from its cache). */
export async function request(method, path, { json, form } = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (method !== 'GET') headers['X-CSRF-Token'] = config.csrf;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = new FormData();
    for (const [key, value] of Object.entries(form)) {
      if (value == null) continue;
      if (value instanceof Blob) body.append(key, value, value.name || `${key}.${value.type === 'image/png' ? 'png' : 'jpg'}`);
      else body.append(key, String(value));
    }
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path.startsWith(config.urls.api) ? path : config.urls.api + path,
      { method, headers, body, credentials: 'same-origin', signal: abort.signal, redirect: 'manual' });
  } catch (error) {
    throw new Unreachable(String(error));
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 0 || response.type === 'opaqueredirect') return { status: 401, body: null, offline: false };
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (response.status === 503 && response.headers.get('X-CityPilot-Offline')) throw new Unreachable('offline');
  return { status: response.status, body: data, offline: response.headers.get('X-CityPilot-Offline') };
}

/** A GET that must succeed: its body, or an ApiError / Unreachable. */
export async function get(path) {
  const answer = await request('GET', path);
  if (answer.status >= 400) throw new ApiError(answer.status, answer.body);
  return answer.body === null ? null : Object.assign(answer.body, answer.offline ? { __cached: answer.offline } : {});
}
