// The admin's Cloud link page in a real browser against a real vigild (issue 20): the outbox
// holds a claim the clearinghouse refused (`invalid_payload`), the claim behind it and a reminder
// the notification service refused (`license_expired`), seeded by e2e_seed --sync-refused through
// the product's own Outbox, with sealed envelopes. The admin opens Cloud link, sees the link's
// health, the backlog chart per stream kind and the refused entries with the services' reasons;
// tries to cancel the reminder (declining the confirmation first: nothing happens; then the box,
// not enrolled with the cloud here, cannot seal the stream.skip that must take the reminder's
// place, and the page says to enrol first: nothing changes) and retries the claim: the claim is
// pending again, only the reminder's stream still stopped. No patient detail is on the page.
// Screenshots of each step. (A cancel that goes through, stream.skip and all, is
// api_sync_test's and tests/sync's.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime } from './harness.mjs';

let box;
let browser;

before(async () => {
  box = await startVigild({ seedArgs: ['--sync-refused'] });
  await box.ready();
  browser = await startBrowser();
}, { timeout: 120000 });

after(async () => {
  if (browser) await browser.close();
  if (box) await box.stop();
}, { timeout: 60000 });

test('the admin sees refused entries with their reasons and the backlog chart, is told to enrol before cancelling, and retries', { timeout: 150000 }, async () => {
  const { refused, reminder } = box.seed.sync;
  const { page, problems } = await openPage(browser.context);
  await signInStaffFirstTime(page, box, box.seed.admin.email);
  await page.getByRole('link', { name: 'Cloud link' }).click();
  await page.getByRole('heading', { name: 'Cloud link', level: 1 }).waitFor();

  // Link health: two streams stopped by a refused entry; three entries in two streams wait.
  await page.locator('#cloud-health', { hasText: 'Entries refused: action needed' }).waitFor();
  // This box has no sync.url: the page says the link is off instead of offering enrolment.
  await page.locator('#cloud-enrolment', { hasText: 'The cloud link is off' }).waitFor();
  await page.locator('.cloud-facts dd', { hasText: '3 entries in 2 streams' }).waitFor();
  await page.locator('.cloud-facts dd', { hasText: /invalid_payload|license_expired/ }).waitFor();

  // The chart (uPlot on a canvas): a bar per stream kind, its values in the accessible label.
  await page.locator('#cloud-chart canvas').first().waitFor();
  const label = await page.locator('#cloud-chart').getAttribute('aria-label');
  assert.match(label, /Claims 2 \(2 held by a refused entry\)/);
  assert.match(label, /Notifications 1 \(1 held by a refused entry\)/);

  // The refused entry: kind, stream, the service's reason and what it means, Retry and Cancel.
  const row = page.locator(`#cloud-refused tr[data-entry="${refused}"]`);
  await row.waitFor();
  await row.getByText('claim.submit').waitFor();
  await row.getByText('claims/2026-12').waitFor();
  await row.locator('code.reason', { hasText: 'invalid_payload' }).waitFor();
  await row.getByText(/found the record itself invalid/).waitFor();
  await page.getByRole('button', { name: `Cancel entry ${refused}` }).waitFor();
  const reminderRow = page.locator(`#cloud-refused tr[data-entry="${reminder}"]`);
  await reminderRow.locator('code.reason', { hasText: 'license_expired' }).waitFor();
  await reminderRow.getByText(/license has expired/).waitFor();
  // Only the refused heads are listed: the claim behind the refused one is not refused itself.
  assert.equal(await page.locator('#cloud-refused tbody tr').count(), 2);
  // No patient detail anywhere on the page (the seed's patients are Ana Silva and Ben Okoro).
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /Ana|Silva|Ben|Okoro|MRN/);
  await screenshot(page, 'cloud-refused-entries');

  // Cancel asks first; declining leaves the entry as it was.
  const asked = [];
  page.once('dialog', (d) => { asked.push(d.message()); d.dismiss(); });
  await page.getByRole('button', { name: `Cancel entry ${reminder}` }).click();
  assert.equal(asked.length, 1);
  assert.match(asked[0], /never be sent/);
  assert.equal(await page.locator('#cloud-refused tbody tr').count(), 2);
  // Confirmed: this box has no cloud keys (no sync.url, not enrolled), so the cancel is refused
  // with what to do; the reminder stays refused.
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Cancel entry ${reminder}` }).click();
  await page.locator('.notice.error', { hasText: 'enrol the box first' }).waitFor();
  assert.equal(await page.locator('#cloud-refused tbody tr').count(), 2);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'cloud-cancel-needs-enrolment');

  await page.getByRole('button', { name: `Retry entry ${refused}` }).click();
  await page.locator('.notice.success', { hasText: `Entry ${refused} goes again now.` }).waitFor();
  await row.waitFor({ state: 'detached' });
  assert.equal(await page.locator('#cloud-refused tbody tr').count(), 1);
  await page.locator('#cloud-chart[aria-label*="Claims 2,"]').waitFor();  // nothing held any more
  // The box has it as pending again, with a fresh back-off.
  const entry = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/sync/entries/${id}`, { headers: { Accept: 'application/json' } });
    return r.json();
  }, refused);
  assert.equal(entry.state, 'pending');
  assert.equal(entry.attempts, 0);
  assert.equal(entry.lastError, 'invalid_payload');
  const kept = await page.evaluate(async (id) => (await fetch(`/api/v1/sync/entries/${id}`)).json(), reminder);
  assert.equal(kept.state, 'refused');
  // Focus stays on the outcome, not lost with the row's buttons.
  assert.equal(await page.evaluate(() => document.activeElement.textContent), `Entry ${refused} goes again now.`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'cloud-retried');

  // The browser logs the refused cancel's 422 answer, which the page explained above.
  assert.deepEqual(problems.filter((p) => !/responded with a status of 422/.test(p)), []);
  await page.close();
});

/** Clicks "Refresh now" every half second until `locator` is there (at most `ms`). */
async function refreshUntil(page, locator, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await locator.count() > 0) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('enrolled with the cloud stand-in: a cancel sends stream.skip in its place, a retry goes to the service again', { timeout: 200000 }, async () => {
  // Its own box (enrolled with a real stand-in process) and browser (cookies are per host, not
  // per port: the first box's session must not meet this one).
  const cloudBox = await startVigild({ seedArgs: ['--sync-refused'], cloud: true });
  const cloudBrowser = await startBrowser();
  try {
    await cloudBox.ready();
    const { refused, reminder } = cloudBox.seed.sync;
    const { page, problems } = await openPage(cloudBrowser.context);
    await signInStaffFirstTime(page, cloudBox, cloudBox.seed.admin.email);
    await page.getByRole('link', { name: 'Cloud link' }).click();
    await page.getByRole('heading', { name: 'Cloud link', level: 1 }).waitFor();
    // Enrolment queued a license check; the link delivered it: the link has a last success.
    const lastSuccess = page.locator('#cloud-last-success time');
    await refreshUntil(page, lastSuccess, 30000, 'the first delivery to the stand-in');
    // The enrolment is shown (the box id the stand-in gave), and the licensing service's answer
    // to that check came back through the inbox.
    assert.match(await page.locator('#cloud-box-id').textContent(), /^box-[0-9a-f]{8}$/);
    await refreshUntil(page, page.locator('#cloud-license', { hasText: 'active' }), 30000, 'the license status from the inbox');
    await page.locator('#cloud-inbound-none').waitFor();
    await screenshot(page, 'cloud-enrolled-license');

    // Cancel the refused reminder: the box seals a stream.skip with its enrolled keys, and the
    // notification service accepts it in the reminder's place (the stand-in's record).
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: `Cancel entry ${reminder}` }).click();
    await page.locator('.notice.success', { hasText: `Entry ${reminder} cancelled` }).waitFor();
    await page.locator(`#cloud-refused tr[data-entry="${reminder}"]`).waitFor({ state: 'detached' });
    const deadline = Date.now() + 30000;
    let skip;
    while (!(skip = cloudBox.cloud.recorded().find((l) => / notify\/reminders 1 stream\.skip$/.test(l)))) {
      if (Date.now() > deadline) throw new Error(`no stream.skip recorded by the stand-in: ${cloudBox.cloud.recorded().join('; ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(!skip.startsWith(reminder), 'the skip has an id of its own');
    const cancelled = await page.evaluate(async (id) => (await fetch(`/api/v1/sync/entries/${id}`)).json(), reminder);
    assert.equal(cancelled.state, 'cancelled');

    // Retry the refused claim: it goes to the clearinghouse again, which refuses it for good (it
    // was sealed with keys the cloud never saw): refused again, with the service's new reason.
    await page.getByRole('button', { name: `Retry entry ${refused}` }).click();
    await page.locator('.notice.success', { hasText: `Entry ${refused} goes again now.` }).waitFor();
    let entry;
    const until = Date.now() + 30000;
    for (;;) {
      entry = await page.evaluate(async (id) => (await fetch(`/api/v1/sync/entries/${id}`)).json(), refused);
      if (entry.state === 'refused' && entry.lastError !== 'invalid_payload') break;
      if (Date.now() > until) throw new Error(`the retried claim was not answered: ${JSON.stringify(entry)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(entry.attempts, 1);
    assert.ok(!cloudBox.cloud.recorded().some((l) => l.startsWith(refused)), 'the stand-in accepted nothing of it');
    const row = page.locator(`#cloud-refused tr[data-entry="${refused}"]`);
    // The stand-in checks that `from` is the enrolled box (the seed's envelope names another).
    assert.equal(entry.lastError, 'wrong_sender');
    await refreshUntil(page, row.locator('code.reason', { hasText: 'wrong_sender' }), 30000, 'the new reason on the page');
    await row.getByText(/did not write the record/).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'cloud-enrolled-after-cancel-and-retry');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await cloudBrowser.close();
    await cloudBox.stop();
  }
});
