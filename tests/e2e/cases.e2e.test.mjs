// Async care in a real browser against a real vigild (issue 23): Ana Silva opens "Ask your care
// team", picks Skin or rash, writes her question and attaches a photo (the test JPEG with an
// EXIF segment carrying a GPS text spliced in); the nurse on her care team opens Async cases,
// sees the case with its due time, opens it (the photo shows), and replies; Ana reloads her case
// and reads the reply. The photo the box serves has no EXIF. Then Dr. Lee closes the case with a
// note, signs it, and Ana reads it under Visit summaries. Screenshots of each step go to the e2e
// artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
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

/** card.jpg with an APP1 "Exif" segment after its APP0 (JFIF) segment. */
function photoWithExif() {
  const jpeg = readFileSync(join(here, '..', 'patients', 'data', 'card.jpg'));
  const app0End = 4 + jpeg[4] * 256 + jpeg[5];
  const exif = Buffer.concat([Buffer.from('Exif\0\0II*\0', 'binary'), Buffer.from('GPS 41.8789N 87.6359W')]);
  const len = exif.length + 2;
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, len >> 8, len & 0xff]), exif]);
  return Buffer.concat([jpeg.subarray(0, app0End), app1, jpeg.subarray(app0End)]);
}

test('a patient asks with a photo and the nurse replies', { timeout: 300000 }, async () => {
  const patient = await newPage();
  await signIn(patient.page, box, box.seed.patientUser.email);
  await patient.page.getByRole('link', { name: 'Ask your care team' }).click();
  await patient.page.getByRole('heading', { name: 'Ask your care team', exact: true }).waitFor();
  await patient.page.getByLabel('What is it about?').selectOption('skin');
  await patient.page.getByLabel('Your question', { exact: true }).fill('A red, itchy rash on my left forearm since Tuesday.');
  await patient.page.getByLabel(/^Photos/).setInputFiles({ name: 'rash.jpg', mimeType: 'image/jpeg', buffer: photoWithExif() });
  await screenshot(patient.page, 'cases-01-patient-asks');
  await patient.page.getByRole('button', { name: 'Send to my care team' }).click();
  await patient.page.getByRole('heading', { name: /^Skin or rash,/ }).waitFor();
  await patient.page.getByText('A red, itchy rash on my left forearm since Tuesday.').waitFor();
  await patient.page.getByRole('img', { name: 'Photo 1' }).waitFor();
  const caseUrl = patient.page.url();
  const caseId = /#\/cases\/(\d+)$/.exec(caseUrl)[1];
  await screenshot(patient.page, 'cases-02-patient-sent');

  const nurse = await newPage();
  await signInStaffFirstTime(nurse.page, box, box.seed.nurse.email);
  await nurse.page.getByRole('link', { name: 'Async cases' }).click();
  await nurse.page.getByRole('heading', { name: 'Async cases', exact: true }).waitFor();
  const row = nurse.page.locator(`tr[data-case="${caseId}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Ana Silva/);
  assert.match(await row.locator('td.case-due').textContent(), /Due/);
  await screenshot(nurse.page, 'cases-03-nurse-queue');
  await row.getByRole('link', { name: 'Open' }).click();
  await nurse.page.getByText('A red, itchy rash on my left forearm since Tuesday.').waitFor();
  const img = nurse.page.getByRole('img', { name: 'Photo 1' });
  await img.waitFor();
  await nurse.page.waitForFunction(() => { const i = document.querySelector('.case-photos img'); return i && i.complete && i.naturalWidth > 0; });
  // The stored photo has no EXIF segment left (fetched with the nurse's session).
  const served = await nurse.page.evaluate(async (src) => {
    const r = await fetch(src);
    const b = new Uint8Array(await r.arrayBuffer());
    return { cache: r.headers.get('cache-control'), text: String.fromCharCode(...b.subarray(0, 4096)) };
  }, await img.getAttribute('src'));
  assert.match(served.cache, /no-store/);
  assert.ok(!served.text.includes('Exif') && !served.text.includes('GPS'), 'the served photo still has EXIF');
  await nurse.page.getByLabel(/^Message to the patient/).fill('This looks like contact dermatitis. Use hydrocortisone 1 % twice a day; write back if it spreads.');
  await nurse.page.getByRole('button', { name: 'Reply', exact: true }).click();
  await nurse.page.locator('li.case-msg[data-kind="message"]').waitFor();
  await screenshot(nurse.page, 'cases-04-nurse-replied');

  await patient.page.reload();
  await patient.page.getByText(/contact dermatitis\. Use hydrocortisone/).waitFor();
  await patient.page.getByText(/Kim/).first().waitFor();
  await screenshot(patient.page, 'cases-05-patient-reads-reply');

  // Dr. Lee closes the case with a note, signs the note it made, and Ana reads it as a visit
  // summary (the whole flow: question with a photo, reply, signed note, summary).
  const provider = await newPage();
  await signInStaffFirstTime(provider.page, box, box.seed.provider.email);
  await provider.page.goto(caseUrl);
  await provider.page.getByText('A red, itchy rash on my left forearm since Tuesday.').waitFor();
  await provider.page.getByLabel(/^Message to the patient/).fill('Contact dermatitis; hydrocortisone 1 % twice a day for a week.');
  await provider.page.getByRole('button', { name: 'Close with a note' }).click();
  await provider.page.getByRole('link', { name: 'Open the note to sign it' }).click();
  await provider.page.getByRole('button', { name: 'Sign', exact: true }).click();
  await provider.page.getByText(/^Signed .* by Dr\. Mei Lee/).first().waitFor();
  await screenshot(provider.page, 'cases-06-provider-signed');
  await patient.page.getByRole('link', { name: 'Visit summaries' }).click();
  await patient.page.getByRole('heading', { name: 'Visit summaries', exact: true }).waitFor();
  await patient.page.getByText(/hydrocortisone 1 % twice a day for a week/).first().waitFor();
  await screenshot(patient.page, 'cases-07-patient-reads-summary');
});
