// Scheduling in a real browser against a real vigild (issue 22): the patient (Ana Silva, who
// lives in TX) opens Appointments, sees the free times of Dr. Mei Lee (licensed in TX) in her
// own zone and is told that Dr. Omar Novak (on her care team, same hours, no license) is not
// offered and why; she books a time, it leaves the free list and shows under My appointments;
// Dr. Lee sees it on her Schedule with the patient's name; the patient cancels with a reason and
// the time is offered again. Screenshots of each step.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime } from './harness.mjs';

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
      await screenshot(p.page, `schedule-failure-page${i}`).catch(() => {});
      if (p.problems.length) console.error(`page ${i} problems:`, p.problems);
    }
    throw e;
  }
}

test('the patient books a licensed provider\'s slot; the unlicensed one is not offered', { timeout: 300000 }, () => withEvidence(async () => {
  const patient = await newPage();
  await signIn(patient.page, box, box.seed.patientUser.email);
  await patient.page.getByRole('link', { name: 'Appointments' }).click();
  await patient.page.getByRole('heading', { name: 'Appointments', level: 1 }).waitFor();
  const slots = patient.page.getByTestId('slot-browser');
  await slots.getByLabel('Type of visit').selectOption({ label: 'Follow-up video visit (30 min, video)' });
  await slots.locator('.not-offered', { hasText: 'Dr. Omar Novak is not offered: no license for the patient\'s state.' }).waitFor({ timeout: 15000 });
  // Show next week's times (today's may be over): every slot is Dr. Lee's, none Dr. Novak's.
  await slots.getByRole('button', { name: 'Later ›' }).click();
  const first = slots.locator('button.slot').first();
  await first.waitFor({ timeout: 15000 });
  assert.equal(await slots.locator('button.slot', { hasText: 'Novak' }).count(), 0);
  const offered = await slots.locator('button.slot').count();
  assert.ok(offered > 0);
  assert.equal(await slots.locator('button.slot', { hasText: 'Dr. Mei Lee' }).count(), offered);
  // Her zone is UTC (the seed), the provider's New York: 08:00 there is 13:00 or 12:00 UTC.
  assert.match(await first.innerText(), /^1[23]:00 Dr\. Mei Lee \(UTC\+00:00\)$/);
  await screenshot(patient.page, 'schedule-slots');
  const startsAt = await first.getAttribute('data-starts-at');
  await first.click();
  await slots.getByText(/^Booked: .* with Dr\. Mei Lee\.$/).waitFor({ timeout: 15000 });
  const mine = patient.page.getByTestId('my-appointments');
  const booked = mine.locator(`li.appointment[data-starts-at="${startsAt}"][data-state="booked"]`);
  await booked.waitFor();
  assert.match(await booked.innerText(), /Follow-up video visit with Dr\. Mei Lee/);
  assert.equal(await slots.locator(`button.slot[data-starts-at="${startsAt}"]`).count(), 0, 'the time is taken');
  await screenshot(patient.page, 'schedule-booked');

  // Dr. Lee's week shows Ana Silva at that time.
  const provider = await newPage();
  await signInStaffFirstTime(provider.page, box, box.seed.provider.email);
  await provider.page.getByRole('link', { name: 'Schedule' }).click();
  const calendar = provider.page.getByTestId('provider-calendar');
  await calendar.getByLabel('Show').selectOption('7');
  const day = new Date(Date.parse(startsAt) - 86400000);
  await calendar.getByLabel('From').fill(day.toISOString().slice(0, 10));
  await calendar.locator(`li.appointment[data-starts-at="${startsAt}"]`, { hasText: 'Ana Silva' }).waitFor({ timeout: 15000 });
  await screenshot(provider.page, 'schedule-provider-week');

  // The patient cancels with a reason; the time is free again.
  await booked.locator('summary').click();
  await booked.getByLabel('Reason').selectOption('patient_request');
  await booked.getByRole('button', { name: 'Cancel visit' }).click();
  await mine.locator(`li.appointment[data-starts-at="${startsAt}"][data-state="cancelled"]`).waitFor({ timeout: 15000 });
  await slots.getByLabel('Type of visit').selectOption({ label: 'Follow-up video visit (30 min, video)' });
  await slots.locator(`button.slot[data-starts-at="${startsAt}"]`).waitFor({ timeout: 15000 });
  await screenshot(patient.page, 'schedule-cancelled');
  assert.deepEqual(patient.problems, []);
  assert.deepEqual(provider.problems, []);
}));
