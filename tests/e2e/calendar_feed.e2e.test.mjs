// A provider's calendar feed in a real browser against a real vigild (issue 22): Dr. Mei Lee
// opens Schedule, makes the feed URL (shown once), the feed is fetched without her session
// (credentials omitted) as a calendar app would and is an iCalendar without patient names; she
// opts in to names, then turns the feed off and the same URL answers 404. Screenshots of each
// step. (The feed's content is checked in depth by unit-webapi and by python3-icalendar in
// app-calendar-feed-integration.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime } from './harness.mjs';

let box;
let browser;

before(async () => {
  box = await startVigild({ seedArgs: ['--schedule'] });
  await box.ready();
}, { timeout: 120000 });

after(async () => {
  if (browser) await browser.close();
  if (box) await box.stop();
}, { timeout: 60000 });

/** GET `url` from the page without cookies: what a calendar app sees. */
function fetchAnonymously(page, url) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { credentials: 'omit', cache: 'no-store' });
    return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
  }, url);
}

test('a provider makes, uses and turns off her calendar feed', { timeout: 300000 }, async () => {
  browser = await startBrowser({ width: 1200, height: 1000 });
  const { page, problems } = await openPage(browser.context);
  try {
    await signInStaffFirstTime(page, box, box.seed.provider.email);
    await page.getByRole('link', { name: 'Schedule' }).click();
    const card = page.getByTestId('calendar-feed');
    await card.getByText('Off: no calendar can read this schedule.').waitFor({ timeout: 15000 });
    await card.getByTestId('feed-make').click();
    const field = card.getByTestId('feed-url');
    await field.waitFor({ timeout: 15000 });
    const url = await field.inputValue();
    assert.match(url, /\/ical\/[A-Za-z0-9_-]{43}\.ics$/);
    await screenshot(page, 'calendar-feed-made');

    const feed = await fetchAnonymously(page, url);
    assert.equal(feed.status, 200);
    assert.equal(feed.type, 'text/calendar; charset=utf-8');
    assert.match(feed.body, /^BEGIN:VCALENDAR\r\nVERSION:2\.0\r\n/);
    assert.ok(!feed.body.includes('Ana'), 'no patient name without the opt-in');

    const saved = page.waitForResponse((r) => r.url().endsWith('/calendar-feed/settings') && r.request().method() === 'PUT', { timeout: 15000 });
    await card.getByLabel('Show patients\' names in the events').check();
    assert.equal((await saved).status(), 200);
    await screenshot(page, 'calendar-feed-names');

    await card.getByTestId('feed-revoke').click();
    await card.getByText('Off: no calendar can read this schedule.').waitFor({ timeout: 15000 });
    assert.equal((await fetchAnonymously(page, url)).status, 404);
    await screenshot(page, 'calendar-feed-off');
    assert.deepEqual(problems, []);
  } catch (e) {
    await screenshot(page, 'calendar-feed-failure').catch(() => {});
    throw e;
  }
});
