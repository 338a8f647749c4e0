// The patient record in a real browser against a real vigild (issue 21): the patient (Ana
// Silva) fills in her contact details and reports an allergy on My record; the provider finds
// her by a name prefix in the patient list (server-side search), opens her record from the
// chart, sees the allergy marked as patient-reported, is refused a malformed ICD-10-CM code (the
// field is named), enters a valid one, and the history lists both changes. Screenshots of each
// step go to the e2e artifacts. Then the patient downloads her record (issue 21, right of
// access): the FHIR file is a collection Bundle with her Patient, the provider's Condition and
// her allergy; the readable summary is an HTML page without script.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime } from './harness.mjs';

let box;
const browsers = [];
const pages = [];

before(async () => {
  box = await startVigild();
}, { timeout: 120000 });

after(async () => {
  for (const b of browsers) await b.close();
  if (box) await box.stop();
}, { timeout: 60000 });

async function newPage() {
  const b = await startBrowser({ width: 1100, height: 1000 });
  browsers.push(b);
  const p = await openPage(b.context);
  pages.push(p);
  return p;
}

test('the patient fills in her record, the provider finds her and adds a problem', { timeout: 300000 }, async () => {
  try {
    const patient = await newPage();
    await signIn(patient.page, box, box.seed.patientUser.email);
    await patient.page.getByRole('link', { name: 'My record' }).click();
    await patient.page.getByRole('heading', { name: 'My record' }).waitFor();
    const contact = patient.page.getByRole('region', { name: 'Contact details' });
    await contact.getByRole('button', { name: 'Edit' }).click();
    await contact.getByLabel('E-mail').fill('ana.silva@example.org');
    await contact.getByLabel('Phone').fill('+1 (512) 555-0142');
    await contact.getByLabel('Street address').fill('12 Elm St');
    await contact.getByLabel('City').fill('Austin');
    await contact.getByRole('button', { name: 'Save' }).click();
    await contact.getByText('+1 (512) 555-0142').waitFor();
    const allergies = patient.page.getByRole('region', { name: 'Allergies' });
    await allergies.getByRole('button', { name: 'Edit' }).click();
    await allergies.getByRole('button', { name: 'Add' }).click();
    await allergies.getByLabel('Substance').fill('Penicillin');
    await allergies.getByLabel('Reaction').fill('Hives');
    await allergies.getByLabel('Severity').selectOption('moderate');
    await allergies.getByRole('button', { name: 'Save' }).click();
    await allergies.getByRole('cell', { name: 'Penicillin' }).waitFor();
    await screenshot(patient.page, '01-record-patient');
    assert.deepEqual(patient.problems, []);

    const provider = await newPage();
    await signInStaffFirstTime(provider.page, box, box.seed.provider.email);
    await provider.page.getByRole('link', { name: 'Patients' }).click();
    await provider.page.getByLabel('Find').fill('sil');
    await provider.page.getByRole('link', { name: /Silva/ }).click();
    await provider.page.getByRole('link', { name: 'Record', exact: true }).click();
    await provider.page.getByRole('heading', { name: /^Record: Ana Silva/ }).waitFor();
    const seen = provider.page.getByRole('region', { name: 'Allergies' });
    await seen.getByRole('cell', { name: 'Patient', exact: true }).waitFor();
    const problems = provider.page.getByRole('region', { name: 'Problems' });
    await problems.getByRole('button', { name: 'Edit' }).click();
    await problems.getByRole('button', { name: 'Add' }).click();
    await problems.getByLabel('ICD-10-CM code').fill('I10-0');
    await problems.getByLabel('Description').fill('Essential hypertension');
    await problems.getByRole('button', { name: 'Save' }).click();
    await problems.getByText(/problems\[0\]\.code/).waitFor();
    await problems.getByLabel('ICD-10-CM code').fill('i10');
    await problems.getByRole('button', { name: 'Save' }).click();
    await problems.getByRole('cell', { name: 'I10' }).waitFor();
    const history = provider.page.getByRole('region', { name: 'History' });
    await history.getByRole('cell', { name: 'Problems' }).waitFor();
    assert.equal(await history.getByRole('row').count(), 4);  // header + 3 versions
    await screenshot(provider.page, '02-record-provider');
    // Version 1, as it was: the contact details only, no allergy or problem yet; read-only.
    await history.getByRole('button', { name: 'View version 1' }).click();
    await provider.page.locator('.past-version', { hasText: 'You are looking at version 1' }).waitFor();
    await provider.page.getByRole('region', { name: 'Contact details' }).getByText('+1 (512) 555-0142').waitFor();
    await provider.page.getByRole('region', { name: 'Allergies' }).getByText('None recorded').waitFor();
    await provider.page.getByRole('region', { name: 'Problems' }).getByText('None recorded').waitFor();
    assert.equal(await provider.page.getByRole('button', { name: 'Edit' }).count(), 0);
    await screenshot(provider.page, '02b-record-past-version');
    await provider.page.getByRole('button', { name: 'Back to the current record' }).click();
    await provider.page.getByRole('region', { name: 'Problems' }).getByRole('cell', { name: 'I10' }).waitFor();
    // The refused save shows as a failed request; nothing else went wrong on the page.
    assert.deepEqual(provider.problems.filter((p) => !/422/.test(p)), []);
  } catch (e) {
    for (const [i, p] of pages.entries()) {
      await screenshot(p.page, `record-failure-page${i}`).catch(() => {});
      if (p.problems.length) console.error(`page ${i} problems:`, p.problems);
    }
    throw e;
  }
});

test('the patient downloads her record as a FHIR Bundle and a readable page', { timeout: 300000 }, async () => {
  const patient = await newPage();
  try {
    await signIn(patient.page, box, box.seed.patientUser.email);
    await patient.page.getByRole('link', { name: 'My record' }).click();
    const card = patient.page.getByRole('region', { name: 'Download your record' });
    const [fhirFile] = await Promise.all([
      patient.page.waitForEvent('download', { timeout: 30000 }),
      card.getByRole('link', { name: 'FHIR record (JSON)' }).click(),
    ]);
    assert.match(fhirFile.suggestedFilename(), /^vigil-record-\d+-\d{8}\.json$/);
    const bundle = JSON.parse(await readFile(await fhirFile.path(), 'utf8'));
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    const of = (type) => bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === type);
    assert.equal(of('Patient').length, 1);
    assert.equal(of('Patient')[0].name[0].family, 'Silva');
    assert.ok(of('Condition').some((c) => c.code.coding[0].code === 'I10'));
    assert.ok(of('AllergyIntolerance').some((a) => a.code.text === 'Penicillin'));
    // The download is the FHIR API's $everything (issue 26): each entry's fullUrl is the API's
    // URL of the resource, <base>/<Type>/<id>, and the Patient's id is the box's.
    for (const e of bundle.entry) assert.ok(e.fullUrl.endsWith(`/fhir/${e.resource.resourceType}/${e.resource.id}`), e.fullUrl);
    assert.equal(of('Patient')[0].id, String(box.seed.patientA));
    const [htmlFile] = await Promise.all([
      patient.page.waitForEvent('download', { timeout: 30000 }),
      card.getByRole('link', { name: 'Readable summary (HTML)' }).click(),
    ]);
    const html = await readFile(await htmlFile.path(), 'utf8');
    assert.ok(html.includes('Penicillin'));
    assert.ok(!html.includes('<script'));
    await screenshot(patient.page, '03-record-download');
    assert.deepEqual(patient.problems, []);
  } catch (e) {
    await screenshot(patient.page, 'record-download-failure').catch(() => {});
    if (patient.problems.length) console.error('problems:', patient.problems);
    throw e;
  }
});
