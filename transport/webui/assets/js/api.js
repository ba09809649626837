// The agent's HTTP API, read with the tab's token and consistency. The
// token lives in sessionStorage (this tab only) and travels only in the
// Authorization header, never in a URL.

const TOKEN_KEY = 'ovi.readToken';
const CONSISTENCY_KEY = 'ovi.consistency';
const WAL_CAP = 100000; // records one page view reads at most

// ApiError is a non-2xx answer: status, the API's error code and message.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}
export function consistency() { return sessionStorage.getItem(CONSISTENCY_KEY) || 'default'; }
export function setConsistency(c) { sessionStorage.setItem(CONSISTENCY_KEY, c); }

// apiURL is path on this origin with params (empty values left out) and
// the chosen consistency.
function apiURL(path, params) {
  const u = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  const c = consistency();
  if (c !== 'default') u.searchParams.set('consistency', c);
  return u;
}

function request(signal) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  return { headers, signal, cache: 'no-store', credentials: 'same-origin', redirect: 'error' };
}

async function failure(resp) {
  let code = `http_${resp.status}`;
  let message = resp.statusText;
  try {
    const body = await resp.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch { /* not a JSON error body */ }
  return new ApiError(resp.status, code, message);
}

// get answers GET path?params as parsed JSON.
export async function get(path, params, signal) {
  const resp = await fetch(apiURL(path, params), request(signal));
  if (!resp.ok) throw await failure(resp);
  return resp.json();
}

// revText is "main.sub".
export function revText(r) { return `${r.main}.${r.sub}`; }

// walAll pages through GET /v1/wal (params as `ovi wal replay` filters)
// and returns {revision, records, truncated}.
export async function walAll(params, signal) {
  const out = { revision: 0, records: [], truncated: false };
  let after = '';
  for (;;) {
    const page = await get('/v1/wal', { ...params, after }, signal);
    if (!out.revision) out.revision = page.revision;
    out.records.push(...page.records);
    if (!page.more || page.records.length === 0) return out;
    if (out.records.length >= WAL_CAP) {
      out.truncated = true;
      return out;
    }
    after = revText(page.records[page.records.length - 1].revision);
  }
}

// follow streams GET /v1/wal/follow (newline-delimited JSON), calling
// onEntry for each record, until signal aborts or the stream ends.
export async function follow(params, onEntry, signal) {
  const resp = await fetch(apiURL('/v1/wal/follow', params), request(signal));
  if (!resp.ok) throw await failure(resp);
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue; // keep-alive
      const msg = JSON.parse(line);
      if (msg.error) throw new ApiError(0, msg.error.code, msg.error.message);
      if (msg.entry) onEntry(msg.entry);
    }
  }
}

// stateAt lists the live keys under prefix at revision (0 = current).
export function stateAt(prefix, revision, signal) {
  return get('/v1/state', { prefix, revision: revision || '' }, signal);
}

// history lists the retained versions of key; [] when it never existed.
export async function history(key, signal) {
  try {
    return (await get('/v1/state/history', { key }, signal)).versions;
  } catch (e) {
    if (e instanceof ApiError && e.code === 'not_found') return [];
    throw e;
  }
}
