// The portal's client of /api/v1 (docs/api.md). Keeps the session (user, CSRF token, expiry) in
// memory only; sends the CSRF token on every state-changing request; turns error answers into
// ApiError with the server's code. Listeners learn when the session ends.

import { confirmIdentity } from './reauth.js';

export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.body = body; // the error answer's JSON (e.g. possible_duplicate's candidates)
  }
}

const state = {
  session: null, // GET /api/v1/session answer
  listeners: new Set(),
};

export function session() {
  return state.session;
}

export function onSessionChange(fn) {
  state.listeners.add(fn);
  return () => state.listeners.delete(fn);
}

function setSession(s, reason) {
  // Deadlines are kept on the browser's clock (server clock skew must not end a session early):
  // the server just moved its idle deadline, so it is now + the idle timeout here too.
  if (s && s.idleTimeoutSeconds) s.idleExpiresAt = new Date(Date.now() + s.idleTimeoutSeconds * 1000).toISOString();
  state.session = s;
  for (const fn of state.listeners) fn(s, reason);
}

export async function request(method, path, body, options = {}) {
  try {
    return await send(method, path, body, options);
  } catch (e) {
    // Step-up: the box wants the password (and code) again before this action; ask, then
    // repeat the request once. Cancelled: the original refusal reaches the page.
    if (!(e instanceof ApiError) || e.code !== 'reauth_required' || !state.session) throw e;
    const confirmed = await confirmIdentity({
      needsCode: Boolean(state.session.user && state.session.user.mfa),
      submit: (password, code) => send('POST', '/api/v1/auth/reauth', code ? { password, code } : { password }),
    });
    if (!confirmed) throw e;
    return send(method, path, body, options);
  }
}

async function send(method, path, body, { raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && state.session && state.session.csrf) {
    headers['X-CSRF-Token'] = state.session.csrf;
  }
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'The box cannot be reached. Check the network connection.');
  }
  if (raw && resp.ok) return resp;
  let data = null;
  const text = await resp.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!resp.ok) {
    const code = (data && data.error) || `http_${resp.status}`;
    const message = (data && data.message) || resp.statusText;
    if (resp.status === 401 && state.session && !path.startsWith('/api/v1/auth/')) {
      setSession(null, code === 'session_expired' ? 'expired' : 'ended');
    }
    throw new ApiError(resp.status, code, message, data);
  }
  if (method !== 'GET' && method !== 'HEAD' && path.startsWith('/api/v1/') && state.session && !path.startsWith('/api/v1/auth/')) {
    touched();
  }
  return data;
}

// A state-changing request (a person's action) moves the server's idle deadline; mirror that
// locally. Reads do not: a page polling or reloading on its own must not keep an unattended
// screen signed in (automatic logoff).
function touched() {
  const s = state.session;
  if (!s || !s.idleTimeoutSeconds) return;
  s.idleExpiresAt = new Date(Date.now() + s.idleTimeoutSeconds * 1000).toISOString();
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body === undefined ? {} : body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Loads the current session (on page load); null when signed out. */
export async function loadSession() {
  try {
    const s = await request('GET', '/api/v1/session');
    setSession(s, 'loaded');
    return s;
  } catch (e) {
    if (e.status === 401 || e.status === 404) {
      setSession(null, 'none');
      return null;
    }
    throw e;
  }
}

/** newPassword: sent only after the box answered password_change_required (a one-time password). */
export async function login(email, password, newPassword) {
  const r = await request('POST', '/api/v1/auth/login', newPassword ? { email, password, newPassword } : { email, password });
  if (r.session) setSession(r.session, 'signed_in');
  return r;
}

export async function loginMfa(email, password, code, newPassword) {
  const r = await request('POST', '/api/v1/auth/mfa', newPassword ? { email, password, code, newPassword } : { email, password, code });
  if (r.session) setSession(r.session, 'signed_in');
  return r;
}

export async function confirmEnrolment(code) {
  const r = await request('POST', '/api/v1/auth/mfa/confirm', { code });
  if (r.session) state.session = r.session; // listeners are told when the user continues
  return r;
}

export function announceSession() {
  setSession(state.session, 'signed_in');
}

export async function refresh() {
  const s = await request('POST', '/api/v1/session/refresh', {});
  setSession(s, 'refreshed');
  return s;
}

export async function logout(reason = 'signed_out') {
  try {
    await request('POST', '/api/v1/auth/logout', {});
  } catch {
    // signed out locally either way
  }
  setSession(null, reason);
}

export function sessionEnded(reason) {
  setSession(null, reason);
}
