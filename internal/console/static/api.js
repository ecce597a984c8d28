// api.js: the console's only way to the server — the public JSON API, with the session cookie.

// ApiError is a failed request: its status and its RFC 9457 problem details.
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `Request failed (${status}).`);
    this.status = status;
    this.problem = problem || {};
  }
  get errors() { return this.problem.errors || []; }
}

let onUnauthenticated = () => {};
// whenUnauthenticated sets what happens when the session has ended (401).
export function whenUnauthenticated(fn) { onUnauthenticated = fn; }

// The consistency token of the last write: every read after it waits until the read model has
// applied it, so the user sees what they just did (read-your-writes).
let consistency = '';

function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

// api sends one request. body is sent as JSON; headers adds headers (If-Match, Idempotency-Key).
export async function api(method, path, { body, headers = {} } = {}) {
  const h = { Accept: 'application/json, application/problem+json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (method === 'GET') {
    if (consistency) h['X-Consistency-Token'] = consistency;
  } else {
    h['X-CSRF-Token'] = cookie('cm_csrf');
  }
  let res;
  try {
    res = await fetch(path, { method, headers: h, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { title: 'The server could not be reached.', detail: 'The server could not be reached. Check your connection and try again.' });
  }
  const token = res.headers.get('X-Consistency-Token');
  if (token && method !== 'GET') consistency = token;
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && type.includes('json')) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/v1/auth/login') onUnauthenticated();
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data, etag: res.headers.get('ETag') };
}

// query builds "?a=b&c=d" from the non-empty values of params.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// newKey returns an idempotency key: a retried save is applied once.
export function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs HTTPS; this does not
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// resetConsistency forgets the last write (at logout).
export function resetConsistency() { consistency = ''; }
