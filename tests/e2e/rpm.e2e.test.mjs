// RPM enrolment in a real browser against a real vigild (issue 21): the clinic has published its
// RPM consent and the patient (Ana Silva) has signed it (e2e_seed --rpm). The provider opens her
// chart, whose RPM enrolment card offers the enrol form; the provider enrols her for I10 with her
// blood pressure cuff (chosen by name); the card lists the episode with the device's kind and
// model, and a second I10 enrolment is refused. Ana withdraws the RPM consent on her Consents
// page; the provider's chart then shows the episode ended ("Patient withdrew RPM consent") and
// the no-consent notice instead of the form. Ana's own page shows the ended episode read-only.
// Screenshots of each step go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime } from './harness.mjs';

let box;
const browsers = [];
const pages = [];

before(async () => {
  box = await startVigild({ seedArgs: ['--rpm'] });
}, { timeout: 120000 });

after(async () => {
  for (const b of browsers) await b.close();
  if (box) await box.stop();
}, { timeout: 60000 });

async function newPage() {
  const b = await startBrowser({ width: 1200, height: 1000 });
  browsers.push(b);
  const p = await openPage(b.context);
  pages.push(p);
  return p;
}

async function withEvidence(body) {
  try {
    await body();
  } catch (e) {
    for (const [i, p] of pages.entries()) {
      await screenshot(p.page, `rpm-failure-page${i}`).catch(() => {});
      if (p.problems.length) console.error(`page ${i} problems:`, p.problems);
    }
    throw e;
  }
}

test('a provider enrols a consenting patient; her withdrawal ends the episode', { timeout: 300000 }, () => withEvidence(async () => {
  const provider = await newPage();
  await signInStaffFirstTime(provider.page, box, box.seed.provider.email);
  await provider.page.goto(`${box.url}/#/patients/${box.seed.patientA}`);
  const card = provider.page.locator('[data-testid="rpm-card"]');
  await card.getByRole('heading', { name: 'RPM enrolment' }).waitFor({ timeout: 15000 });
  await card.getByText('Not enrolled in remote monitoring.').waitFor();
  const form = card.getByRole('form', { name: 'Enrol in remote monitoring' });
  await form.getByLabel('Condition (ICD-10-CM code)').fill('i10');
  await form.getByLabel('Condition description').fill('Essential (primary) hypertension');
  await form.getByLabel('Blood pressure monitor · Omron BP7450').check();
  await screenshot(provider.page, 'rpm-enrol-form');
  await form.getByRole('button', { name: 'Enrol' }).click();
  const active = card.locator('li.rpm-active[data-code="I10"]');
  await active.waitFor({ timeout: 15000 });
  const text = await active.innerText();
  assert.match(text, /Essential \(primary\) hypertension/);
  assert.match(text, /Devices: Blood pressure monitor · Omron BP7450/);
  assert.doesNotMatch(text, /not billable/);
  await screenshot(provider.page, 'rpm-enrolled');
  // A second enrolment for I10 is refused while the first is active.
  await form.getByLabel('Condition (ICD-10-CM code)').fill('I10');
  await form.getByLabel('Condition description').fill('Essential (primary) hypertension');
  await form.getByLabel('Blood pressure monitor · Omron BP7450').check();
  await form.getByRole('button', { name: 'Enrol' }).click();
  await card.getByText('The patient is already enrolled for this condition.').waitFor();

  // The patient withdraws her RPM consent on her Consents page.
  const patient = await newPage();
  await signIn(patient.page, box, box.seed.patientUser.email);
  await patient.page.getByRole('link', { name: 'Consents' }).click();
  await patient.page.getByRole('heading', { name: 'My consents' }).waitFor();
  const rpm = patient.page.locator('.consent-kind[data-kind="rpm"]');
  await rpm.locator('.consent-status', { hasText: 'Signed' }).waitFor();
  patient.page.once('dialog', (d) => d.accept());
  await rpm.getByRole('button', { name: 'Withdraw' }).click();
  await rpm.locator('.consent-status', { hasText: 'Not signed' }).waitFor();
  await screenshot(patient.page, 'rpm-consent-withdrawn');

  // The provider's chart: the episode ended by the withdrawal, the notice instead of the form.
  await provider.page.reload();
  await card.getByRole('heading', { name: 'RPM enrolment' }).waitFor({ timeout: 15000 });
  await card.getByText('The patient has no active RPM consent', { exact: false }).waitFor();
  assert.equal(await card.locator('li.rpm-active').count(), 0, 'no active episode is left');
  assert.equal(await card.getByRole('form', { name: 'Enrol in remote monitoring' }).count(), 0, 'no enrol form without consent');
  await card.locator('details.rpm-ended summary').click();
  const ended = await card.locator('li.rpm-ended-item[data-code="I10"]').innerText();
  assert.match(ended, /Patient withdrew RPM consent/);
  await screenshot(provider.page, 'rpm-ended-by-withdrawal');

  // Her own page shows her episode read-only.
  await patient.page.getByRole('link', { name: 'My readings' }).click();
  const own = patient.page.locator('[data-testid="rpm-card"]');
  await own.getByRole('heading', { name: 'My remote monitoring' }).waitFor({ timeout: 15000 });
  assert.equal(await own.locator('form').count(), 0, 'the patient has no form to send');
  await own.locator('details.rpm-ended summary').click();
  assert.match(await own.locator('li.rpm-ended-item').innerText(), /I10/);
  await screenshot(patient.page, 'rpm-own-page');
}));
