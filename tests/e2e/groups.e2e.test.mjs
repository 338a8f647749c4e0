// Clinic groups (issue 30), in a real browser against a real vigild: the admin creates "North
// clinic", adds the seeded provider (Dr. Mei Lee) chosen by name, sees her listed as a member,
// renames the group, cannot create a second group of the same name in other capitals, and
// deletes another group only once the confirmation is accepted. A nurse reads the list (she
// picks a group in the reports) but creating or renaming one is refused (403), as it is for the
// provider. Screenshots of each step go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime, withEvidence, apiCall } from './harness.mjs';

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

test('an admin creates a clinic group, adds the provider and renames it', { timeout: 180000 }, async () => {
  const { page, problems } = await openPage(browser.context);
  await withEvidence(page, 'groups-admin', problems, async () => {
    await signInStaffFirstTime(page, box, box.seed.admin.email);
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

    await page.getByRole('link', { name: 'Clinic groups' }).click();
    await page.getByRole('heading', { name: 'Clinic groups', level: 1 }).waitFor();
    await page.getByText('No clinic group yet.').waitFor();

    await page.getByLabel('Group name').fill('North clinic');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.locator('.notice', { hasText: 'Group North clinic created.' }).waitFor();
    const north = page.getByRole('region', { name: 'North clinic' });
    await north.getByText('No members yet.').waitFor();
    await screenshot(page, 'groups-created');

    // The seeded provider, chosen by name; admins, the front desk and patients are not offered.
    const pick = north.getByLabel('Add a provider or nurse');
    const offered = await pick.locator('option').allTextContents();
    assert.ok(offered.includes('Dr. Mei Lee (provider)'), offered.join(', '));
    assert.ok(offered.includes('Sam Kim, RN (nurse)'), offered.join(', '));
    assert.ok(!offered.some((o) => /admin|patient|front desk/.test(o)), offered.join(', '));
    await pick.selectOption({ label: 'Dr. Mei Lee (provider)' });
    await north.getByRole('button', { name: 'Add member' }).click();
    await page.locator('.notice', { hasText: 'Dr. Mei Lee added to North clinic.' }).waitFor();
    const members = page.getByRole('table', { name: 'Members of North clinic' });
    await members.getByRole('row', { name: /Dr\. Mei Lee.*provider/ }).waitFor();
    assert.equal(await members.getByRole('row').count(), 2);  // the header and Dr. Lee
    await screenshot(page, 'groups-member-added');

    // The same name in other capitals is refused, and the page says why.
    await page.getByLabel('Group name').fill('NORTH CLINIC');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.locator('.notice.error', { hasText: 'another group has this name' }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'NORTH CLINIC', exact: true }).count(), 0);

    // Renamed: the members stay.
    await north.getByLabel('New name').fill('North clinic (Main St)');
    await north.getByRole('button', { name: 'Rename' }).click();
    await page.locator('.notice', { hasText: 'Group North clinic renamed North clinic (Main St).' }).waitFor();
    const renamed = page.getByRole('region', { name: 'North clinic (Main St)' });
    await renamed.getByRole('heading', { name: 'North clinic (Main St)', level: 2 }).waitFor();
    await page.getByRole('table', { name: 'Members of North clinic (Main St)' })
      .getByRole('row', { name: /Dr\. Mei Lee.*provider/ }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'North clinic', exact: true }).count(), 0);
    await screenshot(page, 'groups-renamed');

    // Deleting asks first: dismissed, the group stays; confirmed, it goes (the accounts stay).
    await page.getByLabel('Group name').fill('Scratch team');
    await page.getByRole('button', { name: 'Create group' }).click();
    const scratch = page.getByRole('region', { name: 'Scratch team' });
    await scratch.waitFor();
    page.once('dialog', (d) => d.dismiss());
    await scratch.getByRole('button', { name: 'Delete Scratch team' }).click();
    const kept = await apiCall(page, 'GET', '/api/v1/groups');
    assert.deepEqual(kept.body.items.map((g) => g.name), ['North clinic (Main St)', 'Scratch team']);
    page.once('dialog', (d) => d.accept());
    await scratch.getByRole('button', { name: 'Delete Scratch team' }).click();
    await page.locator('.notice', { hasText: 'Group Scratch team deleted.' }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Scratch team' }).count(), 0);

    // The API answers what the page shows.
    const listed = await apiCall(page, 'GET', '/api/v1/groups');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((g) => [g.name, g.members.map((m) => [m.displayName, m.role])]),
      [['North clinic (Main St)', [['Dr. Mei Lee', 'provider']]]]);
  });
  // The browser logs the 409 the duplicate name provokes; the page handles it (the notice).
  assert.deepEqual(problems.filter((p) => !/status of 409/.test(p)), []);
  await page.close();
});

test('a nurse and a provider read the groups but may not create one', { timeout: 180000 }, async () => {
  for (const who of [box.seed.nurse.email, box.seed.provider.email]) {
    await browser.context.clearCookies();
    const { page, problems } = await openPage(browser.context);
    await withEvidence(page, 'groups-clinician', problems, async () => {
      await signInStaffFirstTime(page, box, who);
      await page.getByRole('link', { name: 'Account' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Clinic groups' }).count(), 0);

      const listed = await apiCall(page, 'GET', '/api/v1/groups');
      assert.equal(listed.status, 200, who);
      assert.deepEqual(listed.body.items.map((g) => g.name), ['North clinic (Main St)']);

      const created = await apiCall(page, 'POST', '/api/v1/groups', { name: 'My own group' });
      assert.equal(created.status, 403, who);
      const renamed = await apiCall(page, 'PUT', `/api/v1/groups/${listed.body.items[0].id}`, { name: 'Mine' });
      assert.equal(renamed.status, 403, who);
      const after = await apiCall(page, 'GET', '/api/v1/groups');
      assert.deepEqual(after.body.items.map((g) => g.name), ['North clinic (Main St)']);
    });
    assert.deepEqual(problems, []);
    await page.close();
  }
});
