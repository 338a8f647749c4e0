// The on-demand queue in real browsers against a real vigild (issue 22): Dr. Omar Novak (no
// license anywhere) and Dr. Mei Lee (licensed in TX) go on duty; the patient (Ana Silva, in TX)
// asks to be seen now and is told she is next in Dr. Lee's queue with a 15-minute estimated wait;
// Dr. Novak's queue stays empty, Dr. Lee's shows Ana Silva without a reload (live); Dr. Lee starts
// the visit and both browsers are taken to it. Screenshots of each step.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime } from './harness.mjs';

const MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required'];

let box;
const browsers = [];
const pages = [];

before(async () => {
  box = await startVigild({ seedArgs: ['--schedule'] });
  await box.ready();
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
      await screenshot(p.page, `ondemand-failure-page${i}`).catch(() => {});
      if (p.problems.length) console.error(`page ${i} problems:`, p.problems);
    }
    throw e;
  }
}

async function goOnDuty(page) {
  await page.getByRole('link', { name: 'On-demand' }).click();
  await page.getByRole('heading', { name: 'On-demand queue', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Go on duty' }).click();
  await page.locator('#od-duty-state', { hasText: /^You are on duty/ }).waitFor({ timeout: 15000 });
}

test('the patient is matched to the licensed provider on duty, who starts the visit', { timeout: 300000 }, () => withEvidence(async () => {
  const novak = await newPage();
  await signInStaffFirstTime(novak.page, box, 'dr.novak@clinic.example');
  await goOnDuty(novak.page);
  const lee = await newPage();
  await signInStaffFirstTime(lee.page, box, box.seed.provider.email);
  await goOnDuty(lee.page);
  await lee.page.locator('#od-empty').waitFor();

  const patient = await newPage();
  await signIn(patient.page, box, box.seed.patientUser.email);
  await patient.page.getByRole('link', { name: 'See a provider now' }).click();
  await patient.page.getByRole('heading', { name: 'See a provider now', level: 1 }).waitFor();
  await patient.page.getByLabel('What is it about?').selectOption('new_symptoms');
  await patient.page.getByLabel('The state you are in now').fill('TX');
  await patient.page.getByLabel('I confirm I am in this state now').check();
  await screenshot(patient.page, 'ondemand-ask');
  await patient.page.getByRole('button', { name: 'Ask to be seen now' }).click();
  await patient.page.locator('#od-wait', { hasText: 'You are next in Dr. Mei Lee\'s queue. Estimated wait: about 15 minutes.' }).waitFor({ timeout: 15000 });
  await screenshot(patient.page, 'ondemand-waiting');

  // Dr. Lee's open page shows her without a reload; Dr. Novak (unlicensed) has nobody.
  const row = lee.page.locator('#od-queue tr', { hasText: 'Ana Silva' });
  await row.waitFor({ timeout: 15000 });
  assert.match(await row.innerText(), /New symptoms/);
  await screenshot(lee.page, 'ondemand-provider-queue');
  await novak.page.reload();
  await novak.page.locator('#od-empty').waitFor({ timeout: 15000 });

  await row.getByRole('button', { name: 'Start' }).click();
  await lee.page.waitForURL(/#\/visits\/\d+$/, { timeout: 15000 });
  const visit = /#\/visits\/(\d+)$/.exec(lee.page.url())[1];
  // The patient's page takes her to the same visit.
  await patient.page.waitForURL(new RegExp(`#/visits/${visit}$`), { timeout: 15000 });
  await screenshot(patient.page, 'ondemand-to-visit');
  assert.deepEqual(patient.problems, []);
  assert.deepEqual(novak.problems, []);
}));
