// Appointment reminders in a real browser against a real vigild enrolled with the real cloud
// stand-in (issue 22): the patient (Ana Silva, e-mail on her record) books a video visit
// starting within the next hour on the Appointments page; vigild's reminders task (every 5 s
// here) sends the 1 h reminder through the cloud link; the stand-in's notification service
// writes it to notifications.log with the join link; the patient opens that link in her browser,
// reaches the visit's page and joins as far as a patient may before the provider: the waiting
// room. Her reminder settings (Account page) are the defaults: e-mail, minimal (the log line
// names no provider and no visit type). Screenshots of each step.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startVigild, startBrowser, openPage, screenshot, signIn } from './harness.mjs';

const MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

let box;
let browser;
let port;

/** A TCP port on 127.0.0.1 that was free a moment ago (the public URL must name vigild's port). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    const timer = setTimeout(() => reject(new Error('timed out after 10 s waiting to listen on a free port')), 10000);
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => { clearTimeout(timer); resolve(p); });
    });
  });
}

before(async () => {
  port = await freePort();
  box = await startVigild({
    seedArgs: ['--reminders'],
    cloud: true,
    config: [
      `web.port = ${port}`,
      `web.public_url = https://127.0.0.1:${port}`,
      'scheduling.clinic_name = Riverside Clinic',
      'scheduling.reminder_interval_seconds = 5',
      'video.join_early_minutes = 60',
    ],
  });
  await box.ready();
  browser = await startBrowser({ width: 1200, height: 1000 }, MEDIA);
}, { timeout: 120000 });

after(async () => {
  if (browser) await browser.close();
  if (box) await box.stop();
}, { timeout: 60000 });

/** The notifications.log lines of `template`, parsed (bounded wait: `ms`). */
async function notificationsOf(template, ms) {
  const file = join(box.dir, 'cloud', 'notifications.log');
  const deadline = Date.now() + ms;
  for (;;) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    const found = lines.filter((l) => l.template === template);
    if (found.length) return found;
    if (Date.now() > deadline) throw new Error(`no ${template} in notifications.log after ${ms} ms: ${JSON.stringify(lines)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('the patient books a slot within the hour, the 1 h reminder reaches the stand-in with the join link, and the link opens her visit', { timeout: 300000 }, async () => {
  assert.equal(box.url, `https://127.0.0.1:${port}`);
  const { page, problems } = await openPage(browser.context);
  try {
    await signIn(page, box, box.seed.patientUser.email);
    // Her reminder settings: the defaults.
    await page.getByRole('link', { name: 'Account' }).click();
    const settings = page.getByTestId('reminder-settings');
    await settings.getByRole('heading', { name: 'Appointment reminders' }).waitFor();
    assert.equal(await settings.getByLabel('Remind me by').inputValue(), 'email');
    assert.equal(await settings.getByLabel('The message may say').inputValue(), 'minimal');
    await screenshot(page, 'reminders-settings');

    await page.getByRole('link', { name: 'Appointments' }).click();
    await page.getByRole('heading', { name: 'Appointments', level: 1 }).waitFor();
    const slots = page.getByTestId('slot-browser');
    await slots.getByLabel('Type of visit').selectOption({ label: 'Follow-up video visit (30 min, video)' });
    await slots.locator('button.slot').first().waitFor({ timeout: 15000 });
    // The first free time starting within the next hour (Dr. Lee takes bookings around the clock).
    const starts = await slots.locator('button.slot').evaluateAll((els) => els.map((e) => e.getAttribute('data-starts-at')));
    const now = Date.now();
    const soon = starts.find((s) => Date.parse(s) > now && Date.parse(s) - now <= 3600000);
    assert.ok(soon, `a slot within the hour among ${starts.slice(0, 8).join(', ')}`);
    // .first(): the page can list one time under two day headings (the provider's and the
    // patient's dates), the same slot.
    await slots.locator(`button.slot[data-starts-at="${soon}"]`).first().click();
    await slots.getByText(/^Booked: .* with Dr\. Mei Lee\.$/).waitFor({ timeout: 15000 });
    await screenshot(page, 'reminders-booked');

    // The 1 h reminder through the cloud link to the stand-in's notification service.
    const [reminder] = await notificationsOf('appointment_reminder', 60000);
    assert.equal(reminder.channel, 'email');
    assert.equal(reminder.to, 'ana.silva@example.org');
    assert.equal(reminder.params.kind, '1h');
    assert.equal(reminder.params.clinic, 'Riverside Clinic');
    assert.match(reminder.params.joinLink, new RegExp(`^https://127\\.0\\.0\\.1:${port}/#/visits/\\d+$`));
    assert.match(reminder.params.text, /^Reminder: you have a visit with Riverside Clinic on .+\. Join the video visit: https:/);
    // Minimal: no provider, no visit type, no name.
    for (const word of ['Lee', 'Follow-up', 'Ana', 'Silva']) assert.ok(!JSON.stringify(reminder.params).includes(word), word);
    // Only the 1 h one: she booked less than 24 h ahead.
    assert.equal((await notificationsOf('appointment_reminder', 1000)).length, 1);

    // She opens the link from the message: her visit's page, and she joins (the waiting room:
    // the provider is not there yet).
    const visitId = Number(reminder.params.joinLink.replace(/^.*#\/visits\//, ''));
    await page.goto(reminder.params.joinLink);
    await page.getByRole('heading', { name: `Video visit ${visitId}` }).waitFor({ timeout: 15000 });
    await page.getByRole('button', { name: 'Join visit' }).click();
    await page.getByText('You are in the waiting room').waitFor({ timeout: 30000 });
    await screenshot(page, 'reminders-joined-from-link');
    assert.deepEqual(problems, []);
  } catch (e) {
    await screenshot(page, 'reminders-failure').catch(() => {});
    throw e;
  }
});
