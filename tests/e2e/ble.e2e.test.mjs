// The portal's Bluetooth page in a real browser against a real vigild whose BLE gateway talks to
// the scripted BlueZ stand-in on a private D-Bus (see harness.mjs): an admin sees the link and
// the discovered devices, registers one through "Register this device", pairs a Just Works
// heart-rate strap and a passkey blood-pressure cuff (a wrong passkey first), and sees both
// connected. Screenshots of each step land in the artifacts dir.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVigild, startBrowser, openPage, screenshot, signInStaffFirstTime } from './harness.mjs';

const STRAP = 'C4:7C:8D:6A:12:34';
const STRAP_UID = 'ble-C47C8D6A1234';
const CUFF = 'C4:7C:8D:6A:56:78';
const CUFF_UID = 'ble-C47C8D6A5678';
const CUFF_PASSKEY = '123456';

let box;
let browser;

before(async () => {
  box = await startVigild({ ble: true });
  await box.bluez.control('AddDevice', `'${STRAP}'`, "'hr'", "'justworks'", 'false');
  await box.bluez.control('AddDevice', `'${CUFF}'`, "'bp'", `'passkey:${CUFF_PASSKEY}'`, 'false');
  await box.ready();
  browser = await startBrowser();
}, { timeout: 120000 });

after(async () => {
  if (browser) await browser.close();
  if (box) await box.stop();
}, { timeout: 60000 });

test('admin sees discovered BLE devices, registers one and pairs Just Works and passkey devices', { timeout: 180000 }, async () => {
  const { page, problems } = await openPage(browser.context);
  await signInStaffFirstTime(page, box, box.seed.admin.email);
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

  // The link and both discovered devices.
  await page.getByRole('link', { name: 'Bluetooth' }).click();
  await page.getByRole('heading', { name: 'Bluetooth', level: 1 }).waitFor();
  const link = page.locator('.ble-link');
  await link.getByText('Running').waitFor();
  await link.getByText('Present').waitFor();
  const strap = page.locator('tr', { hasText: STRAP_UID });
  const cuff = page.locator('tr', { hasText: CUFF_UID });
  await strap.getByText('Discovered', { exact: true }).waitFor();
  await cuff.getByText('Discovered', { exact: true }).waitFor();
  await strap.getByText('Not registered').waitFor();
  assert.doesNotMatch(await page.locator('main').innerText(), /\b(null|undefined|NaN)\b/);
  await screenshot(page, 'ble-discovered');

  // "Register this device" opens the Devices form with the uid and kind filled in.
  await strap.getByRole('button', { name: `Register ${STRAP_UID} as a device` }).click();
  await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Device id (uid)').inputValue(), STRAP_UID);
  assert.equal(await page.getByLabel('Kind').inputValue(), 'heart_rate');
  await page.getByRole('button', { name: 'Add device' }).click();
  await page.locator('.notice', { hasText: `Device ${STRAP_UID} added` }).waitFor();
  await screenshot(page, 'ble-registered');

  // Just Works: the default choice, submitted from the keyboard.
  await page.getByRole('link', { name: 'Bluetooth' }).click();
  await strap.getByText(/Registered \(device \d+\)/).waitFor();
  await strap.getByRole('button', { name: `Pair ${STRAP_UID}` }).click();
  await page.getByRole('heading', { name: `Pair ${STRAP_UID}` }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.value), 'justworks');
  assert.equal(await page.getByLabel('Just Works: the device has no display or keypad').isChecked(), true);
  await page.getByRole('button', { name: 'Pair now' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('.notice', { hasText: `Pairing ${STRAP_UID}` }).waitFor();
  await strap.getByText('Connected', { exact: true }).waitFor({ timeout: 30000 });
  await strap.getByText('its measurements are being received').waitFor();
  await screenshot(page, 'ble-strap-connected');

  // Passkey entry: chosen with the arrow key; a malformed passkey is refused in the page, a wrong
  // one by the device, the right one pairs.
  await cuff.getByRole('button', { name: `Pair ${CUFF_UID}` }).click();
  await page.getByRole('heading', { name: `Pair ${CUFF_UID}` }).waitFor();
  await page.keyboard.press('ArrowDown');
  const passkey = page.getByLabel('Passkey shown on the device (6 digits)', { exact: true });
  await page.waitForFunction(() => document.activeElement && document.activeElement.classList.contains('passkey'));
  await passkey.fill('12ab');
  await page.getByRole('button', { name: 'Pair now' }).click();
  await page.getByRole('alert').filter({ hasText: 'Enter the 6 digits the device shows.' }).waitFor();
  assert.equal(await passkey.getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'ble-passkey-form');
  await passkey.fill('654321');
  await page.getByRole('button', { name: 'Pair now' }).click();
  await cuff.getByText('Pairing failed', { exact: true }).waitFor({ timeout: 30000 });
  await cuff.getByText('The passkey did not match').waitFor();
  await screenshot(page, 'ble-cuff-wrong-passkey');

  await cuff.getByRole('button', { name: `Pair ${CUFF_UID}` }).click();
  await page.getByLabel('Passkey shown on the device', { exact: true }).check();
  await passkey.fill(CUFF_PASSKEY);
  await page.getByRole('button', { name: 'Pair now' }).click();
  await cuff.getByText('Connected', { exact: true }).waitFor({ timeout: 30000 });
  await screenshot(page, 'ble-cuff-connected');

  // The stand-in agrees: both paired, trusted and connected.
  for (const address of [STRAP, CUFF]) {
    const state = await box.bluez.control('DeviceState', `'${address}'`);
    assert.match(state, /'Paired': <true>/);
    assert.match(state, /'Connected': <true>/);
  }
  assert.deepEqual(problems, []);
  await page.close();
});
