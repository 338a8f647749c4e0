// Patient onboarding in a real browser against a real vigild (issue 21): the admin invites Ben
// Okoro (registered, no portal account) from his chart and is shown the link once (this box has
// no cloud link, so the page says to hand it over); in a separate browser (the patient's, no
// session) the link opens the welcome page, a wrong birth date is refused with a clear message,
// the right one and a password create the account, the token leaves the address bar, the patient
// signs in and lands on their own readings; the same link opened again says it was used; the
// admin's chart lists the invitation as "Account created". Then the intake: the home page leads
// to it, the patient gives contact details, insurance with a photo of the card, history and
// signs the telehealth and the remote monitoring consents; the admin sees it complete with the
// photo. Then the admin puts Dr. Mei Lee on Ben's care team (both chosen by name), she finds him
// by name, sees his chart with his readings and enrols him in remote monitoring for the
// condition he gave in his history. Screenshots of each step.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime } from './harness.mjs';

let box;
let staffBrowser;
let patientBrowser;

before(async () => {
  box = await startVigild({ seedArgs: ['--rpm'] });  // the clinic has published an RPM consent too
  await box.ready();
  staffBrowser = await startBrowser();
  patientBrowser = await startBrowser();
}, { timeout: 120000 });

after(async () => {
  if (staffBrowser) await staffBrowser.close();
  if (patientBrowser) await patientBrowser.close();
  if (box) await box.stop();
}, { timeout: 60000 });

test('staff invite a patient, the patient registers from the link once and signs in', { timeout: 180000 }, async () => {
  const { page: staff, problems: staffProblems } = await openPage(staffBrowser.context);
  await signInStaffFirstTime(staff, box, box.seed.admin.email);
  await staff.goto(`${box.url}/#/patients/${box.seed.patientB}`);
  const card = staff.locator('section.invitations');
  await card.getByText('Not invited yet.').waitFor();
  await card.getByLabel('Patient e-mail').fill('ben.okoro@home.example');
  await card.getByRole('button', { name: 'Send invitation' }).click();
  await card.getByText(/no e-mail was sent: give the patient this link/).waitFor();
  const link = await card.getByLabel('Invitation link').inputValue();
  assert.match(link, /^https:\/\/127\.0\.0\.1:\d+\/#\/welcome\/[A-Za-z0-9_-]{43}$/);
  await card.getByText(/Waiting · ben\.okoro@home\.example/).waitFor();
  await screenshot(staff, 'onboarding-invited');

  // The patient's browser: no session.
  const { page, problems } = await openPage(patientBrowser.context);
  await page.goto(link);
  await page.getByRole('heading', { name: /Welcome to your clinic/ }).waitFor();
  assert.doesNotMatch(page.url(), /welcome\/[A-Za-z0-9_-]{43}/);  // the token left the address bar
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /Ben|Okoro|MRN/);  // the link alone reveals nobody
  await page.getByLabel('Your date of birth').fill('1961-07-20');
  await page.getByLabel('Choose a password').fill('river stones and moss 61');
  await page.getByLabel('Password again').fill('river stones and moss 61');
  await page.getByRole('button', { name: 'Create my account' }).click();
  await page.locator('.notice.error', { hasText: 'does not match the clinic' }).waitFor();
  await screenshot(page, 'onboarding-wrong-birth-date');
  await page.getByLabel('Your date of birth').fill('1961-07-19');
  await page.getByRole('button', { name: 'Create my account' }).click();
  await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
  await screenshot(page, 'onboarding-account-ready');

  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('E-mail').fill('ben.okoro@home.example');
  await page.getByLabel('Password').fill('river stones and moss 61');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'My readings' }).waitFor();
  await page.getByText('Ben Okoro').first().waitFor();
  await screenshot(page, 'onboarding-signed-in');

  // The intake: the home page leads to it; four steps, saved as they go.
  await page.getByRole('link', { name: 'Finish your intake' }).click();
  await page.getByRole('heading', { name: 'Welcome: your intake' }).waitFor();
  // Who the clinic has him as (name, birth date, state: staff correct these) is shown to check.
  await page.locator('.identity', { hasText: 'Ben Okoro' }).filter({ hasText: '1961-07-19' }).filter({ hasText: 'TX' }).waitFor();
  await page.getByLabel('Phone', { exact: true }).fill('+1 555 010 7788');
  await page.getByLabel('Street address').fill('4 Quarry Lane');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Emergency contact: name').fill('Ada Okoro');
  await page.getByLabel('Emergency contact: phone').fill('+1 555 010 9911');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('heading', { name: '2. Insurance' }).waitFor();
  await page.getByLabel('Insurance company (payer)').fill('Prairie Health Plan');
  await page.getByLabel('Member id').fill('PHP-448812');
  await page.locator('#card-primary-front').setInputFiles(new URL('../patients/data/card.jpg', import.meta.url).pathname);
  const photo = page.locator('figure.card-photo img').first();
  await photo.waitFor();
  await page.waitForFunction(() => { const i = document.querySelector('figure.card-photo img'); return i && i.complete && i.naturalWidth > 0; });
  await screenshot(page, 'onboarding-intake-insurance');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('heading', { name: '3. Health history' }).waitFor();
  await page.getByLabel('High blood pressure (essential hypertension)').check();
  await page.getByLabel(/Medications you take/).fill('Lisinopril 10 mg once a day');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('heading', { name: '4. Consents' }).waitFor();
  for (const [kind, label] of [['telehealth', 'Telehealth consent'], ['rpm', 'Remote monitoring (RPM) consent']]) {
    const sign = page.getByRole('form', { name: `Sign the ${label}` });
    await sign.getByLabel('Type your full name to sign').fill('Ben Okoro');
    await sign.getByLabel('I have read this document and I agree to it').check();
    await sign.getByRole('button', { name: 'Sign', exact: true }).click();
    await page.locator(`[data-consent="${kind}"]`).waitFor();
  }
  await screenshot(page, 'onboarding-intake-consents');
  await page.getByRole('button', { name: 'Finish' }).click();
  await page.getByRole('heading', { name: 'Thank you' }).waitFor();
  await page.getByRole('link', { name: 'Go to my readings' }).click();
  await page.getByRole('heading', { name: 'My readings' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Finish your intake' }).count(), 0);

  // The same link again, signed out: used.
  const third = await startBrowser();
  try {
    const { page: again } = await openPage(third.context);
    await again.goto(link);
    await again.locator('.notice.error', { hasText: 'has been used already' }).waitFor();
    await screenshot(again, 'onboarding-link-used');
  } finally {
    await third.close();
  }

  await staff.reload();
  await staff.locator('section.invitations').getByText(/Account created · ben\.okoro@home\.example/).waitFor();
  // The clinic sees the intake: completed by the patient, the card photo, the history.
  await staff.goto(`${box.url}/#/patients/${box.seed.patientB}/record`);
  await staff.locator('[data-intake="complete"]', { hasText: 'by the patient' }).waitFor();
  await staff.waitForFunction(() => { const i = document.querySelector('figure.card-photo img'); return i && i.complete && i.naturalWidth > 0; });
  await staff.getByText('Prairie Health Plan').first().waitFor();
  await screenshot(staff, 'onboarding-intake-seen-by-staff');

  // The admin puts the provider on Ben's care team, both chosen by name.
  await staff.getByRole('link', { name: 'Care teams' }).click();
  await staff.getByRole('heading', { name: 'Care team membership' }).waitFor();
  await staff.getByLabel('Provider or nurse').selectOption({ label: 'Dr. Mei Lee (provider)' });
  await staff.getByLabel('Patient', { exact: true }).fill('okoro');
  await staff.getByRole('button', { name: 'Ben Okoro (MRN MRN-1002, born 1961-07-19)' }).click();
  await staff.getByRole('button', { name: 'Add to the care team' }).click();
  await staff.locator('.notice', { hasText: 'Dr. Mei Lee added to the care team of Ben Okoro' }).waitFor();

  // The provider finds Ben by name, sees his readings and enrols him in remote monitoring: his
  // RPM consent, signed in the intake, is on record.
  const providerBrowser = await startBrowser({ width: 1200, height: 1000 });
  try {
    const { page: provider, problems: providerProblems } = await openPage(providerBrowser.context);
    await signInStaffFirstTime(provider, box, box.seed.provider.email);
    await provider.getByRole('link', { name: 'Patients' }).click();
    await provider.getByLabel('Find').fill('oko');
    await provider.getByRole('link', { name: /Okoro/ }).click();
    await provider.locator('canvas, svg').first().waitFor();  // his readings, as a chart
    const rpm = provider.locator('[data-testid="rpm-card"]');
    await rpm.getByRole('heading', { name: 'RPM enrolment' }).waitFor({ timeout: 15000 });
    await rpm.getByText('Not enrolled in remote monitoring.').waitFor();
    const enrol = rpm.getByRole('form', { name: 'Enrol in remote monitoring' });
    await enrol.getByLabel('Condition (ICD-10-CM code)').fill('I10');
    await enrol.getByLabel('Condition description').fill('Essential (primary) hypertension');
    await enrol.getByLabel('Blood pressure monitor · Omron BP7450').check();
    await enrol.getByRole('button', { name: 'Enrol' }).click();
    const active = rpm.locator('li.rpm-active[data-code="I10"]');
    await active.waitFor({ timeout: 15000 });
    assert.doesNotMatch(await active.innerText(), /not billable/);
    await screenshot(provider, 'onboarding-provider-enrols');
    assert.deepEqual(providerProblems, []);
  } finally {
    await providerBrowser.close();
  }
  // The wrong birth date's 422 is the refusal the page showed; nothing else may go wrong.
  assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
  assert.deepEqual(staffProblems, []);
});
