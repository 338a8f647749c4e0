// The practice reports (issue 30), in a real browser against a real vigild with the e2e seed:
// the admin opens Practice reports, sees a card per section (visits, on-demand care, async
// cases, alerts, RPM, billing, patient satisfaction) with charts and their figures, switches the period, and exports a
// section as CSV (the file's first lines by hand from the CSV format in docs/api.md). A provider
// has "My figures" and no practice scope: asking the API for the practice is refused (403), and
// for another provider too. Screenshots go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime, within, withEvidence } from './harness.mjs';

let box;
let browser;

before(async () => {
  box = await startVigild();
  browser = await startBrowser({ width: 1280, height: 900 });
}, { timeout: 120000 });

after(async () => {
  if (browser) await browser.close();
  if (box) await box.stop();
}, { timeout: 60000 });

function apiStatus(page, path) {
  return within(page.evaluate(async (p) => (await fetch(p)).status, path), 20000, `GET ${path}`);
}

const SECTIONS = ['Visits and utilisation', 'On-demand care', 'Async cases', 'Alerts', 'RPM enrolment and adherence', 'Billing', 'Patient satisfaction'];

test('an admin sees every section as charts and figures and exports one as CSV', { timeout: 180000 }, async () => {
  const { page, problems } = await openPage(browser.context);
  await withEvidence(page, 'reports-admin', problems, async () => {
    await signInStaffFirstTime(page, box, box.seed.admin.email);
    await page.getByRole('link', { name: 'Practice reports' }).click();
    await page.getByRole('heading', { name: 'Practice reports', level: 1 }).waitFor();
    for (const title of SECTIONS) await page.getByRole('heading', { name: title, level: 3 }).waitFor();
    // Charts are drawn (uPlot canvases) and the figures are tables with captions.
    await page.locator('.report-section .plot canvas').first().waitFor();
    await page.getByRole('table', { name: 'The period' }).first().waitFor();
    assert.equal(await page.getByRole('option', { name: 'The practice' }).count(), 1);
    await screenshot(page, 'reports-admin-30-days');

    await page.getByRole('button', { name: '90 days' }).click();
    await page.waitForFunction(() => {
      const from = document.querySelector('input[name="from"]').value;
      return (Date.now() - new Date(`${from}T00:00:00Z`).getTime()) / 86400000 > 89;
    });
    await page.getByRole('heading', { name: 'Alerts', level: 3 }).waitFor();

    // The Alerts section as CSV: a title line, then the header of the period's totals.
    const href = await page.getByRole('link', { name: 'Export Alerts (CSV)' }).getAttribute('href');
    const csv = await within(page.evaluate(async (p) => {
      const r = await fetch(p);
      return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), text: await r.text() };
    }, href), 20000, 'the CSV export');
    assert.equal(csv.status, 200);
    assert.match(csv.type, /^text\/csv/);
    assert.match(csv.disposition, /^attachment; filename="vigil-alerts-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = csv.text.split('\r\n');
    assert.equal(lines[0], 'Alerts: The period');
    assert.equal(lines[1], 'Raised,Acknowledged,Resolved,Escalated,"To acknowledge, median","To acknowledge, 90th percentile","To resolve, median","To resolve, 90th percentile"');
    assert.match(lines[2], /^\d+,\d+,\d+,\d+,/);
    assert.deepEqual(problems, []);
  });
  await page.close();
});

test('a provider reports on their own figures only', { timeout: 180000 }, async () => {
  // A browser of their own: the admin's session cookie stays in the first one.
  const second = await startBrowser({ width: 1280, height: 900 });
  after(() => second.close(), { timeout: 30000 });
  const { page, problems } = await openPage(second.context);
  await withEvidence(page, 'reports-provider', problems, async () => {
    await signInStaffFirstTime(page, box, box.seed.provider.email);
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: 'Practice reports', level: 1 }).waitFor();
    await page.getByRole('option', { name: 'My figures' }).waitFor({ state: 'attached' });
    assert.equal(await page.getByRole('option', { name: 'The practice' }).count(), 0);
    await page.getByRole('heading', { name: 'Visits and utilisation', level: 3 }).waitFor();
    await screenshot(page, 'reports-provider-own');
    const me = await page.evaluate(async () => (await (await fetch('/api/v1/session')).json()).user.id);
    assert.equal(await apiStatus(page, '/api/v1/reports/practice?scope=practice'), 403);
    assert.equal(await apiStatus(page, `/api/v1/reports/practice?scope=provider&id=${me + 1000}`), 403);
    assert.equal(await apiStatus(page, `/api/v1/reports/practice?scope=provider&id=${me}`), 200);
    // The refusals are the browser's console errors for the 403s: nothing else went wrong.
    assert.deepEqual(problems, []);
  });
  await page.close();
});
