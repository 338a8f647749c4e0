// What a real vigild serves as FHIR R4 validates (issue 26's conformance): the box is seeded by
// e2e_seed (--billing: insurance, the RPM and telehealth consents), a provisioned device
// publishes a reading of every kind the device protocol has through a real Mosquitto (the
// product's ingest path), the patient fills in her record through the portal's API (contact,
// emergency contact, language, a medication, an allergy, a problem) and downloads her record as
// a FHIR Bundle; the Bundle and every resource in it pass validate.mjs (R4 schema, structure,
// invariants, vital-signs profile). Then fhir-kit-client reads the same resources back through
// readBackWithClient() (read_back.mjs) from the box's own /fhir API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { validateBundle, validateResource } from './validate.mjs';
import { readBackWithClient } from './read_back.mjs';
import { startVigild } from '../../e2e/harness.mjs';
import { call as boxCall, signIn as boxSignIn } from '../box_http.mjs';

const haveBox = Boolean(process.env.VIGILD && process.env.VIGIL_E2E_SEED);
let box;

before(async () => {
  if (!haveBox) return;
  box = await startVigild({ broker: true, seedArgs: ['--billing'] });
  await box.ready(30000);
}, { timeout: 120000 });

after(async () => {
  if (box) await box.stop();
}, { timeout: 60000 });

const call = (method, path, options) => boxCall(box, method, path, options);
const signIn = (email) => boxSignIn(box, email);

/**
 * Every kind of the device protocol (docs/device-protocol.md), some in units the box converts.
 * Timed just after now: ingest refuses a reading from before the device's assignment (the seed
 * assigned it moments ago), and accepts one up to 10 minutes ahead.
 */
function allKinds() {
  const t0 = Date.now();
  const at = (s) => new Date(t0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  return [
    { kind: 'blood_pressure', unit: 'mm[Hg]', components: { systolic: 131, diastolic: 84, mean: 100 }, time: at(1) },
    { kind: 'blood_pressure', unit: 'kPa', components: { systolic: 17.1, diastolic: 10.9 }, time: at(2) },
    { kind: 'heart_rate', unit: '/min', value: 71, time: at(1) },
    { kind: 'spo2', unit: '%', value: 97, time: at(3) },
    { kind: 'body_weight', unit: '[lb_av]', value: 176.4, time: at(4) },
    { kind: 'body_height', unit: 'm', value: 1.68, time: at(4) },
    { kind: 'bmi', unit: 'kg/m2', value: 28.3, time: at(4) },
    { kind: 'body_temperature', unit: '[degF]', value: 98.9, time: at(5) },
    { kind: 'glucose', unit: 'mmol/L', value: 5.8, time: at(6) },
    { kind: 'respiratory_rate', unit: '/min', value: 16, time: at(7) },
    { kind: 'hba1c', unit: '%', value: 6.1, time: at(8) },
    { kind: 'rr_interval', unit: 'ms', value: 840, time: at(9) },
    // Device-local time (no offset): the patient's zone (UTC in the seed) places it.
    { kind: 'heart_rate', unit: '/min', value: 69, time: at(10).replace(/Z$/, '') },
  ];
}



test('the record download of a patient with every kind of reading validates as FHIR R4', { skip: !haveBox && 'run through ctest (fhir-conformance)', timeout: 240000 }, async () => {
  const patient = await signIn(box.seed.patientUser.email);
  const before = await call('GET', '/api/v1/me/record/export?format=fhir', patient);
  assert.equal(before.status, 200, before.body);
  const observationsBefore = JSON.parse(before.body).entry.filter((e) => e.resource.resourceType === 'Observation').length;

  const readings = allKinds();
  await box.publish(box.seed.deviceA, { readings });
  const put = await call('PUT', '/api/v1/me/record', {
    ...patient,
    body: {
      contact: { email: 'ana.silva@example.org', phone: '+1 (512) 555-0142', address: { line1: '12 Elm St', line2: '', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' } },
      emergencyContact: { name: 'João Silva', relationship: 'Son', phone: '+1 512 555 0199' },
      language: 'pt-BR',
      medications: [{ name: 'Lisinopril 10 mg tablet', rxcui: '314076', instructions: 'One tablet every morning' },
        { name: 'Vitamin D', instructions: '' }],
      allergies: [{ substance: 'Penicillin', reaction: 'Hives', severity: 'moderate' }, { substance: 'Latex', reaction: '', severity: 'unknown' }],
      problems: [{ code: 'I10', description: 'Essential (primary) hypertension', onsetDate: '2019-05-01' },
        { code: 'J45.909', description: 'Asthma', status: 'resolved' }],
    },
  });
  assert.ok([200, 204].includes(put.status), `record update: ${put.status} ${put.body}`);

  // The device's readings are stored once ingest has them on disk: wait (bounded) for them.
  const deadline = Date.now() + 30000;
  let bundle;
  for (;;) {
    const res = await call('GET', '/api/v1/me/record/export?format=fhir', patient);
    assert.equal(res.status, 200, res.body);
    bundle = JSON.parse(res.body);
    const n = bundle.entry.filter((e) => e.resource.resourceType === 'Observation').length;
    if (n >= observationsBefore + readings.length) break;
    if (Date.now() > deadline) assert.fail(`timed out after 30 s waiting for the published readings: ${n - observationsBefore} of ${readings.length} stored`);
    await sleep(200);
  }

  const problems = validateBundle(bundle);
  assert.deepEqual(problems, [], `the download does not validate:\n${problems.join('\n')}`);
  const types = new Set(bundle.entry.map((e) => e.resource.resourceType));
  for (const t of ['Patient', 'Observation', 'Coverage', 'Consent', 'MedicationStatement', 'AllergyIntolerance', 'Condition'])
    assert.ok(types.has(t), `the download has a ${t}`);
  const codes = new Set(bundle.entry.flatMap((e) => (e.resource.code?.coding || []).map((c) => c.code)));
  for (const c of ['85354-9', '8867-4', '2708-6', '29463-7', '8302-2', '39156-5', '8310-5', '9279-1', '2339-0', '4548-4'])
    assert.ok(codes.has(c), `an Observation coded ${c}`);

});

// The box's own FHIR API (issue 26): the patient reads her compartment through it with
// fhir-kit-client (her portal session, which the issue allows on her own compartment) and
// everything read must validate.
// Node's fetch (fhir-kit-client's) trusts only known CAs: the harness's self-signed certificate
// is accepted for this test alone.
test('the box\'s /fhir API read back with fhir-kit-client validates', { skip: !haveBox && 'run through ctest (fhir-conformance)', timeout: 120000 }, async () => {
  const probe = await call('GET', '/fhir/metadata');
  assert.equal(probe.status, 200, 'GET /fhir/metadata');
  const patient = await signIn(box.seed.patientUser.email);
  const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  try {
    const got = await readBackWithClient(`${box.url}/fhir`, null, box.seed.patientA, { pageSize: 5, headers: { Cookie: patient.cookie } });
    assert.equal(got.capabilityStatement.resourceType, 'CapabilityStatement');
    assert.deepEqual(validateResource(got.capabilityStatement), []);
    assert.deepEqual(validateResource(got.patient), []);
    assert.ok(got.observations.length >= 13, `the published readings among ${got.observations.length} Observations`);
    for (const b of [...got.observationBundles, ...got.everythingBundles]) {
      assert.equal(b.type, 'searchset');
      const problems = validateBundle(b);
      assert.deepEqual(problems, [], `a searchset does not validate:\n${problems.join('\n')}`);
    }
  } finally {
    if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
  }
});
