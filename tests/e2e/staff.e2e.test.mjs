// Staff pages by name and the front desk, in a real browser against a real vigild (issue 21).
// The admin assigns a nurse to a patient's care team and a device to a patient by choosing
// names (no id is typed anywhere), sees the membership listed by name and removes it, and
// creates a front-desk user. The front-desk user signs in (enrolling TOTP like all staff),
// registers a patient, sees demographics only, books a visit with a clinician of a patient's
// care team (chosen by name), and opening the new patient's readings is refused. Registering
// the same person again (same name in other case, same birth date) shows the candidate: the
// desk registers a different person anyway, then says the next one is the same person and her
// record opens, nothing created.
// Screenshots of each step go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime, withEvidence } from './harness.mjs';

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

test('an admin manages care teams and devices by name and creates a front-desk user', { timeout: 180000 }, async () => {
  const { page, problems } = await openPage(browser.context);
  await withEvidence(page, 'staff-admin', problems, async () => {
    await signInStaffFirstTime(page, box, box.seed.admin.email);
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

    // Care teams: the seed's team of Ana Silva is listed by name.
    await page.getByRole('link', { name: 'Care teams' }).click();
    await page.getByRole('heading', { name: 'Care team membership' }).waitFor();
    const membership = page.getByRole('table', { name: 'Care team membership' });
    await membership.getByRole('row', { name: /Ana Silva.*Sam Kim, RN/ }).waitFor();
    assert.equal(await membership.getByRole('row', { name: /Ben Okoro/ }).count(), 0);

    // The nurse joins Ben Okoro's team: both chosen by name.
    await page.getByLabel('Provider or nurse').selectOption({ label: 'Sam Kim, RN (nurse)' });
    await page.getByLabel('Patient', { exact: true }).fill('okoro');
    await page.getByRole('button', { name: 'Ben Okoro (MRN MRN-1002, born 1961-07-19)' }).click();
    await page.locator('.picker-value', { hasText: 'Ben Okoro' }).waitFor();
    await screenshot(page, 'staff-care-team-chosen');
    await page.getByRole('button', { name: 'Add to the care team' }).click();
    await page.locator('.notice', { hasText: 'Sam Kim, RN added to the care team of Ben Okoro' }).waitFor();
    const row = membership.getByRole('row', { name: /Ben Okoro.*Sam Kim, RN.*nurse/ });
    await row.waitFor();
    await screenshot(page, 'staff-care-team-listed');

    // Removed from its row.
    await row.getByRole('button', { name: 'Remove Sam Kim, RN from the care team of Ben Okoro' }).click();
    await page.locator('.notice', { hasText: 'Sam Kim, RN removed from the care team of Ben Okoro' }).waitFor();
    await membership.getByRole('row', { name: /Ana Silva.*Sam Kim, RN/ }).waitFor();
    assert.equal(await membership.getByRole('row', { name: /Ben Okoro/ }).count(), 0);
    await screenshot(page, 'staff-care-team-removed');

    // Devices: a new pulse oximeter goes to Ben Okoro, chosen by name; the list names him.
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    await page.locator('tr', { hasText: 'bp-1001' }).getByRole('link', { name: 'Ana Silva' }).waitFor();
    await page.getByLabel('Device id (uid)').fill('spo2-3001');
    await page.getByLabel('Kind').selectOption('pulse_oximeter');
    await page.getByRole('button', { name: 'Add device' }).click();
    await page.locator('.notice', { hasText: /Device spo2-3001 added/ }).waitFor();
    await page.getByLabel('Device', { exact: true }).selectOption({ label: 'spo2-3001 (pulse oximeter)' });
    await page.getByLabel('Patient', { exact: true }).fill('Ben');
    await page.getByRole('button', { name: 'Ben Okoro (MRN MRN-1002, born 1961-07-19)' }).click();
    await page.getByRole('button', { name: 'Assign device' }).click();
    await page.locator('.notice', { hasText: 'Device spo2-3001 assigned to Ben Okoro' }).waitFor();
    await page.locator('tr', { hasText: 'spo2-3001' }).getByRole('link', { name: 'Ben Okoro' }).waitFor();
    await screenshot(page, 'staff-device-assigned');

    // No form on these pages asks for a number.
    assert.equal(await page.locator('input[type=number]').count(), 0);

    // A front-desk account (issue 21), created in Users.
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByLabel('Role').selectOption({ label: 'front desk' });
    await page.getByLabel('E-mail').fill('front.desk@clinic.example');
    await page.getByLabel('Display name').fill('Fran Desk');
    await page.getByLabel('Initial password').fill(box.seed.password);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('.notice', { hasText: 'User created.' }).waitFor();
    await page.getByRole('row', { name: /Fran Desk.*front desk.*Not enrolled/ }).waitFor();
    await screenshot(page, 'staff-front-desk-created');
  });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the front desk signs in with two-step, registers a patient, books a visit, is refused readings and is asked about duplicates', { timeout: 180000 }, async () => {
  await browser.context.clearCookies();
  const { page, problems } = await openPage(browser.context);
  await withEvidence(page, 'staff-front-desk', problems, async () => {
    // Created in the portal with "chooses a new password" left on (the default).
    await signInStaffFirstTime(page, box, 'front.desk@clinic.example', 'front desk harbour morning 2026');
    await page.getByRole('heading', { name: 'Patients', level: 1 }).waitFor();
    // Demographics of every patient, no vitals or alert flags.
    const list = page.getByRole('table', { name: 'Patients' });
    await list.getByRole('row', { name: /Ben Okoro.*MRN-1002.*1961-07-19/ }).waitFor();
    await list.getByRole('row', { name: /Ana Silva.*MRN-1001/ }).waitFor();
    assert.equal(await page.getByText('Last reading').count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Alert queue' }).count(), 0);

    await page.getByLabel('MRN').fill('MRN-2001');
    await page.getByLabel('Given name').fill('Rosa');
    await page.getByLabel('Family name').fill('Diaz');
    await page.getByLabel('Birth date').fill('1980-02-03');
    await page.getByLabel('State (2 letters)').fill('tx');
    await page.getByRole('button', { name: 'Register patient' }).click();
    await page.locator('.notice', { hasText: 'Registered Rosa Diaz (MRN MRN-2001, born 1980-02-03).' }).waitFor();
    const row = list.getByRole('row', { name: /Rosa Diaz.*MRN-2001/ });
    await row.waitFor();
    await screenshot(page, 'staff-front-desk-registered');
    const id = await row.getAttribute('data-patient-id');
    assert.match(id, /^\d+$/);

    // Books a video visit for Ana Silva with a clinician of her care team, both chosen by name.
    await page.getByLabel('Patient for the visit', { exact: true }).fill('Silva');
    await page.getByRole('button', { name: 'Ana Silva (MRN MRN-1001, born 1956-03-02)' }).click();
    await page.getByLabel('Clinician').selectOption({ label: 'Dr. Mei Lee (provider)' });
    await page.getByLabel('Starts').fill('2030-01-02T10:00');
    await page.getByRole('button', { name: 'Schedule visit' }).click();
    await page.locator('.notice', { hasText: 'Visit scheduled: Ana Silva with Dr. Mei Lee (provider)' }).waitFor();
    await screenshot(page, 'staff-front-desk-scheduled');

    // The patient's readings (the chart) are refused: the server answers 403.
    const refused = page.waitForResponse((r) => r.url().includes(`/api/v1/patients/${id}/readings`));
    await page.evaluate((hash) => { location.hash = hash; }, `#/patients/${id}`);
    assert.equal((await refused).status(), 403);
    await page.getByRole('heading', { name: 'Access denied' }).waitFor();
    // No emergency access for the front desk: that is for clinicians.
    assert.equal(await page.getByRole('button', { name: 'Open emergency access' }).count(), 0);
    await screenshot(page, 'staff-front-desk-refused');

    // Duplicate detection: Rosa Diaz again, typed in other case with another MRN. The desk is
    // shown the registered Rosa Diaz by name, MRN and birth date and says "different person".
    await page.evaluate(() => { location.hash = '#/patients'; });
    await page.getByRole('heading', { name: 'Register a patient' }).waitFor();
    await page.getByLabel('MRN').fill('MRN-2002');
    await page.getByLabel('Given name').fill('rosa');
    await page.getByLabel('Family name').fill('DIAZ');
    await page.getByLabel('Birth date').fill('1980-02-03');
    await page.getByRole('button', { name: 'Register patient' }).click();
    const candidates = page.getByRole('list', { name: 'Possible duplicates' });
    await candidates.getByText('Rosa Diaz (MRN MRN-2001, born 1980-02-03)').waitFor();
    assert.equal(await candidates.getByRole('listitem').count(), 1);
    await screenshot(page, 'staff-front-desk-duplicate-asked');
    await page.getByRole('button', { name: 'Different person — register anyway' }).click();
    await page.locator('.notice', { hasText: 'Registered rosa DIAZ (MRN MRN-2002, born 1980-02-03).' }).waitFor();
    await list.getByRole('row', { name: /rosa DIAZ.*MRN-2002/ }).waitFor();
    await screenshot(page, 'staff-front-desk-duplicate-confirmed');

    // A third time: both are candidates; this one is the first Rosa Diaz, so nothing is created
    // and her record opens.
    await page.getByLabel('MRN').fill('MRN-2003');
    await page.getByLabel('Given name').fill('Rosa');
    await page.getByLabel('Family name').fill('Diaz');
    await page.getByLabel('Birth date').fill('1980-02-03');
    await page.getByRole('button', { name: 'Register patient' }).click();
    await candidates.getByText('rosa DIAZ (MRN MRN-2002, born 1980-02-03)').waitFor();
    assert.equal(await candidates.getByRole('listitem').count(), 2);
    await screenshot(page, 'staff-front-desk-duplicate-two');
    await page.getByRole('button', { name: 'Same person — open their chart: Rosa Diaz (MRN MRN-2001, born 1980-02-03)' }).click();
    await page.getByRole('heading', { name: 'Record: Rosa Diaz', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).hash, `#/patients/${id}/record`);
    await screenshot(page, 'staff-front-desk-duplicate-merged');
    // No patient MRN-2003 was created.
    await page.evaluate(() => { location.hash = '#/patients'; });
    await list.getByRole('row', { name: /rosa DIAZ.*MRN-2002/ }).waitFor();
    assert.equal(await list.getByRole('row', { name: /MRN-2003/ }).count(), 0);
  });
  // The browser logs the two possible_duplicate answers (409) the page handled; nothing else.
  const conflicts = problems.filter((p) => /responded with a status of 409/.test(p));
  assert.equal(conflicts.length, 2);
  assert.deepEqual(problems.filter((p) => !conflicts.includes(p)), []);
  await page.close();
});
