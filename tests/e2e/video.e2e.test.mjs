// Video visits in real browsers against a real vigild (issue 9): a provider and a patient, each
// in their own headless Chromium with a fake camera and microphone, join the same visit through
// the portal; the patient waits until the provider admits them; in each page the other's video
// plays (videoWidth > 0, framesDecoded rising) on a tile named after the other; chat and a shared
// document reach the other page; a recording made with both consents plays back in the
// provider's page and in the administration's list of visits. A nurse who is not a participant
// is refused.
// The media goes browser -> box (webrtcbin relay) -> browser over ICE/DTLS-SRTP on this machine.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVigild, startBrowser, openPage, screenshot, signIn, signInStaffFirstTime, within } from './harness.mjs';

const MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen', '--enable-usermedia-screen-capturing'];
let box;
const browsers = [];

before(async () => {
  box = await startVigild();
}, { timeout: 120000 });

after(async () => {
  for (const b of browsers) await b.close();
  if (box) await box.stop();
}, { timeout: 60000 });

const pages = [];
async function newPage() {
  const b = await startBrowser({ width: 1100, height: 800 }, MEDIA);
  browsers.push(b);
  const p = await openPage(b.context);
  pages.push(p);
  return p;
}

/** Runs the test body; on failure, a screenshot of every page and their problems. */
async function withEvidence(body) {
  try {
    await body();
  } catch (e) {
    for (const [i, p] of pages.entries()) {
      await screenshot(p.page, `video-failure-page${i}`).catch(() => {});
      if (p.problems.length) console.error(`page ${i} problems:`, p.problems);
      const st = await p.page.evaluate(() => { const r = document.querySelector('.visit-room'); return r && r.vigilStats ? r.vigilStats() : null; }).catch(() => null);
      console.error(`page ${i} stats:`, JSON.stringify(st));
    }
    throw e;
  }
}

/** First sign-in of a staff user (password, then TOTP enrolment), up to the Visits link. */
async function signInStaff(page, email) {
  await signInStaffFirstTime(page, box, email);
  await page.getByRole('link', { name: 'Visits' }).waitFor();
}

async function signInPatient(page, email) {
  await signIn(page, box, email);
  await page.getByRole('link', { name: 'Visits' }).waitFor();
}

/** The remote video plays in the page: a size, and decoded frames that keep rising. */
async function assertRemoteVideoPlays(page, who) {
  await page.waitForFunction(() => {
    const v = document.querySelector('.remote-video');
    return v && v.videoWidth > 0;
  }, null, { timeout: 45000 });
  const stats = () => page.evaluate(() => document.querySelector('.visit-room').vigilStats());
  // Decoding settles after the first keyframe; then the count must keep rising.
  const deadline = Date.now() + 30000;
  while ((await stats()).framesDecoded < 20 && Date.now() < deadline) await sleep(500);
  const first = await stats();
  await sleep(3000);
  const second = await stats();
  assert.ok(second.framesDecoded > first.framesDecoded && first.framesDecoded > 0,
    `${who}: framesDecoded ${first.framesDecoded} -> ${second.framesDecoded}: ${JSON.stringify(first.video)} -> ${JSON.stringify(second.video)}`);
  assert.ok(second.audioPacketsReceived > 0, `${who}: no audio packets`);
  // Transport-wide congestion control is negotiated on the leg to the box (the browser's
  // delay-based bandwidth estimation gets the box's feedback).
  assert.ok(second.transportCc, `${who}: transport-cc not negotiated`);
}

test('provider and patient see each other through the box; a non-participant is refused', { timeout: 300000 }, () => withEvidence(async () => {
  const provider = await newPage();
  await signInStaff(provider.page, box.seed.provider.email);

  // The provider schedules a visit with Ana Silva starting now, from the Visits page.
  await provider.page.getByRole('link', { name: 'Visits' }).click();
  await provider.page.getByRole('heading', { name: 'Schedule a video visit' }).waitFor();
  await provider.page.getByLabel('Patient').selectOption({ label: 'Silva, Ana (MRN-1001)' });
  await provider.page.getByRole('button', { name: 'Schedule visit' }).click();
  const open = provider.page.getByRole('link', { name: /^Open visit \d+$/ });
  await open.waitFor();
  const id = Number((await open.getAttribute('aria-label')).replace('Open visit ', ''));
  await screenshot(provider.page, 'video-provider-scheduled');
  await open.click();
  await provider.page.getByRole('heading', { name: `Video visit ${id}` }).waitFor();
  await provider.page.getByRole('button', { name: 'Join visit' }).click();
  await provider.page.getByRole('status').filter({ hasText: 'Connected.' }).waitFor({ timeout: 30000 });

  const patient = await newPage();
  await signInPatient(patient.page, box.seed.patientUser.email);
  await patient.page.evaluate((h) => { location.hash = h; }, `#/visits/${id}`);
  await patient.page.getByRole('button', { name: 'Join visit' }).click();
  await patient.page.getByText('You are in the waiting room').waitFor();
  await screenshot(patient.page, 'video-patient-waiting');
  // Nothing is recorded yet, so no page may say so (a CSS rule once showed the hidden badge).
  const recordingBadge = (page) => page.locator('.badge.recording');
  assert.equal(await recordingBadge(patient.page).isVisible(), false, 'recording badge in the waiting room');
  assert.equal(await recordingBadge(provider.page).isVisible(), false, 'recording badge before recording');

  // The waiting room names the patient (display names come with the visit, for participants).
  await provider.page.getByRole('button', { name: 'Admit Ana Silva' }).click();
  await patient.page.getByRole('status').filter({ hasText: 'Connected.' }).waitFor({ timeout: 30000 });

  await assertRemoteVideoPlays(patient.page, 'patient');
  await assertRemoteVideoPlays(provider.page, 'provider');
  assert.equal(await recordingBadge(patient.page).isVisible(), false, 'recording badge while not recording');
  // Each tile carries the name of whose media it shows (the relay's "slots" message).
  await patient.page.locator('.remote:not([hidden]) .tile-name').filter({ hasText: 'Dr. Mei Lee' }).waitFor();
  await provider.page.locator('.remote:not([hidden]) .tile-name').filter({ hasText: 'Ana Silva' }).waitFor();
  await patient.page.waitForFunction(() => /round trip \d+ ms/.test(document.querySelector('.call-quality').textContent));
  await screenshot(provider.page, 'video-provider-in-call');
  await screenshot(patient.page, 'video-patient-in-call');

  // Chat reaches the other page (and is kept with the visit, encrypted at rest).
  await patient.page.getByRole('textbox', { name: 'Message' }).fill('Hello from the patient');
  await patient.page.getByRole('button', { name: 'Send' }).click();
  await provider.page.locator('.chat-log').getByText('Hello from the patient').waitFor();
  await provider.page.getByRole('textbox', { name: 'Message' }).fill('Hello from the provider');
  await provider.page.keyboard.press('Enter');
  await patient.page.locator('.chat-log').getByText('Hello from the provider').waitFor();

  // A shared document (type checked by its magic bytes, encrypted at rest) reaches the other
  // page, and the provider can open it.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await patient.page.getByLabel('Share a document (PDF, PNG or JPEG)').setInputFiles({ name: 'rash-photo.png', mimeType: 'image/png', buffer: png });
  const link = provider.page.locator('.doc-list').getByRole('link', { name: 'rash-photo.png' });
  await link.waitFor();
  const fetched = await within(provider.page.evaluate(async (href) => {
    const r = await fetch(href);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), length: bytes.length, first: bytes[1] };
  }, await link.getAttribute('href')), 20000, 'the shared document in the provider\'s page');
  assert.deepEqual(fetched, { status: 200, type: 'image/png', length: png.length, first: 0x50 });
  // A file that is not a PDF or an image is refused with a clear message.
  await patient.page.getByLabel('Share a document (PDF, PNG or JPEG)').setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html>not a pdf</html>') });
  await patient.page.getByRole('alert').filter({ hasText: 'only PDF, PNG and JPEG' }).waitFor();

  // Screen share: the patient's screen arrives as a video of its own on the provider's page.
  await patient.page.getByRole('button', { name: 'Share screen' }).click();
  await patient.page.getByRole('button', { name: 'Stop sharing' }).waitFor();
  await provider.page.waitForFunction(() => {
    const v = document.querySelector('.remote-screen');
    return v && v.videoWidth > 0;
  }, null, { timeout: 30000 });
  await screenshot(provider.page, 'video-provider-sees-screen');
  await patient.page.getByRole('button', { name: 'Stop sharing' }).click();
  await patient.page.getByRole('button', { name: 'Share screen' }).waitFor();

  // Recording: refused until both consent, then both pages show it is recording.
  await provider.page.getByRole('button', { name: 'Start recording' }).click();
  await provider.page.getByRole('alert').filter({ hasText: 'consent_missing' }).waitFor();
  await provider.page.getByLabel('I consent to this visit being recorded').check();
  await patient.page.getByLabel('I consent to this visit being recorded').check();
  await patient.page.waitForFunction(() => document.getElementById('visit-consent').checked);
  await sleep(500); // the patient's consent is posted
  await provider.page.getByRole('button', { name: 'Start recording' }).click();
  await provider.page.getByRole('button', { name: 'Stop recording' }).waitFor();
  await recordingBadge(patient.page).waitFor({ state: 'visible' });
  // A recording starts at a keyframe: the relay asks each sender for one, but an RTP session may
  // send a feedback packet early only once per regular RTCP interval (RFC 4585 3.5.2; at most
  // 1.5 x 5 s), and a keyframe request a moment earlier (the screen share's) may have used it.
  // Recording 9 s makes sure each file holds media (4 s once gave a file of headers only).
  await sleep(9000);
  await provider.page.getByRole('button', { name: 'Stop recording' }).click();
  await provider.page.getByRole('button', { name: 'Start recording' }).waitFor();
  await recordingBadge(patient.page).waitFor({ state: 'hidden' });

  // Playback: the provider's page lists the recordings (one per participant) and plays each,
  // decrypted by the box and fetched in byte ranges by the player. Both must hold video: a
  // recording of headers only once went unnoticed for the participant not played here.
  for (const who of ['Dr. Mei Lee', 'Ana Silva']) {
    const play = provider.page.getByRole('button', { name: new RegExp(`^Play the recording of ${who}`) });
    await play.waitFor();
    await provider.page.evaluate(() => { const v = document.querySelector('.recording-player'); if (v) v.removeAttribute('src'); });
    await play.click();
    await provider.page.waitForFunction(() => {
      const v = document.querySelector('.recording-player');
      return v && !v.hidden && v.getAttribute('src') && v.readyState >= 2 && v.videoWidth > 0;
    }, null, { timeout: 30000 }).catch(async (e) => {
      const st = await provider.page.evaluate(() => {
        const v = document.querySelector('.recording-player');
        return fetch(v.src, { headers: { Range: 'bytes=0-' } }).then(async (r) => {
          const b = new Uint8Array(await r.arrayBuffer());
          return { status: r.status, type: r.headers.get('content-type'), range: r.headers.get('content-range'), len: b.length, head: Array.from(b.slice(0, 48)).map((x) => x.toString(16)).join(' '), src: v.src, readyState: v.readyState, networkState: v.networkState, error: v.error && `${v.error.code} ${v.error.message}`, w: v.videoWidth };
        });
      });
      throw new Error(`the recording of ${who} did not play: ${JSON.stringify(st)}: ${e.message}`);
    });
  }
  await screenshot(provider.page, 'video-provider-plays-recording');
  // The patient has no playback (the visit's provider and admins only).
  const patientStatus = await within(patient.page.evaluate(async (visitId) => (await fetch(`/api/v1/visits/${visitId}/recordings`)).status, id),
    20000, 'the patient\'s GET of the recordings');
  assert.equal(patientStatus, 403);

  // Mute and camera off are local track switches; the call goes on.
  await patient.page.getByRole('button', { name: 'Mute' }).click();
  await patient.page.getByRole('button', { name: 'Unmute' }).waitFor();
  await patient.page.getByRole('button', { name: 'Camera off' }).click();
  await patient.page.getByRole('button', { name: 'Camera on' }).waitFor();

  // A nurse on the patient's care team who is not a participant is refused, and so is her
  // media socket.
  const nurse = await newPage();
  await signInStaff(nurse.page, box.seed.nurse.email);
  await nurse.page.evaluate((h) => { location.hash = h; }, `#/visits/${id}`);
  await nurse.page.getByRole('alert').filter({ hasText: 'not a participant' }).waitFor();
  await nurse.page.getByRole('button', { name: 'Join visit' }).click();
  await nurse.page.getByRole('alert').filter({ hasText: 'not_participant' }).waitFor();
  const closeCode = await within(nurse.page.evaluate(async (visitId) => {
    const s = await (await fetch('/api/v1/session')).json();
    return new Promise((resolve) => {
      const ws = new WebSocket(`wss://${location.host}/api/v1/visits/${visitId}/media?csrf=${encodeURIComponent(s.csrf)}`);
      ws.onclose = (e) => resolve(e.code);
      setTimeout(() => resolve('no close of the media socket within 20 s'), 20000);
    });
  }, id), 30000, 'the nurse\'s media socket to be closed');
  assert.equal(closeCode, 4003);
  await screenshot(nurse.page, 'video-nurse-refused');

  // The provider invites her by e-mail address as an interpreter from the form under the
  // participant list; an address without an account gets the generic refusal first.
  await provider.page.getByLabel('E-mail address').fill('nobody@clinic.example');
  await provider.page.getByRole('button', { name: 'Invite', exact: true }).click();
  await provider.page.locator('.invite-result').filter({ hasText: 'Nobody with that e-mail address can be invited' }).waitFor();
  await provider.page.getByLabel('E-mail address').fill(box.seed.nurse.email);
  await provider.page.getByLabel('Role', { exact: true }).selectOption('interpreter');
  await provider.page.getByRole('button', { name: 'Invite', exact: true }).click();
  await provider.page.locator('.invite-result').filter({ hasText: 'Sam Kim, RN is invited as interpreter' }).waitFor();
  await provider.page.locator('.participant-list li').filter({ hasText: 'Sam Kim, RN (interpreter): invited' }).waitFor();
  await patient.page.locator('.participant-list li').filter({ hasText: 'Sam Kim, RN (interpreter)' }).waitFor({ timeout: 10000 });
  await screenshot(provider.page, 'video-provider-invited');
  // Now a participant, she joins and waits; the provider sees her in the waiting room.
  await nurse.page.evaluate((h) => { location.hash = h; }, '#/visits');
  await nurse.page.getByRole('heading', { name: 'Video visits' }).waitFor();
  await nurse.page.evaluate((h) => { location.hash = h; }, `#/visits/${id}`);
  await nurse.page.getByRole('button', { name: 'Join visit' }).click();
  await nurse.page.getByText('You are in the waiting room').waitFor();
  await provider.page.getByRole('button', { name: 'Admit Sam Kim, RN' }).waitFor();

  // The provider still receives the patient after all that.
  await assertRemoteVideoPlays(provider.page, 'provider (after the refusal)');
  // The relay's call-quality samples are kept with the visit (every 10 s by default).
  const qualityKept = () => within(provider.page.evaluate(async (visitId) => {
    const v = await (await fetch(`/api/v1/visits/${visitId}`)).json();
    return v.quality.length === 2 && v.quality.every((q) => q.samples > 0 && q.kbpsAvg > 0);
  }, id), 20000, 'the visit (GET /api/v1/visits/:id) in the provider\'s page');
  const until = Date.now() + 30000;
  while (!(await qualityKept()) && Date.now() < until) await sleep(1000);
  assert.ok(await qualityKept(), 'call quality kept with the visit for both participants');

  // An admin finds the visit in the administration's list of visits (with its recordings) and
  // plays one with the same player.
  const admin = await newPage();
  await signInStaff(admin.page, box.seed.admin.email);
  await admin.page.getByRole('link', { name: 'Visits' }).click();
  await admin.page.getByRole('heading', { name: 'Video visits' }).waitFor();
  const row = admin.page.locator('table.data tbody tr').filter({ has: admin.page.getByRole('rowheader', { name: String(id), exact: true }) });
  await row.getByText(/^2 \(/).waitFor(); // two recordings, one per participant
  await admin.page.getByRole('button', { name: `Recordings of visit ${id}` }).click();
  await admin.page.getByRole('button', { name: new RegExp(`^Play the recording of Participant ${box.seed.patientUser.id} `) }).click();
  await admin.page.waitForFunction(() => {
    const v = document.querySelector('.recording-player');
    return v && !v.hidden && v.readyState >= 2 && v.videoWidth > 0;
  }, null, { timeout: 30000 });
  await screenshot(admin.page, 'video-admin-plays-recording');
  // While the visit runs the admin cannot ask for its chat; once the provider ends it, the
  // admin reads the chat and documents only after giving a reason (issue 18).
  assert.equal(await admin.page.getByRole('button', { name: `Chat and documents of visit ${id}` }).count(), 0);
  await provider.page.getByRole('button', { name: 'End visit' }).click();
  await provider.page.getByText('The visit has ended.').waitFor();
  // The list may still hold the visit in progress (a search that crossed the end): search again
  // until the ended visit offers its chat and documents (bounded: 20 tries, 10 s).
  const chatButton = admin.page.getByRole('button', { name: `Chat and documents of visit ${id}` });
  for (let tries = 0; !(await chatButton.isVisible()); tries++) {
    if (tries >= 20) throw new Error('the ended visit did not reach the admin list within 10 s');
    await admin.page.getByRole('button', { name: 'Search' }).click();
    await admin.page.waitForTimeout(500);
  }
  await chatButton.click();
  await admin.page.getByRole('button', { name: 'Open chat and documents' }).click();
  await admin.page.getByText('A reason is required.').waitFor();
  await admin.page.getByLabel('Reason (required)').fill('Complaint review, ticket 118');
  await admin.page.getByRole('button', { name: 'Open chat and documents' }).click();
  const chat = admin.page.getByRole('list', { name: `Chat of visit ${id}` });
  await chat.getByText('Hello from the patient').waitFor();
  await chat.getByText('Hello from the provider').waitFor();
  await screenshot(admin.page, 'video-admin-reads-past-chat');
  assert.deepEqual(admin.problems, []);

  // The refused upload's 422, the patient's refused playback and the refused invitation (403)
  // are expected; nothing else (no CSP violation, no script error).
  assert.deepEqual(provider.problems.filter((m) => !/status of (422|403)/.test(m)), []);
  assert.deepEqual(patient.problems.filter((m) => !/status of (422|403)/.test(m)), []);
}));
