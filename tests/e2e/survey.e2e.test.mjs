// Patient satisfaction in a real browser against a real vigild (issue 30): the seed has a video
// visit Ana Silva joined and Dr. Lee ended an hour ago (e2e_seed --survey). Ana signs in and her
// home page shows the survey due; she follows the link, answers with the keyboard-reachable
// radio groups (found by their fieldset legends and labels) and a comment, and sees the thanks;
// the home page then shows no survey due; a second answer to the same visit is refused in words.
// Screenshots of each step go to the e2e artifacts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signIn } from './harness.mjs';

let box;
let browser;

before(async () => {
  box = await startVigild({ seedArgs: ['--survey'] });
}, { timeout: 120000 });

after(async () => {
  if (browser) await browser.close();
  if (box) await box.stop();
}, { timeout: 60000 });

async function answer(page, rating, recommend, comment) {
  await page.getByRole('group', { name: 'Overall, how would you rate this visit?' })
    .getByRole('radio', { name: new RegExp(`^${rating}\\b`) }).check();
  await page.getByRole('group', { name: /How likely are you to recommend us/ })
    .getByRole('radio', { name: new RegExp(`^${recommend}\\b`) }).check();
  if (comment) await page.getByLabel(/Anything else you would like to tell us/).fill(comment);
  await page.getByRole('button', { name: 'Submit' }).click();
}

test('the patient answers the survey of her ended visit once', { timeout: 300000 }, async () => {
  const visitId = box.seed.surveyVisit;
  assert.ok(visitId > 0, 'the seed made the ended visit');
  browser = await startBrowser({ width: 1100, height: 1000 });
  const { page, problems } = await openPage(browser.context);
  await signIn(page, box, box.seed.patientUser.email);

  // Home: the survey due, with a link to it.
  const card = page.getByRole('region', { name: 'Tell us about your visit' });
  await card.waitFor();
  assert.match(await card.textContent(), /Video visit with Dr\. Mei Lee, ended/);
  await screenshot(page, 'survey-01-due-on-home');
  await card.getByRole('link', { name: `Answer the survey about visit ${visitId}` }).click();
  await page.waitForURL(new RegExp(`#/surveys/${visitId}$`));
  await page.getByRole('heading', { name: 'How was your video visit?' }).waitFor();

  // Submitting without a choice says what is missing, and sends nothing.
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.getByRole('alert').filter({ hasText: 'Please choose a rating from 1 to 5.' }).waitFor();

  await answer(page, 4, 9, 'Dr. Lee explained my new medication clearly.');
  await page.getByRole('heading', { name: 'Thank you' }).waitFor();
  await page.getByText('Thank you for telling us about your visit.').waitFor();
  await screenshot(page, 'survey-02-thanks');

  // Home again: nothing due any more.
  await page.goto(`${box.url}/#/me`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle');
  assert.equal(await page.getByRole('region', { name: 'Tell us about your visit' }).count(), 0);

  // A second answer to the same visit is refused, in words.
  await page.goto(`${box.url}/#/surveys/${visitId}`);
  await page.getByRole('heading', { name: 'How was your video visit?' }).waitFor();
  await answer(page, 1, 0);
  const refusal = page.getByRole('alert').filter({ hasText: 'You have already answered the survey about this visit.' });
  await refusal.first().waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Thank you' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Submit' }).count(), 0);
  await screenshot(page, 'survey-03-second-answer-refused');

  // The browser logs the refused request (409) itself; nothing else went wrong.
  const unexpected = problems.filter((p) => !/status of 409/.test(p));
  assert.deepEqual(unexpected, []);
});
