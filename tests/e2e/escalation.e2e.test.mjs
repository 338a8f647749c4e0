// Escalation reaching a person in real browsers (issue 17), with a real broker and vigild's own
// timer: the admin sets the clinic's escalation chain in the portal (Dr. Mei Lee, then Sam Kim, RN);
// two devices publish a hypertensive crisis; nobody acknowledges within the (1-minute) critical
// deadline, so both alerts go to the nurse, whose open portal page (the Account page, not the
// queue) shows a banner, plays the chime and raises a desktop notification; she opens the queue
// and claims and acknowledges patient A's alert (patient B is not on her care team: the escalation makes it hers
// to see). Patient B's alert, not acknowledged for another minute, has nobody left: the admin's
// page gets the banner and lists it under "Escalated with nobody left". Screenshots of each step.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime } from './harness.mjs';

let box;
let browsers = [];

before(async () => {
  box = await startVigild({
    broker: true,
    seedArgs: ['--calm'],
    config: ['alerts.ack_critical_minutes = 1', 'alerts.tick_seconds = 1'],
  });
  await box.ready();
}, { timeout: 120000 });

after(async () => {
  for (const b of browsers) await b.close();
  if (box) await box.stop();
}, { timeout: 60000 });

/** Records desktop notifications and chime tones the page makes (the browser's own APIs). */
async function recordAnnouncements(page) {
  await page.addInitScript(() => {
    window.__notifications = [];
    window.__tones = 0;
    const Real = window.Notification;
    if (Real) {
      const Recording = function (title, options) {
        window.__notifications.push(title);
        return new Real(title, options);
      };
      Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
      Recording.requestPermission = (...a) => Real.requestPermission(...a);
      window.Notification = Recording;
    }
    const create = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function createOscillator() {
      window.__tones += 1;
      return create.call(this);
    };
  });
}

async function staffPage(email) {
  const browser = await startBrowser();
  browsers.push(browser);
  await browser.context.grantPermissions(['notifications'], { origin: box.url });
  const { page, problems } = await openPage(browser.context);
  await recordAnnouncements(page);
  await signInStaffFirstTime(page, box, email);
  return { page, problems };
}

test('an unacknowledged critical alert reaches the nurse, then the admins when nobody is left', { timeout: 400000 }, async () => {
  // The admin sets the clinic's chain in the portal.
  const admin = await staffPage(box.seed.admin.email);
  await admin.page.getByRole('link', { name: 'Escalation' }).click();
  await admin.page.getByRole('heading', { name: 'Escalation', level: 1 }).waitFor();
  const chainCard = admin.page.locator('#clinic-chain');
  for (const who of [/Mei Lee/, /Sam Kim/]) {
    const option = chainCard.locator('select option', { hasText: who });
    await chainCard.locator('select').selectOption(await option.getAttribute('value'));
    await chainCard.getByRole('button', { name: 'Add to the chain' }).click();
  }
  await chainCard.getByRole('button', { name: 'Save chain' }).click();
  await chainCard.getByText('Escalation chain saved.').waitFor();
  await chainCard.locator('ol.chain li').nth(1).getByText(/Sam Kim.*after 1 escalation/).waitFor();
  await admin.page.locator('#nobody-empty').waitFor();
  await screenshot(admin.page, 'escalation-admin-chain');

  // The nurse is signed in on another computer, on her Account page.
  const nurse = await staffPage(box.seed.nurse.email);
  await nurse.page.getByRole('link', { name: 'Account' }).click();
  await nurse.page.getByRole('heading', { name: 'Escalated alerts on this computer' }).waitFor();
  assert.ok(await nurse.page.getByLabel('Play a sound').isChecked());

  // Hypertensive crises for patients A and B; Dr. Lee does not acknowledge.
  const crisis = { readings: [{ kind: 'blood_pressure', unit: 'mm[Hg]', components: { systolic: 194, diastolic: 84 } }] };
  await box.publish(box.seed.deviceA, crisis);
  await box.publish(box.seed.deviceB, crisis);

  // One minute later (the critical deadline here) both go to the nurse: banner, chime, notification.
  const banner = nurse.page.locator('#escalations .notice.escalation', { hasText: 'Critical alert escalated to you.' });
  await banner.first().waitFor({ timeout: 100000 });
  await nurse.page.waitForFunction(() => window.__notifications.length >= 1 && window.__tones >= 3, null, { timeout: 10000 });
  const titles = await nurse.page.evaluate(() => window.__notifications);
  assert.ok(titles.every((t) => t === 'Critical alert escalated to you.'), `notifications: ${titles}`);
  assert.ok(!titles.some((t) => /Ana|Ben|Silva|Okoro/.test(t)), 'no patient detail in notifications');
  await screenshot(nurse.page, 'escalation-nurse-banner');

  // She opens the queue: both are hers, escalated once; she claims patient A's.
  await banner.first().getByRole('link', { name: 'Open' }).click();
  await nurse.page.getByRole('heading', { name: 'Alert queue' }).waitFor();
  const alertA = nurse.page.locator('article.alert', { hasText: 'Ana Silva' });
  const alertB = nurse.page.locator('article.alert', { hasText: 'Ben Okoro' });
  await alertA.getByText(/assigned to you/).waitFor();
  await alertA.getByText(/escalated 1×/).waitFor();
  await alertB.getByText(/assigned to you/).waitFor();  // not her care team: hers by escalation
  const idA = await alertA.getAttribute('data-alert-id');
  await nurse.page.getByRole('button', { name: `Claim: alert ${idA}` }).click();
  await alertA.getByText(/claimed by you/).waitFor();
  await nurse.page.getByRole('button', { name: `Acknowledge: alert ${idA}` }).click();
  await alertA.locator('.state-acknowledged').waitFor();
  await screenshot(nurse.page, 'escalation-nurse-claimed');

  // Patient B's alert is not acknowledged for another minute: nobody is left in the chain.
  const nobody = admin.page.locator('#escalations .notice.escalation', { hasText: 'nobody left to escalate to' });
  await nobody.first().waitFor({ timeout: 100000 });
  await admin.page.locator('#nobody-left li', { hasText: 'Ben Okoro' }).waitFor();
  assert.equal(await admin.page.locator('#nobody-left li', { hasText: 'Ana Silva' }).count(), 0);
  const adminTitles = await admin.page.evaluate(() => window.__notifications);
  assert.ok(adminTitles.includes('Critical alert: nobody left to escalate to.'), `admin notifications: ${adminTitles}`);
  await screenshot(admin.page, 'escalation-admin-nobody-left');
  await admin.page.locator('#nobody-left li', { hasText: 'escalated 2 times' }).waitFor();
  // It left the nurse's queue with her turn (not her care team, no longer hers).
  await alertB.waitFor({ state: 'detached' });

  assert.deepEqual(admin.problems, []);
  assert.deepEqual(nurse.problems, []);
});
