// The conformance validator itself (issue 26): resources written by hand from the FHIR R4
// specification (the resource pages and http://hl7.org/fhir/R4/observation-vitalsigns.html) pass;
// each broken one is refused for the reason it was broken for. A validator that cannot fail
// proves nothing about what the box serves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource, validateBundle } from './validate.mjs';

const patientUrn = 'urn:uuid:3f1c7a52-8d4e-4b7a-9c1e-2a5b6c7d8e90';
const vitalCategory = [{
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }],
  text: 'Vital Signs',
}];
const vs = (name) => `http://hl7.org/fhir/StructureDefinition/${name}`;
const ucum = (value, code) => ({ value, unit: code, system: 'http://unitsofmeasure.org', code });
const loinc = (code, display) => ({ coding: [{ system: 'http://loinc.org', code, display }] });

function observation(extra) {
  return {
    resourceType: 'Observation',
    id: 'obs-1',
    status: 'final',
    category: vitalCategory,
    subject: { reference: patientUrn },
    effectiveDateTime: '2026-11-29T10:14:55.000Z',
    issued: '2026-11-29T10:15:02.120Z',
    ...extra,
  };
}

const good = {
  heartRate: observation({
    meta: { profile: [vs('vitalsigns'), vs('heartrate')] },
    code: loinc('8867-4', 'Heart rate'),
    valueQuantity: ucum(64, '/min'),
  }),
  bloodPressure: observation({
    meta: { profile: [vs('vitalsigns'), vs('bp')] },
    code: loinc('85354-9', 'Blood pressure panel with all children optional'),
    component: [
      { code: loinc('8480-6', 'Systolic blood pressure'), valueQuantity: ucum(128, 'mm[Hg]') },
      { code: loinc('8462-4', 'Diastolic blood pressure'), valueQuantity: ucum(82, 'mm[Hg]') },
    ],
  }),
  spo2: observation({
    code: {
      coding: [
        { system: 'http://loinc.org', code: '2708-6', display: 'Oxygen saturation in Arterial blood' },
        { system: 'http://loinc.org', code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry' },
      ],
    },
    valueQuantity: ucum(97, '%'),
  }),
  weight: observation({ code: loinc('29463-7', 'Body weight'), valueQuantity: ucum(81.2, 'kg') }),
  temperature: observation({
    code: loinc('8310-5', 'Body temperature'),
    effectivePeriod: { start: '2026-11-29T10:10:00Z', end: '2026-11-29T10:14:00Z' },
    effectiveDateTime: undefined,
    valueQuantity: ucum(98.6, '[degF]'),
  }),
  respiratoryRate: observation({ code: loinc('9279-1', 'Respiratory rate'), dataAbsentReason: { text: 'Unknown' } }),
  glucose: {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: loinc('2339-0', 'Glucose [Mass/volume] in Blood'),
    subject: { reference: patientUrn },
    effectiveDateTime: '2026-11-29',
    valueQuantity: ucum(104, 'mg/dL'),
  },
  patient: {
    resourceType: 'Patient',
    id: 'p-1',
    name: [{ use: 'official', family: 'Silva', given: ['Ana'] }],
    telecom: [{ system: 'phone', value: '+1 512 555 0142' }],
    birthDate: '1956-03-02',
    address: [{ use: 'home', line: ['12 Elm St'], city: 'Austin', state: 'TX' }],
  },
  consent: {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'treatment' }] },
    category: [loinc('59284-0', 'Patient Consent')],
    patient: { reference: patientUrn },
    dateTime: '2026-11-01T09:00:00Z',
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
  },
  // A required choice holding false (FHIR.js alone reads it as missing: validate.mjs).
  dispenseAsWritten: {
    resourceType: 'MedicationRequest', id: 'daw', status: 'active', intent: 'order',
    medicationCodeableConcept: { text: 'lisinopril 10 MG Oral Tablet' },
    subject: { reference: patientUrn },
    substitution: { allowedBoolean: false },
  },
};
delete good.temperature.effectiveDateTime;

for (const [name, resource] of Object.entries(good)) {
  test(`a conforming ${name} passes`, { timeout: 30000 }, () => {
    assert.deepEqual(validateResource(resource), []);
  });
}

/** [name, resource, pattern one problem must match]: each bad resource and why it is bad. */
const without = (o, key) => { const c = structuredClone(o); delete c[key]; return c; };
const bad = [
  // The R4 base specification.
  ['an Observation without status (1..1)', without(good.glucose, 'status'), /structure: Observation\.status/],
  ['an Observation with an unknown status', { ...good.glucose, status: 'done' }, /Observation\.status .*(allowed values|value set)/],
  ['an Observation without code (1..1)', without(good.glucose, 'code'), /required property 'code'|Observation\.code/],
  ['a value of the wrong JSON type', { ...good.glucose, valueQuantity: { ...ucum(104, 'mg/dL'), value: '104' } },
    /valueQuantity\.value must be number|Number type expected/],
  ['an unknown element', { ...good.glucose, reading: 104 }, /additional properties \(reading\)/],
  ['a dateTime that is not one', { ...good.glucose, effectiveDateTime: '29/11/2026 10:14' }, /effectiveDateTime must match pattern/],
  ['an empty string', { ...good.patient, birthDate: '1956-03-02', name: [{ family: '' }] }, /name\.0\.family must match pattern/],
  ['a 0..1 element given as an array', { ...good.glucose, subject: [{ reference: patientUrn }] }, /subject(\.0: Unexpected property| must be object)/],
  ['a value and a dataAbsentReason (obs-6)', { ...good.glucose, dataAbsentReason: { text: 'Unknown' } }, /invariant obs-6/],
  ['a Consent without policy or policyRule (ppc-1)', without(good.consent, 'policyRule'), /invariant ppc-1/],
  ['a Quantity with a code but no system (qty-3)', { ...good.glucose, valueQuantity: { value: 104, code: 'mg/dL' } }, /invariant qty-3/],
  ['a Period that ends before it starts (per-1)',
    { ...good.temperature, effectivePeriod: { start: '2026-11-29T10:14:00Z', end: '2026-11-29T10:10:00Z' } }, /invariant per-1/],
  ['an empty element (ele-1)', { ...good.glucose, code: { coding: [{}] } }, /invariant ele-1/],
  ['a resource type R4 does not have', { ...good.glucose, resourceType: 'Reading' }, /not an R4 resource/],
  // The vital-signs profile.
  ['a vital sign without the vital-signs category (VSCat)',
    { ...good.heartRate, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'exam' }] }] },
    /category must have the coding .*vital-signs/],
  ['a vital sign without subject', without(good.heartRate, 'subject'), /vital-signs: subject/],
  ['a vital sign without effective[x]', without(good.heartRate, 'effectiveDateTime'), /vital-signs: effective\[x\] is required/],
  ['a vital sign without value or dataAbsentReason (vs-2)', without(good.weight, 'valueQuantity'), /vs-2/],
  ['a heart rate in the wrong unit', { ...good.heartRate, valueQuantity: ucum(64, '/s') }, /heartrate: valueQuantity\.code \/s is not one of \/min/],
  ['a heart rate whose quantity is not UCUM', { ...good.heartRate, valueQuantity: { value: 64, unit: 'bpm', system: 'http://example.org/units', code: 'bpm' } },
    /valueQuantity\.system must be http:\/\/unitsofmeasure\.org/],
  ['a heart rate without a number', { ...good.heartRate, valueQuantity: { unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } },
    /valueQuantity\.value is required/],
  ['a heart rate profile on another LOINC code', { ...good.heartRate, code: loinc('8889-8', 'Heart rate by Pulse oximetry') },
    /heartrate: code must have the LOINC coding 8867-4/],
  ['a weight in stones', { ...good.weight, valueQuantity: ucum(12.8, '[stone_av]') }, /bodyweight: valueQuantity\.code \[stone_av\] is not one of/],
  ['a temperature in kelvin', { ...good.weight, code: loinc('8310-5', 'Body temperature'), valueQuantity: ucum(310, 'K') }, /bodytemp: valueQuantity\.code K/],
  ['an SpO2 with 59408-5 only (oxygensat requires 2708-6)',
    { ...good.spo2, code: loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry') }, /oxygensat: code must have the LOINC coding 2708-6/],
  ['a blood pressure without its diastolic component',
    { ...good.bloodPressure, component: [good.bloodPressure.component[0]] }, /bp: exactly one diastolic component \(LOINC 8462-4\)/],
  ['a blood pressure component in kPa',
    { ...good.bloodPressure, component: [good.bloodPressure.component[0], { code: loinc('8462-4', 'Diastolic blood pressure'), valueQuantity: ucum(10.9, 'kPa') }] },
    /diastolic valueQuantity\.code kPa is not one of mm\[Hg\]/],
  ['a substitution without allowed[x] (1..1)', { ...good.dispenseAsWritten, substitution: { reason: { text: 'brand' } } },
    /MedicationRequest\.substitution\.allowed\[x\]: Missing property/],
  ['a blood pressure with a valueQuantity of its own', { ...good.bloodPressure, valueQuantity: ucum(128, 'mm[Hg]') }, /bp: the panel has no valueQuantity/],
  ['a blood pressure component with neither value nor dataAbsentReason (vs-3)',
    { ...good.bloodPressure, component: [good.bloodPressure.component[0], { code: loinc('8462-4', 'Diastolic blood pressure') }] }, /vs-3/],
];

for (const [name, resource, reason] of bad) {
  test(`refused: ${name}`, { timeout: 30000 }, () => {
    const problems = validateResource(resource);
    assert.ok(problems.some((p) => reason.test(p)), `expected a problem matching ${reason}, got ${JSON.stringify(problems, null, 1)}`);
  });
}

test('a Bundle: every entry validated, references resolved, fullUrls unique', { timeout: 30000 }, () => {
  const entry = (fullUrl, resource) => ({ fullUrl, resource });
  const ok = {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: '2026-11-29T10:20:00.000Z',
    entry: [entry(patientUrn, good.patient), entry('urn:uuid:8e6a2c1d-1b2c-4d5e-8f90-0a1b2c3d4e5f', good.heartRate)],
  };
  assert.deepEqual(validateBundle(ok), []);
  const broken = structuredClone(ok);
  broken.entry[1].resource.status = 'done';
  broken.entry[1].resource.subject.reference = 'urn:uuid:00000000-0000-4000-8000-000000000000';
  broken.entry.push(structuredClone(broken.entry[1]));
  const problems = [...validateBundle(broken), ...validateBundle({ ...ok, type: 'pile' })];
  for (const want of [/^entry\[1\] Observation: .*status/, /reference urn:uuid:0{8}-.* is not in the Bundle/,
    /entry\[2\]\.fullUrl .* is not unique/, /Bundle\.type/]) {
    assert.ok(problems.some((p) => want.test(p)), `expected ${want} in ${JSON.stringify(problems, null, 1)}`);
  }
});
