// The platform's REST API, called with the page's session (and its CSRF token on unsafe methods).
import { config } from './i18n.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function url(path, params) {
  const u = new URL(config.urls.api + path, window.location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v != null && v !== '') u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

async function call(method, path, { params, body } = {}) {
  const headers = { Accept: 'application/json, application/geo+json' };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = config.csrf;
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(url(path, params), {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (response.status === 401) { // the session ended (signed out elsewhere, expired): sign in again
    window.location.assign(`${config.urls.login}?next=${encodeURIComponent(window.location.pathname)}`);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  get: (path, params) => call('GET', path, { params }),
  post: (path, body = {}) => call('POST', path, { body }),
};

/** Whether an error means "this route does not exist (yet)" rather than a failure. */
export const missing = (error) => error instanceof ApiError && (error.status === 404 || error.status === 405)
  && (!error.body || error.body.error === 'not_found' || error.body.error === 'method_not_allowed');
