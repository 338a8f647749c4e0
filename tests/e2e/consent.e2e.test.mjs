// Consent e-signature in a real browser against a real vigild (issue 21): the clinic has
// published its telehealth consent, the patient (Ana Silva) has not signed it (e2e_seed
// --unsigned). The provider schedules a video visit and joins; the patient opens it and presses
// Join: the box refuses (consent_required) and the visit page shows the consent's text with the
// sign form; a name that is not hers is refused; she types her name, ticks the box, signs and is
// in the waiting room. On her Consents page the telehealth consent is signed; she withdraws it,
// the page says so and keeps the signature in her history; joining again asks for the consent
// again. Then she signs on her Consents page; the admin publishes version 2 asking everyone to
// sign again; her page says so, and she signs version 2. Screenshots of each step go to the e2e
// artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime } from './harness.mjs';

const MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
let box;
const browsers = [];
const pages = [];
let patientPage = null;  // the patient's page, signed in by the first test

before(async () => {
  box = await startVigild({ seedArgs: ['--unsigned'] });
}, { timeout: 120000 });

after(async () => {
  for (const b of browsers) await b.close();
  if (box) await box.stop();
}, { timeout: 60000 });

async function newPage() {
  const b = await startBrowser({ width: 1100, height: 900 }, MEDIA);
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
      await screenshot(p.page, `consent-failure-page${i}`).catch(() => {});
      if (p.problems.length) console.error(`page ${i} problems:`, p.problems);
    }
    throw e;
  }
}

test('the patient signs the telehealth consent when joining a visit, then withdraws it', { timeout: 300000 }, () => withEvidence(async () => {
  // The provider schedules a visit with Ana Silva from the Visits page and joins it.
  const provider = await newPage();
  await signInStaffFirstTime(provider.page, box, box.seed.provider.email);
  await provider.page.getByRole('link', { name: 'Visits' }).click();
  await provider.page.getByRole('heading', { name: 'Schedule a video visit' }).waitFor();
  await provider.page.getByLabel('Patient').selectOption({ label: 'Silva, Ana (MRN-1001)' });
  await provider.page.getByRole('button', { name: 'Schedule visit' }).click();
  const open = provider.page.getByRole('link', { name: /^Open visit \d+$/ });
  await open.waitFor();
  const id = Number((await open.getAttribute('aria-label')).replace('Open visit ', ''));
  await open.click();
  await provider.page.getByRole('button', { name: 'Join visit' }).click();
  await provider.page.getByRole('status').filter({ hasText: 'Connected.' }).waitFor({ timeout: 30000 });

  // The patient joins: the box asks for the telehealth consent first.
  const patient = await newPage();
  patientPage = patient.page;
  await signIn(patient.page, box, box.seed.patientUser.email);
  await patient.page.getByRole('link', { name: 'Visits' }).waitFor();
  await patient.page.evaluate((h) => { location.hash = h; }, `#/visits/${id}`);
  await patient.page.getByRole('button', { name: 'Join visit' }).click();
  const form = patient.page.getByRole('form', { name: 'Sign the Telehealth consent' });
  await form.waitFor({ timeout: 15000 });
  await form.getByRole('heading', { name: 'Consent to telehealth visits (version 1)' }).waitFor();
  assert.match(await form.locator('.consent-text').innerText(), /I agree to receive care from this clinic by live video/);
  await screenshot(patient.page, 'consent-asked-on-join');

  // Someone else's name is refused; her own (any case, extra blanks) signs.
  await form.getByLabel('Type your full name to sign').fill('Ana Silvia');
  await form.getByLabel('I have read this document and I agree to it').check();
  await form.getByRole('button', { name: 'Sign' }).click();
  await form.getByText('The name does not match the name on your record').waitFor();
  await form.getByLabel('Type your full name to sign').fill('  ana silva ');
  await form.getByRole('button', { name: 'Sign' }).click();
  await patient.page.getByText('You are in the waiting room').waitFor({ timeout: 15000 });
  assert.equal(await form.count(), 0, 'the sign form stays after signing');
  await screenshot(patient.page, 'consent-signed-and-waiting');
  // The provider sees her waiting.
  await provider.page.getByRole('button', { name: 'Admit Ana Silva' }).waitFor({ timeout: 15000 });

  // Her Consents page: telehealth signed; she withdraws it.
  await patient.page.getByRole('link', { name: 'Consents' }).click();
  await patient.page.getByRole('heading', { name: 'My consents' }).waitFor();
  const telehealth = patient.page.locator('.consent-kind[data-kind="telehealth"]');
  await telehealth.locator('.consent-status', { hasText: 'Signed' }).waitFor();
  await screenshot(patient.page, 'consent-page-signed');
  patient.page.once('dialog', (d) => d.accept());
  await telehealth.getByRole('button', { name: 'Withdraw' }).click();
  await patient.page.getByRole('status').filter({ hasText: 'Telehealth consent withdrawn.' }).waitFor();
  await telehealth.locator('.consent-status', { hasText: 'Not signed' }).waitFor();
  const history = patient.page.locator('table.consent-history tbody tr');
  assert.equal(await history.count(), 1);
  const cells = await history.first().locator('td').allInnerTexts();
  assert.equal(cells[0], 'Telehealth consent');
  assert.equal(cells[3], 'ana silva', 'the typed name as she typed it (trimmed)');
  assert.notEqual(cells[5], '—', 'the withdrawal time is shown');
  await screenshot(patient.page, 'consent-withdrawn');

  // Joining again asks for the consent again.
  await patient.page.evaluate((h) => { location.hash = h; }, `#/visits/${id}`);
  await patient.page.getByRole('button', { name: 'Join visit' }).click();
  await patient.page.getByRole('form', { name: 'Sign the Telehealth consent' }).waitFor({ timeout: 15000 });
}));

test('a new version that requires it asks the patient to sign again', { timeout: 300000 }, () => withEvidence(async () => {
  assert.ok(patientPage, 'the first test signed the patient in');
  const page = patientPage;
  // She signs the current version (1) from her Consents page.
  await page.getByRole('link', { name: 'Consents' }).click();
  const telehealth = page.locator('.consent-kind[data-kind="telehealth"]');
  await telehealth.getByRole('button', { name: 'Read and sign' }).click();
  let form = page.getByRole('form', { name: 'Sign the Telehealth consent' });
  await form.getByRole('heading', { name: 'Consent to telehealth visits (version 1)' }).waitFor();
  await form.getByLabel('Type your full name to sign').fill('Ana Silva');
  await form.getByLabel('I have read this document and I agree to it').check();
  await form.getByRole('button', { name: 'Sign' }).click();
  await telehealth.locator('.consent-status', { hasText: 'Signed' }).waitFor();

  // The admin publishes version 2 and asks everyone to sign it again.
  const admin = await newPage();
  await signInStaffFirstTime(admin.page, box, box.seed.admin.email);
  await admin.page.getByRole('link', { name: 'Consents' }).click();
  await admin.page.getByRole('heading', { name: 'Consent documents' }).waitFor();
  await admin.page.getByLabel('Document', { exact: true }).selectOption('telehealth');
  await admin.page.getByLabel('Title', { exact: true }).fill('Consent to telehealth visits');
  await admin.page.getByLabel('Text (Markdown or plain text)').fill('# Consent to telehealth visits\n\nVersion 2: visits may now include an interpreter the provider invites.\n');
  await admin.page.getByLabel('Everyone who signed an older version must sign this one').check();
  await admin.page.getByRole('button', { name: 'Publish' }).click();
  await admin.page.getByRole('status').filter({ hasText: 'Telehealth consent version 2 published.' }).waitFor();
  // The list is fetched again after the status shows: wait for the new version's row.
  await admin.page.locator('table.data tbody tr:first-child td:nth-child(2)', { hasText: /^2$/ }).waitFor();
  const listed = await admin.page.locator('table.data tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual(listed, ['2', '1'], 'the list shows both versions, newest first');
  await admin.page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(admin.page, 'consent-admin-published-v2');

  // Her page now asks for version 2; she signs it.
  await page.reload();
  await telehealth.locator('.consent-status', { hasText: 'A new version (2) needs your signature' }).waitFor();
  await screenshot(page, 'consent-resign-asked');
  await telehealth.getByRole('button', { name: 'Read and sign' }).click();
  form = page.getByRole('form', { name: 'Sign the Telehealth consent' });
  await form.getByRole('heading', { name: 'Consent to telehealth visits (version 2)' }).waitFor();
  assert.match(await form.locator('.consent-text').innerText(), /Version 2: visits may now include an interpreter/);
  await form.getByLabel('Type your full name to sign').fill('Ana Silva');
  await form.getByLabel('I have read this document and I agree to it').check();
  await form.getByRole('button', { name: 'Sign' }).click();
  await telehealth.locator('.consent-status', { hasText: 'Signed' }).waitFor();
  const versions = await page.locator('table.consent-history tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual(versions, ['2', '1', '1'], 'newest signature first: v2, then v1 twice (the first withdrawn)');
  await screenshot(page, 'consent-resigned-v2');
}));
