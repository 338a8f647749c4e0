// RPM billing in a real browser against a real vigild (issue 24). The seed (e2e_seed --billing)
// enrolled Ana Silva so that her first 30-day period is last month's last 30 days, with readings
// on 20 of its days, Medicare on her record, and 47 ledger minutes (25 of the nurse's data
// review, a 22-minute call with Dr. Lee). Dr. Lee opens Billing: last month's review shows Ana
// with 99453, 99454, 99457 and 99458 (by hand: 20 days -> 99454; 47 minutes with a contact ->
// 99457 + one further full 20 -> 99458), the evidence (20 days, 47 min, the contact's date),
// her NPI; she approves, confirming her identity if the box asks, and the card shows the claim
// as approved, and so do the claims section (with the claim's history) and its claims-by-status
// report; the patient's chart shows the minutes card with its timer. Then an admin sends the
// approved claim to the cloud stand-in's clearinghouse, which answers a 999, a 277CA and an 835:
// the claim turns paid, $119.29 (by hand, docs/billing.md "Remittance posting": 15.78 + 34.42 +
// 38.30 + 30.79), with its history and the posting's CO-45 and PR-2 adjustments per line. Screenshots of each
// step go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime, totp } from './harness.mjs';

let box;
const browsers = [];
const pages = [];

before(async () => {
  // The cloud stand-in's clearinghouse answers claims; only the admin's button sends them here
  // (the periodic step waits a day), so the first test sees the claim approved.
  box = await startVigild({
    seedArgs: ['--billing'],
    cloud: true,
    config: ['billing.practice_name = RIVERSIDE E2E CLINIC', 'billing.tax_id = 123456789', 'billing.address = 1 Main Street',
      'billing.city = Albany', 'billing.state = NY', 'billing.zip = 122071234', 'billing.submitter_id = VIGILE2E',
      'billing.contact_name = Billing Office', 'billing.contact_phone = 5185550100', 'billing.payer_ids = Medicare Part B=13282',
      'billing.submit_interval_seconds = 86400'],
  });
  await box.ready();
}, { timeout: 120000 });

after(async () => {
  for (const b of browsers) await b.close();
  if (box) await box.stop();
}, { timeout: 60000 });

async function newPage() {
  const b = await startBrowser({ width: 1280, height: 1100 });
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
      await screenshot(p.page, `billing-failure-page${i}`).catch(() => {});
      if (p.problems.length) console.error(`page ${i} problems:`, p.problems);
    }
    throw e;
  }
}

function lastMonth() {
  const d = new Date();
  d.setDate(1);
  d.setMonth(d.getMonth() - 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

test('a provider opens last month\'s review, sees the codes and approves', { timeout: 300000 }, () => withEvidence(async () => {
  const provider = await newPage();
  const page = provider.page;
  const secret = await signInStaffFirstTime(page, box, box.seed.provider.email);
  await page.getByRole('link', { name: 'Billing' }).click();
  await page.getByRole('heading', { name: 'RPM billing review' }).waitFor({ timeout: 15000 });
  assert.equal(await page.getByLabel('Month', { exact: true }).inputValue(), lastMonth());
  const card = page.locator(`.billing-patient[data-patient="${box.seed.patientA}"]`);
  await card.waitFor({ timeout: 15000 });
  const codes = await card.locator('table.codes tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.code));
  assert.deepEqual(codes, ['99453', '99454', '99457', '99458']);
  const text = await card.innerText();
  // 20 seeded days, plus those of the seed's usual last week that fall in last month (by date).
  const days = Number(/(\d+) days with data/.exec(text)[1]);
  assert.ok(days >= 20 && days <= 27, `${days} days`);
  assert.match(text, /Treatment management: 47 min/);
  assert.match(text, /Interactive contact on \d{4}-\d{2}-\d{2}/);
  assert.match(text, /NPI 1245319599/);
  assert.match(text, /Ana Silva/);
  await page.locator('.plot').first().waitFor();
  await screenshot(page, 'billing-review');

  await card.getByRole('button', { name: `Approve ${lastMonth()}` }).click();
  // The approval needs a recent proof of identity: the box asks unless the sign-in was recent.
  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  const claimed = card.locator('[data-testid="claim-status"]');
  await Promise.race([dialog.waitFor({ timeout: 15000 }), claimed.waitFor({ timeout: 15000 })]);
  if (await dialog.isVisible()) {
    // A code works once: wait for the next 30-second step after the enrolment's.
    await new Promise((resolve) => { setTimeout(resolve, 31000); });
    await dialog.getByLabel('Password').fill(box.seed.password);
    await dialog.getByLabel('Code from your authenticator app').fill(totp(secret));
    await dialog.getByRole('button', { name: 'Confirm' }).click();
  }
  await claimed.waitFor({ timeout: 15000 });
  assert.match(await claimed.innerText(), /Claim \d+: approved/);
  assert.equal(await card.getByRole('button', { name: /Approve/ }).count(), 0);
  await screenshot(page, 'billing-approved');

  // The claims section lists the new claim, approved (not sent yet), with its history, and the
  // report counts it by status.
  const claims = page.locator('[data-testid="claims-section"]');
  const row = claims.locator('tr[data-status="approved"]').first();
  await row.waitFor({ timeout: 15000 });
  await row.getByRole('button', { name: 'Details' }).click();
  const history = claims.locator('.claim-history').first();
  await history.waitFor({ timeout: 15000 });
  assert.match(await history.innerText(), /Approved · approved/);
  await claims.locator('tr[data-status="approved"] td.num').first().waitFor({ timeout: 15000 });
  assert.equal(await claims.locator('.claims-reports tr[data-status="approved"] td.num').first().innerText(), '1');
  await screenshot(page, 'billing-claims');

  // The patient's chart: the minutes card with its timer.
  await page.goto(`${box.url}/#/patients/${box.seed.patientA}`);
  const minutes = page.locator('[data-testid="billing-time-card"]');
  await minutes.getByRole('heading', { name: 'RPM minutes' }).waitFor({ timeout: 15000 });
  await minutes.getByRole('button', { name: 'Start timer' }).click();
  await minutes.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 15000 });
  await minutes.getByRole('button', { name: 'Stop timer' }).click();
  await minutes.getByRole('button', { name: 'Start timer' }).waitFor({ timeout: 15000 });
  await screenshot(page, 'billing-minutes-card');
}));

test('an admin sends the approved claim and sees it acknowledged and paid', { timeout: 300000 }, () => withEvidence(async () => {
  const admin = await newPage();
  const page = admin.page;
  await signInStaffFirstTime(page, box, box.seed.admin.email);
  await page.goto(`${box.url}/#/billing`);
  const claims = page.locator('[data-testid="claims-section"]');
  await claims.locator('tr[data-status="approved"]').first().waitFor({ timeout: 15000 });
  await claims.getByRole('button', { name: 'Send approved claims now' }).click();
  await claims.getByText('1 claim sent in 1 batch').waitFor({ timeout: 15000 });
  // The link sends the batch and fetches the answers every 2 s; the page is reloaded until paid.
  const deadline = Date.now() + 90000;
  for (;;) {
    await page.reload();
    await claims.locator('table.data tbody tr[data-claim]').first().waitFor({ timeout: 15000 });
    if (await claims.locator('tr[data-claim][data-status="paid"]').count() === 1) break;
    if (Date.now() > deadline) throw new Error('the claim was not paid within 90 s');
    await page.waitForTimeout(2000);
  }
  const row = claims.locator('tr[data-claim][data-status="paid"]');
  assert.match(await row.innerText(), /\$163\.00[\s\S]*\$119\.29/);
  await row.getByRole('button', { name: 'Details' }).click();
  const detail = claims.locator('.claim-detail').first();
  await detail.waitFor({ timeout: 15000 });
  const text = await detail.innerText();
  assert.match(text, /Sent \(837P\) · submitted/);
  assert.match(text, /Acknowledgement \(999\) · submitted · 999 A/);
  assert.match(text, /Claim acknowledgement \(277CA\) · accepted · 277CA A2:20/);
  assert.match(text, /Remittance \(835\) · paid · 835 paid 119\.29, patient 29\.82/);
  assert.equal(await detail.locator('tr[data-adjustment="CO-45"]').count(), 4);
  assert.equal(await detail.locator('tr[data-adjustment="PR-2"]').count(), 4);
  assert.equal(await claims.locator('.claims-reports tr[data-status="paid"] td.num').first().innerText(), '1');
  assert.match(await claims.locator('.days-to-payment').innerText(), /^1 paid claim: average/);
  // RPM enrolment and billing per month, as a chart (Ana is enrolled last month and billed).
  await claims.getByRole('heading', { name: 'RPM patients per month: enrolled and billed' }).waitFor();
  await claims.locator('.enrolment-plot .uplot').waitFor({ timeout: 15000 });
  await screenshot(page, 'billing-claim-paid');
}));
