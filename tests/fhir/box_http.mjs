// HTTPS requests to a test vigild (its self-signed certificate) for the FHIR tests: one call,
// the portal sign-in (cookie and CSRF token), and reading the box's audit log read-only with the
// sqlite3 tool (the tests check that each FHIR access was audited).
import { request as httpsRequest } from 'node:https';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import assert from 'node:assert/strict';

/** One request; resolves { status, headers, body, json() }. `form` sends a url-encoded body. */
export function call(box, method, path, { cookie, csrf, body, form, token, headers = {} } = {}) {
  const url = new URL(path, box.url);
  const data = form !== undefined ? new URLSearchParams(form).toString()
    : body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body));
  const type = form !== undefined ? 'application/x-www-form-urlencoded'
    : (url.pathname.startsWith('/fhir/') ? 'application/fhir+json' : 'application/json');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method,
      rejectUnauthorized: false,
      timeout: 20000,
      headers: {
        Accept: 'application/fhir+json, application/json',
        ...(data !== undefined ? { 'Content-Type': type, 'Content-Length': Buffer.byteLength(data) } : {}),
        ...(cookie ? { Cookie: cookie } : {}),
        ...(csrf ? { 'X-CSRF-Token': csrf } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text, json: () => JSON.parse(text) }));
    });
    req.once('timeout', () => req.destroy(new Error(`timed out after 20 s: ${method} ${url.pathname}`)));
    req.once('error', reject);
    req.end(data);
  });
}

/** Signs in through the portal's API (no second factor: patients); { cookie, csrf }. */
export async function signIn(box, email) {
  const res = await call(box, 'POST', '/api/v1/auth/login', { body: { email, password: box.seed.password } });
  assert.equal(res.status, 200, `sign-in: ${res.body}`);
  const cookie = [].concat(res.headers['set-cookie'] || []).map((c) => c.split(';')[0]).join('; ');
  return { cookie, csrf: JSON.parse(res.body).session.csrf };
}

/** Audit entries after `afterSeq` as objects (read-only; the box keeps running). */
export function auditSince(box, afterSeq = 0) {
  const out = execFileSync('sqlite3', ['-readonly', '-json', join(box.dir, 'data', 'vigil.db'),
    `SELECT seq, actor_id, actor_role, action, object_type, object_id, patient_id, outcome, reason FROM audit_log WHERE seq > ${Number(afterSeq)} ORDER BY seq`],
  { encoding: 'utf8', timeout: 10000 });
  return out.trim() ? JSON.parse(out) : [];
}

/** The last audit entry's seq. */
export function lastAuditSeq(box) {
  const rows = JSON.parse(execFileSync('sqlite3', ['-readonly', '-json', join(box.dir, 'data', 'vigil.db'),
    'SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_log'], { encoding: 'utf8', timeout: 10000 }));
  return rows[0].seq;
}
