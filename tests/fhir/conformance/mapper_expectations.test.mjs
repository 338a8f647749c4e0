// The mappers' expected resources validate too (issue 26): tests/fhir/resources_test.cpp compares
// each mapper's output with FHIR JSON written by hand; every such expected resource (a raw-string
// literal with a resourceType) must itself pass validate.mjs. With unit-fhir green, this covers
// the mappers the served download of served.test.mjs does not reach with its seed (Encounter for
// a video visit, DocumentReference for a signed note).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateResource, validateBundle } from './validate.mjs';

const source = readFileSync(new URL('../resources_test.cpp', import.meta.url), 'utf8');
const expected = [...source.matchAll(/R"\((\{[\s\S]*?\})\)"/g)]
  .map((m) => { try { return JSON.parse(m[1]); } catch { return null; } })
  .filter((o) => o && typeof o.resourceType === 'string');

test('resources_test.cpp has expected resources of every mapper', { timeout: 10000 }, () => {
  const types = new Set(expected.map((r) => r.resourceType));
  for (const t of ['Patient', 'Observation', 'Condition', 'MedicationStatement', 'AllergyIntolerance', 'Coverage',
    'Consent', 'Encounter', 'DocumentReference', 'MedicationRequest', 'Flag', 'Appointment'])
    assert.ok(types.has(t), `an expected ${t} in resources_test.cpp`);
});

for (const [i, r] of expected.entries()) {
  test(`the expected ${r.resourceType} ${r.id ?? i} of resources_test.cpp validates`, { timeout: 30000 }, () => {
    const problems = r.resourceType === 'Bundle' ? validateBundle(r) : validateResource(r);
    assert.deepEqual(problems, []);
  });
}
