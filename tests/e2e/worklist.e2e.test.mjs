// The worklist in a real browser against a real vigild (issue 23): Dr. Lee keeps his worklist
// open; Nurse Kim writes a phone-call note about Ana Silva and sends it for co-signature; without
// a reload, Dr. Lee's navigation count, the tab's title and the "Notes to co-sign" section show
// it (pushed over the live WebSocket as work.changed); he co-signs from the worklist's link and
// the item leaves. Screenshots go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime } from './harness.mjs';

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
  const b = await startBrowser({ width: 1200, height: 1000 });
  browsers.push(b);
  return openPage(b.context);
}

/** The number in the navigation's worklist badge (0 when hidden). */
async function navCount(page) {
  const badge = page.locator('#worklist-count');
  if (await badge.isHidden()) return 0;
  return Number(await badge.textContent());
}

test("a nurse's note waiting for co-signature reaches the provider's worklist live", { timeout: 300000 }, async () => {
  const provider = await newPage();
  await signInStaffFirstTime(provider.page, box, box.seed.provider.email);
  await provider.page.getByRole('link', { name: /^Worklist/ }).click();
  await provider.page.getByRole('heading', { name: 'Worklist', exact: true }).waitFor();
  const cosign = provider.page.locator('#wl-cosign');
  await cosign.getByText('Nothing to co-sign.').waitFor();
  // The count settles after the first answer; read it then.
  await provider.page.waitForFunction(() => document.title.includes('Worklist'));
  await provider.page.waitForTimeout(1000);
  const before = await navCount(provider.page);
  await screenshot(provider.page, 'worklist-01-before');

  const nurse = await newPage();
  await signInStaffFirstTime(nurse.page, box, box.seed.nurse.email);
  await nurse.page.getByRole('link', { name: 'Patients' }).click();
  await nurse.page.getByRole('link', { name: /Silva/ }).click();
  await nurse.page.getByRole('link', { name: 'Notes', exact: true }).click();
  await nurse.page.getByRole('heading', { name: /^Notes: Ana Silva/ }).waitFor();
  await nurse.page.getByLabel('Encounter').selectOption('phone_call');
  await nurse.page.getByRole('button', { name: 'Start note' }).click();
  await nurse.page.getByLabel('Subjective').fill('Called about dizziness in the mornings.');
  await nurse.page.getByLabel('Plan').fill('Recheck blood pressure sitting; provider to review.');
  await nurse.page.getByRole('button', { name: 'Save draft' }).click();
  await nurse.page.getByRole('button', { name: 'Sign and send for co-signature' }).click();
  await nurse.page.getByText('Waiting for co-signature').first().waitFor();

  // Dr. Lee's page was not reloaded: the item, the count and the title follow.
  await cosign.getByRole('link', { name: 'Ana Silva' }).waitFor({ timeout: 15000 });
  await provider.page.waitForFunction((n) => document.getElementById('worklist-count').textContent === String(n),
    before + 1, { timeout: 15000 });
  assert.match(await provider.page.title(), new RegExp(`^\\(${before + 1}\\) Worklist`));
  await screenshot(provider.page, 'worklist-02-live');

  await cosign.getByRole('link', { name: 'Review and co-sign' }).click();
  await provider.page.getByRole('button', { name: /Co-sign/ }).click();
  await provider.page.getByText(/co-signed .* by Dr\. Mei Lee/).waitFor();
  await provider.page.getByRole('link', { name: /^Worklist/ }).click();
  await cosign.getByText('Nothing to co-sign.').waitFor();
  await provider.page.waitForFunction((n) => (document.getElementById('worklist-count').textContent || '0') === String(n) ||
    (n === 0 && document.getElementById('worklist-count').hidden), before, { timeout: 15000 });
  await screenshot(provider.page, 'worklist-03-after');
});
