// The admin's Cloud link page in a real browser against a real vigild (issue 20): the outbox
// holds a claim the clearinghouse refused (`invalid_payload`), the claim behind it and a reminder
// (seeded by e2e_seed --sync-refused through the product's own Outbox, with a sealed envelope).
// The admin opens Cloud link, sees the link's health, the backlog chart per stream kind and the
// refused entry with the service's reason, and retries it: the entry is pending again, the stream
// no longer stopped. No patient detail is on the page. Screenshots of each step.

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

test('the admin sees the refused claim with its reason and the backlog chart, and retries it', { timeout: 150000 }, async () => {
  const { refused } = box.seed.sync;
  const { page, problems } = await openPage(browser.context);
  await signInStaffFirstTime(page, box, box.seed.admin.email);
  await page.getByRole('link', { name: 'Cloud link' }).click();
  await page.getByRole('heading', { name: 'Cloud link', level: 1 }).waitFor();

  // Link health: one stream stopped by a refused entry; three entries in two streams wait.
  await page.locator('#cloud-health', { hasText: 'Entries refused: action needed' }).waitFor();
  await page.locator('.cloud-facts dd', { hasText: '3 entries in 2 streams' }).waitFor();
  await page.locator('.cloud-facts dd', { hasText: 'invalid_payload' }).waitFor();

  // The chart (uPlot on a canvas): a bar per stream kind, its values in the accessible label.
  await page.locator('#cloud-chart canvas').first().waitFor();
  const label = await page.locator('#cloud-chart').getAttribute('aria-label');
  assert.match(label, /Claims 2/);
  assert.match(label, /Notifications 1/);

  // The refused entry: kind, stream, the service's reason and what it means, Retry and Cancel.
  const row = page.locator(`#cloud-refused tr[data-entry="${refused}"]`);
  await row.waitFor();
  await row.getByText('claim.submit').waitFor();
  await row.getByText('claims/2026-12').waitFor();
  await row.locator('code.reason', { hasText: 'invalid_payload' }).waitFor();
  await row.getByText(/found the record itself invalid/).waitFor();
  await page.getByRole('button', { name: `Cancel entry ${refused}` }).waitFor();
  // Only the refused head is listed: the claim behind it and the reminder are not refused.
  assert.equal(await page.locator('#cloud-refused tbody tr').count(), 1);
  // No patient detail anywhere on the page (the seed's patients are Ana Silva and Ben Okoro).
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /Ana|Silva|Ben|Okoro|MRN/);
  await screenshot(page, 'cloud-refused-entry');

  await page.getByRole('button', { name: `Retry entry ${refused}` }).click();
  await page.locator('.notice.success', { hasText: `Entry ${refused} goes again now.` }).waitFor();
  await page.locator('#cloud-none-refused').waitFor();
  assert.equal(await page.locator('#cloud-health', { hasText: 'Entries refused' }).count(), 0);
  // The box has it as pending again, with a fresh back-off.
  const entry = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/sync/entries/${id}`, { headers: { Accept: 'application/json' } });
    return r.json();
  }, refused);
  assert.equal(entry.state, 'pending');
  assert.equal(entry.attempts, 0);
  assert.equal(entry.lastError, 'invalid_payload');
  // Focus stays on the outcome, not lost with the row's buttons.
  assert.equal(await page.evaluate(() => document.activeElement.textContent), `Entry ${refused} goes again now.`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'cloud-retried');

  assert.deepEqual(problems, []);
  await page.close();
});
