// E-prescribing in a real browser against a real vigild enrolled with the cloud stand-in (issue
// 25): Dr. Lee opens Ana Silva's chart → Prescriptions (the pre-checks pass: NPI, Texas license,
// DEA and EPCS access, Ana's address and pharmacy seeded with --rx), finds amlodipine, saves and
// signs it (not controlled: the session signs); then tramadol (C-IV), sees the state rule quoted
// when refills exceed it, saves a valid one and signs it with her password and a fresh code from
// her authenticator (EPCS). The stand-in's pharmacy answers received, then filled; Ana's
// Prescriptions shows both as Filled. Screenshots of each step go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime, totp } from './harness.mjs';

let box;
const browsers = [];

before(async () => {
  box = await startVigild({ seedArgs: ['--rx'], cloud: true });
  await box.ready();
}, { timeout: 120000 });

after(async () => {
  for (const b of browsers) await b.close();
  if (box) await box.stop();
}, { timeout: 60000 });

async function newPage() {
  const b = await startBrowser({ width: 1200, height: 1300 });
  browsers.push(b);
  return openPage(b.context);
}

async function pickDrug(page, query, name) {
  await page.locator('#rx-drug-search').fill(query);
  const choice = page.locator(`button.rx-drug[data-drug="${name}"]`);
  await choice.waitFor({ timeout: 10000 });
  await choice.click();
  await page.locator('#rx-entry').waitFor();
}

test('a provider prescribes a plain and a controlled drug, the patient sees them filled', { timeout: 300000 }, async () => {
  const { page } = await newPage();
  const secret = await signInStaffFirstTime(page, box, box.seed.provider.email);
  await page.goto(`${box.url}/#/patients/${box.seed.patientA}/prescriptions`);
  await page.getByRole('heading', { name: 'New prescription' }).waitFor();
  await page.locator('#rx-allergies, #rx-context').first().waitFor();
  await screenshot(page, 'rx-01-entry-ready');

  // A plain drug: saved as a draft, signed in the session.
  await pickDrug(page, 'amlodipine', 'amlodipine 5 MG Oral Tablet');
  await page.locator('#rx-save').click();
  await page.locator('#rx-sign-form').waitFor();
  await screenshot(page, 'rx-02-amlodipine-draft');
  await page.locator('#rx-sign').click();
  await page.locator('#rx-sign-form .notice.success', { hasText: 'Signed and sent to the pharmacy' }).waitFor();

  // A controlled drug (C-IV): 6 refills break the federal floor (5), quoted.
  await pickDrug(page, 'tramadol', 'tramadol hydrochloride 50 MG Oral Tablet');
  await page.locator('#rx-days').fill('5');
  await page.locator('#rx-quantity').fill('10');
  await page.locator('#rx-refills').fill('6');
  await page.locator('#rx-in-person').fill('2026-11-02');
  await page.locator('#rx-save').click();
  const rule = page.locator('#rx-rule');
  await rule.waitFor();
  assert.match(await rule.textContent(), /1306\.22/);
  await screenshot(page, 'rx-03-tramadol-rule-quoted');
  await page.locator('#rx-refills').fill('0');
  await page.locator('#rx-save').click();
  await page.locator('#rx-sign-form').waitFor();
  await page.locator('#rx-sign-password').fill(box.seed.password);
  let code = totp(secret);
  await page.locator('#rx-sign-code').fill(code);
  await screenshot(page, 'rx-04-tramadol-epcs');
  await page.locator('#rx-sign').click();
  const outcome = page.locator('#rx-sign-form .notice');
  await outcome.waitFor();
  if (/used already|not right/.test(await outcome.textContent())) {
    // The enrolment code's step: wait for the next one and sign again with a new code.
    const next = (Math.floor(Date.now() / 30000) + 1) * 30000;
    await page.waitForTimeout(next - Date.now() + 500);
    code = totp(secret);
    await page.locator('#rx-sign-password').fill(box.seed.password);
    await page.locator('#rx-sign-code').fill(code);
    await page.locator('#rx-sign').click();
  }
  // The form's own notice (the page's live announcer repeats the text for screen readers).
  await page.locator('#rx-sign-form .notice.success', { hasText: 'Signed and sent to the pharmacy: tramadol' })
    .waitFor({ timeout: 35000 });
  await screenshot(page, 'rx-05-signed');

  // The patient sees both turn to Filled (the stand-in fills 2 s after receiving; the box's
  // inbox is fetched every 2 s in this test).
  const patient = await newPage();
  await signIn(patient.page, box, box.seed.patientUser.email);
  await patient.page.getByRole('link', { name: 'Prescriptions' }).click();
  await patient.page.getByRole('heading', { name: 'My prescriptions' }).waitFor();
  const deadline = Date.now() + 60000;
  for (;;) {
    const filled = await patient.page.locator('.rx-status[data-status="filled"]').count();
    if (filled === 2) break;
    if (Date.now() > deadline) throw new Error('the prescriptions were not filled within 60 s');
    await patient.page.waitForTimeout(1500);
    await patient.page.reload();
    await patient.page.getByRole('heading', { name: 'My prescriptions' }).waitFor();
  }
  const text = await patient.page.locator('#rx-list').textContent();
  assert.match(text, /amlodipine 5 MG Oral Tablet/);
  assert.match(text, /tramadol hydrochloride 50 MG Oral Tablet \(C-IV\)/);
  await screenshot(patient.page, 'rx-06-patient-filled');
  const submits = box.cloud.recorded().filter((l) => l.endsWith(' rx.submit'));
  assert.equal(submits.length, 2);
});
