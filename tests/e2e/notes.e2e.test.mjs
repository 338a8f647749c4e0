// Clinical notes in a real browser against a real vigild (issue 23): the provider opens Ana
// Silva's chart, starts a note from the RPM monthly review template, inserts her latest vitals
// (the seed's week of blood pressure readings) into the Objective, writes the other sections,
// signs (the page shows the note locked, no editor left), and adds an addendum; then Ana opens
// Visit summaries and reads the assessment and plan, and not the subjective. Screenshots of each
// step go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime } from './harness.mjs';

let box;
const browsers = [];

before(async () => {
  box = await startVigild();
}, { timeout: 120000 });

after(async () => {
  for (const b of browsers) await b.close();
  if (box) await box.stop();
}, { timeout: 60000 });

async function newPage() {
  const b = await startBrowser({ width: 1100, height: 1100 });
  browsers.push(b);
  return openPage(b.context);
}

test('a provider writes and signs an RPM review with an addendum; the patient reads the summary', { timeout: 300000 }, async () => {
  const provider = await newPage();
  await signInStaffFirstTime(provider.page, box, box.seed.provider.email);
  await provider.page.getByRole('link', { name: 'Patients' }).click();
  await provider.page.getByRole('link', { name: /Silva/ }).click();
  await provider.page.getByRole('link', { name: 'Notes', exact: true }).click();
  await provider.page.getByRole('heading', { name: /^Notes: Ana Silva/ }).waitFor();
  await provider.page.getByLabel('Template').selectOption({ label: 'Chronic care / RPM monthly review (v1)' });
  assert.equal(await provider.page.getByLabel('Encounter').inputValue(), 'rpm_review');
  await screenshot(provider.page, 'notes-01-new');
  await provider.page.getByRole('button', { name: 'Start note' }).click();
  await provider.page.getByRole('heading', { name: /^Chronic care \/ RPM monthly review: Ana Silva/ }).waitFor();

  await provider.page.getByRole('button', { name: 'Insert latest vitals' }).click();
  const objective = provider.page.getByLabel('Objective');
  await provider.page.waitForFunction(() => document.getElementById('soap-objective').value.includes('Latest vitals'));
  assert.match(await objective.inputValue(), /Blood pressure|mm\[Hg\]|mmHg/);
  await provider.page.getByLabel('Subjective').fill('Feels well; measures most mornings.');
  await provider.page.getByLabel('Assessment').fill('Hypertension, above goal this month.');
  await provider.page.getByLabel('Plan').fill('Increase lisinopril to 20 mg; review next month.');
  await provider.page.getByRole('button', { name: 'Save draft' }).click();
  await screenshot(provider.page, 'notes-02-draft');
  await provider.page.getByRole('button', { name: 'Sign', exact: true }).click();
  await provider.page.getByText('Signed', { exact: true }).first().waitFor();
  await provider.page.getByText(/^Signed .* by Dr\. Mei Lee/).first().waitFor();  // the signer by name
  assert.equal(await provider.page.getByLabel('Subjective').count(), 0);  // no editor once signed
  await provider.page.getByLabel('New addendum').fill('Pharmacy confirmed the new dose.');
  await provider.page.getByRole('button', { name: 'Sign addendum' }).click();
  await provider.page.getByText('Pharmacy confirmed the new dose.').waitFor();
  await screenshot(provider.page, 'notes-03-signed-addendum');

  const patient = await newPage();
  await signIn(patient.page, box, box.seed.patientUser.email);
  await patient.page.getByRole('link', { name: 'Visit summaries' }).click();
  await patient.page.getByRole('heading', { name: 'Visit summaries', exact: true }).waitFor();
  await patient.page.getByText('Hypertension, above goal this month.').waitFor();
  await patient.page.getByText('Increase lisinopril to 20 mg; review next month.').waitFor();
  await patient.page.getByText(/Pharmacy confirmed the new dose/).waitFor();
  await patient.page.getByText(/^Signed .* by Dr\. Mei Lee/).waitFor();
  assert.equal(await patient.page.getByText('Feels well; measures most mornings.').count(), 0);
  await screenshot(patient.page, 'notes-04-patient-summary');
});
