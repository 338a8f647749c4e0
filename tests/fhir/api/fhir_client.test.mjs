// An EHR's backend client against a real vigild (issue 26): SMART backend services (an ES384
// assertion made here with Node's crypto, the token from /fhir/auth/token), scopes deciding per
// type, and Observation creates going through ingest: a reading already sent over MQTT by the
// device is not stored twice (200 with the stored Observation), a new one is (201), a device
// not assigned to the subject or an impossible value is refused (422), each audited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, randomUUID } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVigild } from '../../e2e/harness.mjs';
import { call, auditSince, lastAuditSeq } from '../box_http.mjs';
import { validateResource } from '../conformance/validate.mjs';

const haveBox = Boolean(process.env.VIGILD && process.env.VIGIL_E2E_SEED);
const skip = !haveBox && 'run through ctest (fhir-api)';
const PUBLIC_URL = 'https://box.clinic.test';
const TOKEN_URL = `${PUBLIC_URL}/fhir/auth/token`;
let box;
let keyDir;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const kid = 'ehr-key-1';

before(async () => {
  if (!haveBox) return;
  keyDir = mkdtempSync(join(tmpdir(), 'vigil-fhir-client-'));
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES384', use: 'sig' };
  const jwksFile = join(keyDir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  box = await startVigild({
    broker: true,
    seedArgs: ['--fhir', '--fhir-client', jwksFile],
    config: [`web.public_url = ${PUBLIC_URL}`],
  });
  await box.ready(30000);
}, { timeout: 120000 });

after(async () => {
  if (box) await box.stop();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
}, { timeout: 60000 });

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** An ES384 client assertion (RFC 7523) for the seeded client; `claims` override. */
function assertion(claims = {}, key = privateKey, header = {}) {
  const clientId = box.seed.fhirClient.clientId;
  const now = Math.floor(Date.now() / 1000);
  const h = b64url(JSON.stringify({ alg: 'ES384', kid, typ: 'JWT', ...header }));
  const c = b64url(JSON.stringify({ iss: clientId, sub: clientId, aud: TOKEN_URL, exp: now + 240, jti: randomUUID(), ...claims }));
  const signature = sign('sha384', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${h}.${c}.${b64url(signature)}`;
}

async function token(scope, jwt = assertion()) {
  return call(box, 'POST', '/fhir/auth/token', {
    form: {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
      scope,
    },
  });
}

async function bearer(scope) {
  const res = await token(scope);
  assert.equal(res.status, 200, res.body);
  return res.json().access_token;
}

test('the token endpoint grants what was asked and registered, and refuses bad assertions', { skip, timeout: 60000 }, async () => {
  const ok = await token('system/Observation.rs system/Patient.r');
  assert.equal(ok.status, 200, ok.body);
  const t = ok.json();
  assert.equal(t.token_type.toLowerCase(), 'bearer');
  assert.ok(t.expires_in > 0 && t.expires_in <= 300);
  assert.deepEqual(t.scope.split(' ').sort(), ['system/Observation.rs', 'system/Patient.r']);
  // Expired, wrong audience, a replayed jti, another key under the registered kid.
  const jwt = assertion();
  assert.equal((await token('system/Observation.rs', jwt)).status, 200);
  const replayed = await token('system/Observation.rs', jwt);
  assert.equal(replayed.status, 401, replayed.body);
  assert.equal(replayed.json().error, 'invalid_client');
  const expired = await token('system/Observation.rs', assertion({ exp: Math.floor(Date.now() / 1000) - 60 }));
  assert.equal(expired.json().error, 'invalid_client');
  const audience = await token('system/Observation.rs', assertion({ aud: 'https://elsewhere.test/token' }));
  assert.equal(audience.json().error, 'invalid_client');
  const other = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const wrongKey = await token('system/Observation.rs', assertion({}, other));
  assert.equal(wrongKey.json().error, 'invalid_client');
  assert.ok(!wrongKey.body.includes(box.seed.fhirClient.clientId), 'the refusal echoes nothing sent');
});

test('scopes decide per type; an unknown token is 401; every access audited as the client', { skip, timeout: 60000 }, async () => {
  const from = lastAuditSeq(box);
  const patientsOnly = await bearer('system/Patient.rs');
  const refused = await call(box, 'GET', `/fhir/Observation?patient=${box.seed.patientA}`, { token: patientsOnly });
  assert.equal(refused.status, 403, refused.body);
  const p = await call(box, 'GET', `/fhir/Patient?identifier=urn:vigil:mrn|MRN-1001`, { token: patientsOnly });
  assert.equal(p.status, 200, p.body);
  assert.equal(p.json().total, 1);
  assert.equal(p.json().entry[0].resource.id, String(box.seed.patientA));
  const bad = await call(box, 'GET', '/fhir/Patient/1', { token: 'not-a-token' });
  assert.equal(bad.status, 401);
  assert.match(bad.headers['www-authenticate'], /invalid_token/);
  const entries = auditSince(box, from).filter((e) => e.object_type === 'fhir');
  assert.ok(entries.find((e) => e.action === 'reading.list' && e.outcome === 'denied' && e.reason === 'scope_not_granted'));
  const found = entries.find((e) => e.action === 'patient.get' && e.outcome === 'success' && e.patient_id === box.seed.patientA);
  assert.ok(found, 'the patient found by MRN is on record');
  for (const e of entries) {
    assert.equal(e.actor_role, 'fhir_client');
    assert.equal(e.actor_id, box.seed.fhirClient.id);
  }
});

/** Polls a search until it finds `n` entries (bounded). */
async function waitForObservations(tokenValue, query, n) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const res = await call(box, 'GET', `/fhir/Observation?${query}`, { token: tokenValue });
    assert.equal(res.status, 200, res.body);
    if ((res.json().entry || []).length >= n) return res.json().entry.map((e) => e.resource);
    if (Date.now() > deadline) assert.fail(`timed out after 20 s waiting for ${n} Observations (${query})`);
    await sleep(200);
  }
}

function heartRate(subject, device, time, value) {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${subject}` },
    device: { reference: `Device/${device}` },
    effectiveDateTime: time,
    valueQuantity: { value, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

test('a created Observation is deduplicated like an MQTT reading, and refusals are 422', { skip, timeout: 90000 }, async () => {
  const t = await bearer('system/Observation.crs system/Device.rs');
  const devices = await call(box, 'GET', `/fhir/Device?patient=${box.seed.patientA}`, { token: t });
  assert.equal(devices.status, 200, devices.body);
  const device = devices.json().entry.map((e) => e.resource).find((d) => d.identifier[0].value === box.seed.deviceA);
  assert.ok(device, 'patient A\'s cuff');
  // The device sends a reading over MQTT (after its assignment: ingest refuses earlier times).
  const when = new Date(Date.now() + 2000).toISOString().replace(/\.\d+Z$/, 'Z');
  await box.publish(box.seed.deviceA, { readings: [{ kind: 'heart_rate', unit: '/min', value: 77, time: when }] });
  const later = new Date(Date.parse(when) + 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  // Both seconds (date=ge<when>&date=le<later>: each value is its second).
  const query = `patient=${box.seed.patientA}&code=8867-4&date=ge${when}&date=le${later}`;
  const [stored] = await waitForObservations(t, query, 1);

  // The same reading through FHIR: 200 and the stored one, nothing new.
  const dup = await call(box, 'POST', '/fhir/Observation', { token: t, body: heartRate(box.seed.patientA, device.id, when, 77) });
  assert.equal(dup.status, 200, dup.body);
  assert.equal(dup.json().id, stored.id);
  // A new one: 201 with its Location; sent again: 200, the same id.
  const created = await call(box, 'POST', '/fhir/Observation', { token: t, body: heartRate(box.seed.patientA, device.id, later, 81) });
  assert.equal(created.status, 201, created.body);
  assert.deepEqual(validateResource(created.json()), []);
  assert.match(created.headers.location, new RegExp(`/fhir/Observation/${created.json().id}/_history/1$`));
  const again = await call(box, 'POST', '/fhir/Observation', { token: t, body: heartRate(box.seed.patientA, device.id, later, 81) });
  assert.equal(again.status, 200, again.body);
  assert.equal(again.json().id, created.json().id);
  const all = await waitForObservations(t, query, 2);
  assert.equal(all.length, 2, 'two readings in those two seconds, not four');

  // Refused: the subject is not the device's patient; an impossible heart rate (kept for review).
  const other = await call(box, 'POST', '/fhir/Observation', { token: t, body: heartRate(box.seed.patientB, device.id, later, 81) });
  assert.equal(other.status, 422, other.body);
  const impossible = await call(box, 'POST', '/fhir/Observation', {
    token: t, body: heartRate(box.seed.patientA, device.id, new Date(Date.parse(when) + 3000).toISOString(), 900),
  });
  assert.equal(impossible.status, 422, impossible.body);
  assert.match(impossible.json().issue[0].diagnostics, /impossible_value/);
  // Without the create scope.
  const readOnly = await bearer('system/Observation.rs');
  const noScope = await call(box, 'POST', '/fhir/Observation', { token: readOnly, body: heartRate(box.seed.patientA, device.id, later, 81) });
  assert.equal(noScope.status, 403);
});

test('a client with system/*.rs reads the open alert as a Flag, the prescription and $everything', { skip, timeout: 60000 }, async () => {
  const t = await bearer('system/*.rs');
  const flags = await call(box, 'GET', `/fhir/Flag?patient=${box.seed.patientA}`, { token: t });
  assert.equal(flags.status, 200, flags.body);
  const flag = flags.json().entry.map((e) => e.resource).find((f) => f.id === `${box.seed.patientA}-${box.seed.fhir.alert}`);
  assert.ok(flag, 'the seeded open alert');
  assert.deepEqual(validateResource(flag), []);
  assert.equal(flag.status, 'active');
  const rx = await call(box, 'GET', `/fhir/MedicationRequest/${box.seed.patientA}-${box.seed.fhir.prescription}`, { token: t });
  assert.equal(rx.status, 200, rx.body);
  assert.deepEqual(validateResource(rx.json()), []);
  const everything = await call(box, 'GET', `/fhir/Patient/${box.seed.patientA}/$everything`, { token: t });
  assert.equal(everything.status, 200, everything.body);
  const types = new Set(everything.json().entry.map((e) => e.resource.resourceType));
  for (const type of ['Patient', 'Observation', 'Device', 'Flag', 'MedicationRequest'])
    assert.ok(types.has(type), `$everything has a ${type}`);
  // The prescriber as a Practitioner (with the NPI the seed gave Dr. Lee); a patient account is none.
  const lee = await call(box, 'GET', `/fhir/Practitioner/${box.seed.provider.id}`, { token: t });
  assert.equal(lee.status, 200, lee.body);
  assert.deepEqual(validateResource(lee.json()), []);
  assert.equal(lee.json().identifier[0].value, '1245319599');
  assert.equal((await call(box, 'GET', `/fhir/Practitioner/${box.seed.patientUser.id}`, { token: t })).status, 404);
  const found = await call(box, 'GET', `/fhir/Practitioner?_id=${box.seed.provider.id}`, { token: t });
  assert.equal(found.json().total, 1);
  // A client without read on every type gets no $everything.
  const narrow = await bearer('system/Observation.rs system/Patient.rs');
  const refused = await call(box, 'GET', `/fhir/Patient/${box.seed.patientA}/$everything`, { token: narrow });
  assert.equal(refused.status, 403);
});

test('free time: the provider\'s Schedule and its free Slots of a type over a week', { skip, timeout: 60000 }, async () => {
  const t = await bearer('system/Schedule.rs system/Slot.rs system/Appointment.rs');
  const provider = box.seed.provider.id;
  const type = box.seed.fhir.type;
  const appointment = await call(box, 'GET', `/fhir/Appointment/${box.seed.patientA}-${box.seed.fhir.appointment}`, { token: t });
  assert.equal(appointment.status, 200, appointment.body);
  assert.equal(appointment.json().serviceType[0].coding[0].code, String(type), 'the type a Slot search names');
  const schedule = await call(box, 'GET', `/fhir/Schedule/${provider}`, { token: t });
  assert.equal(schedule.status, 200, schedule.body);
  assert.deepEqual(validateResource(schedule.json()), []);
  assert.equal(schedule.json().actor[0].reference, `Practitioner/${provider}`);
  assert.equal((await call(box, 'GET', `/fhir/Schedule/${box.seed.patientUser.id}`, { token: t })).status, 404,
    'a patient account has no Schedule');
  // The seed's week: 09:00-17:00 America/Chicago every day; candidate starts every 15 minutes
  // (docs/scheduling.md) for a 30-minute type: 09:00 ... 16:30, 31 a day.
  const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
  const query = `schedule=Schedule/${provider}&service-type=urn:vigil:appointment-type|${type}&start=ge${day(2)}&start=lt${day(9)}`;
  const page = await call(box, 'GET', `/fhir/Slot?${query}&_count=10`, { token: t });
  assert.equal(page.status, 200, page.body);
  const b = page.json();
  assert.equal(b.total, 7 * 31, 'seven days of 31 starts');
  assert.equal(b.entry.length, 10);
  assert.ok(b.link.find((l) => l.relation === 'next'), 'a next page');
  for (const e of b.entry) {
    assert.deepEqual(validateResource(e.resource), []);
    assert.equal(e.resource.status, 'free');
    assert.equal(e.resource.schedule.reference, `Schedule/${provider}`);
    assert.equal(Date.parse(e.resource.end) - Date.parse(e.resource.start), 30 * 60000);
  }
  const first = b.entry[0].resource;
  const read = await call(box, 'GET', `/fhir/Slot/${first.id}`, { token: t });
  assert.equal(read.status, 200, read.body);
  assert.deepEqual(read.json(), first);
  const gone = first.id.replace(/-(\d+)$/, (_, ms) => `-${Number(ms) + 60000}`);  // not a slot start
  assert.equal((await call(box, 'GET', `/fhir/Slot/${gone}`, { token: t })).status, 404);
  const tooLong = await call(box, 'GET', `/fhir/Slot?schedule=Schedule/${provider}&service-type=${type}&start=ge${day(1)}&start=lt${day(60)}`, { token: t });
  assert.equal(tooLong.status, 400);
});
