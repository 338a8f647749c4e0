// Test harness: a real vigild on a seeded temp data dir over TLS (self-signed certificate made
// with openssl), optionally with a real Mosquitto configured as the appliance's (vigil-provision
// broker: CA, server and vigild certificates, ACL) and provisioned devices publishing through it
// with their own certificates (mosquitto_pub), or the scripted BlueZ stand-in
// (tests/ble/bluez_standin.py) on a private dbus-daemon with vigild's BLE gateway pointed at it;
// and headless Chromium (Debian's) through playwright-core. Collects console errors, page errors and CSP violations; writes screenshots as
// artifacts.
//
// Every wait here has its own deadline and fails saying what it waited for (issue 31): tools run
// with a timeout, children are stopped with SIGTERM, a bounded wait and SIGKILL, within() bounds
// any promise, and a whole test file ends (children killed) at VIGIL_E2E_FILE_LIMIT_MS (540 s
// by default), before ctest's TIMEOUT of 600 s, even when a hook or a close never returns.

import { spawn, execFileSync, execFile } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { get as httpsGet } from 'node:https';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

/** Children spawned by the harness: killed when the process exits, however it exits. */
const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* already gone */ } }
});

const fileLimitMs = Number(process.env.VIGIL_E2E_FILE_LIMIT_MS || 540000);
setTimeout(() => {
  console.error(`e2e deadline: ${process.argv[1]} still running after ${fileLimitMs / 1000} s `
    + '(a test or hook is waiting without end); exiting so that ctest gets this message');
  process.exit(1);
}, fileLimitMs).unref();

/**
 * Resolves as `promise` does, or rejects with "timed out after N s waiting for <what>" when it
 * has not settled within `ms`.
 */
export async function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** execFileSync with a deadline: a tool that hangs fails with what it was doing. */
function runTool(file, args, what, options = {}) {
  const timeout = options.timeout || 60000;
  try {
    return execFileSync(file, args, { ...options, timeout, killSignal: 'SIGKILL' });
  } catch (e) {
    if (e.code === 'ETIMEDOUT' || e.signal === 'SIGKILL') throw new Error(`timed out after ${timeout / 1000} s ${what}`);
    throw e;
  }
}

/** execFile with a deadline; resolves with stdout, rejects with stderr or the timeout. */
function runToolAsync(file, args, what, timeout = 30000) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout, killSignal: 'SIGKILL' }, (err, out, errText) => {
      if (err && err.killed) reject(new Error(`timed out after ${timeout / 1000} s ${what}`));
      else if (err) reject(new Error(`${what} failed: ${errText}`));
      else resolve(out);
    });
  });
}

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through ctest -R e2e-portal)`);
  return v;
};

export const artifacts = process.env.VIGIL_E2E_ARTIFACTS || join(tmpdir(), 'vigil-e2e-artifacts');
mkdirSync(artifacts, { recursive: true });

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    const timer = setTimeout(() => reject(new Error('timed out after 10 s waiting to listen on a free port')), 10000);
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => { clearTimeout(timer); resolve(port); });
    });
  });
}

/** Waits until something accepts TCP connections on 127.0.0.1:port. */
async function waitForPort(port, child, what, log) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.setTimeout(2000, () => { s.destroy(); resolve(false); });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}: ${log()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port}: ${log()}`);
    await sleep(50);
  }
}

/** SIGTERM, up to 10 s for the exit, then SIGKILL and up to 10 s more; throws if it outlives both. */
async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  child.kill('SIGTERM');
  let until = Date.now() + 10000;
  while (!gone() && Date.now() < until) await sleep(50);
  if (gone()) return;
  child.kill('SIGKILL');
  until = Date.now() + 10000;
  while (!gone() && Date.now() < until) await sleep(50);
  if (!gone()) throw new Error(`${child.spawnfile} (pid ${child.pid}) still running 10 s after SIGKILL`);
}

/**
 * A real Mosquitto for the data dir, set up by vigil-provision exactly as the appliance's, with
 * a certificate bundle for each device uid (issued before the broker starts, so the ACL names
 * them). Returns the broker's ports, the bundles and a stop().
 */
async function startBroker(dir, data, deviceUids) {
  const provision = env('VIGIL_PROVISION');
  const certPort = await freePort();
  const passwordPort = await freePort();
  runTool(provision, ['broker', '--data', data, '--bind', '127.0.0.1', '--cert-port', String(certPort),
    '--password-port', String(passwordPort)], 'setting up the broker (vigil-provision broker)', { stdio: 'ignore' });
  const bundles = {};
  for (const uid of deviceUids) {
    bundles[uid] = join(dir, 'bundles', uid);
    runTool(provision, ['device', '--id', uid, '--out', bundles[uid], '--data', data],
      `provisioning device ${uid}`, { stdio: 'ignore' });
  }
  const child = track(spawn('/usr/sbin/mosquitto', ['-c', join(data, 'mosquitto', 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  await waitForPort(certPort, child, 'mosquitto', () => log);
  return { certPort, passwordPort, bundles, child, log: () => log };
}

/**
 * A private dbus-daemon (allow-all policy, as tests/ble/bluez_standin.hpp) with the scripted
 * BlueZ stand-in on it. control(method, ...args) calls its org.vigil.test.Control interface
 * through gdbus; args are GVariant text ("'C4:7C:8D:6A:12:34'", "false").
 */
async function startBlueZ(dir) {
  const busDir = join(dir, 'dbus');
  mkdirSync(busDir);
  const socket = join(busDir, 'bus');
  const address = `unix:path=${socket}`;
  writeFileSync(join(busDir, 'bus.conf'), '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" '
    + '"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
    + `<busconfig><type>system</type><listen>${address}</listen><auth>EXTERNAL</auth>`
    + '<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>'
    + '<allow own="*"/><allow user="*"/></policy></busconfig>\n');
  const daemon = track(spawn('/usr/bin/dbus-daemon', [`--config-file=${join(busDir, 'bus.conf')}`, '--nofork', '--nopidfile'], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let log = '';
  daemon.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 10000;
  while (!existsSync(socket)) {
    if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`dbus-daemon did not start: ${log}`);
    await sleep(20);
  }
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'ble', 'bluez_standin.py');
  const standIn = track(spawn('/usr/bin/python3', [script, '--bus', address, '--verbose'], { stdio: ['ignore', 'ignore', 'pipe'] }));
  standIn.stderr.on('data', (d) => { log += d; });
  const gdbus = async (args) => (await runToolAsync('gdbus', ['call', '--address', address, ...args],
    `gdbus ${args.join(' ')}`)).trim();
  for (;;) {
    const owned = await gdbus(['--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus',
      '--method', 'org.freedesktop.DBus.NameHasOwner', 'org.bluez']);
    if (owned.includes('true')) break;
    if (standIn.exitCode !== null || Date.now() > deadline) throw new Error(`BlueZ stand-in did not start: ${log}`);
    await sleep(50);
  }
  return {
    address,
    log: () => log,
    control: (method, ...args) => gdbus(['--dest', 'org.bluez', '--object-path', '/org/vigil/test',
      '--method', `org.vigil.test.Control.${method}`, ...args]),
    async stop() {
      await stopChild(standIn);
      await stopChild(daemon);
    },
  };
}

/**
 * The cloud stand-in on a free port with its state in <dir>/cloud, and vigild's configuration
 * (`conf`, already written) pointed at it and enrolled with its one-time code. Returns the child,
 * its URL and recorded(): the lines of its --record file (`id stream seq kind`).
 */
async function startCloud(dir, conf) {
  const cloudDir = join(dir, 'cloud');
  mkdirSync(cloudDir);
  const port = await freePort();
  const record = join(cloudDir, 'record.txt');
  const child = track(spawn(env('VIGIL_DEVTOOL'), ['cloud', 'serve', '--dir', cloudDir, '--port', String(port),
    '--record', record], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 20000;
  while (!existsSync(join(cloudDir, 'url')) || !readFileSync(join(cloudDir, 'url'), 'utf8').trim()) {
    if (child.exitCode !== null) throw new Error(`the cloud stand-in exited ${child.exitCode}: ${log}`);
    if (Date.now() > deadline) throw new Error(`the cloud stand-in did not start: ${log}`);
    await sleep(50);
  }
  await waitForPort(port, child, 'the cloud stand-in', () => log);
  const url = `https://127.0.0.1:${port}`;
  appendFileSync(conf, [`sync.url = ${url}`, `sync.ca_file = ${join(cloudDir, 'ca.crt')}`, 'sync.inbox_interval_seconds = 2', ''].join('\n'));
  const code = readFileSync(join(cloudDir, 'enrolment-code'), 'utf8').trim();
  runTool(env('VIGILD'), ['--config', conf, 'sync', 'enrol', code, 'E2E clinic'], 'enrolling the box with the stand-in (vigild sync enrol)',
    { stdio: 'ignore' });
  return {
    child,
    url,
    log: () => log,
    recorded: () => (existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/**
 * Starts vigild with TLS on port 0 over a freshly seeded data dir.
 * options.seedArgs: extra e2e_seed arguments; options.broker: also a real Mosquitto with the
 * seeded devices provisioned, and vigild ingesting from it (box.publish sends as a device);
 * options.ble: the BlueZ stand-in on a private bus (box.bluez), vigild's BLE gateway on it.
 * Without options.ble, BLE is off (the host's system bus is never touched).
 * options.config: extra vigild.conf lines (e.g. short acknowledgement deadlines).
 * options.cloud: also the cloud stand-in (`vigil-devtool cloud serve`, its own CA and keys, a
 * --record file of the entries it accepts) with vigild's sync.url pointing at it, and the box
 * enrolled with it (`vigild sync enrol` with the stand-in's one-time code) before vigild starts;
 * box.cloud.recorded() reads the record file.
 */
export async function startVigild(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const seed = JSON.parse(runTool(env('VIGIL_E2E_SEED'), [data, ...(options.seedArgs || [])], 'seeding the data dir (e2e_seed)',
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const broker = options.broker ? await startBroker(dir, data, seed.devices || [seed.deviceA]) : null;
  const bluez = options.ble ? await startBlueZ(dir) : null;
  runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
  'making the TLS certificate (openssl req)', { stdio: 'ignore' });
  const conf = join(dir, 'vigild.conf');
  writeFileSync(conf, [
    `data.dir = ${data}`,
    'web.port = 0',
    `web.port_file = ${join(dir, 'port')}`,
    `web.assets_dir = ${env('VIGIL_PORTAL_DIR')}`,
    `web.tls.cert = ${join(dir, 'cert.pem')}`,
    `web.tls.key = ${join(dir, 'key.pem')}`,
    ...(broker ? ['mqtt.enabled = true', `mqtt.port = ${broker.certPort}`, 'ingest.device_rate = 0']
      : ['mqtt.enabled = false']),
    ...(bluez ? ['ble.enabled = true', `ble.bus_address = ${bluez.address}`, 'ble.retry_ms = 300'] : ['ble.enabled = false']),
    'systemd.watchdog = false',
    `log.level = ${process.env.VIGIL_E2E_LOG_LEVEL || 'warn'}`,
    ...(options.config || []),
    '',
  ].join('\n'));
  const cloud = options.cloud ? await startCloud(dir, conf) : null;
  const child = track(spawn(env('VIGILD'), ['--config', conf], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  // VIGIL_E2E_VIGILD_LOG=<file> keeps vigild's log (warnings and errors; VIGIL_E2E_LOG_LEVEL=info
  // for more) for debugging.
  if (process.env.VIGIL_E2E_VIGILD_LOG) child.stderr.on('data', (d) => appendFileSync(process.env.VIGIL_E2E_VIGILD_LOG, d));
  const portFile = join(dir, 'port');
  const deadline = Date.now() + 20000;
  while (!existsSync(portFile)) {
    if (child.exitCode !== null) throw new Error(`vigild exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`vigild did not start: ${stderr}`); }
    await sleep(50);
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  let sequence = 0;
  return {
    seed,
    url: `https://127.0.0.1:${port}`,
    broker,
    bluez,
    cloud,
    dir,
    log: () => stderr,
    /** Waits until vigild reports ready (with a broker: its MQTT ingest is connected). */
    async ready(timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await new Promise((resolve) => {
          const req = httpsGet({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 5000 }, (r) => {
            r.resume();
            resolve(r.statusCode);
          });
          req.once('timeout', () => req.destroy());
          req.once('error', () => resolve(0));
        });
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`vigild not ready: ${stderr}`);
        await sleep(100);
      }
    },
    /**
     * Publishes one device message through the broker as the device (its own certificate,
     * QoS 1, the device protocol's topic), e.g. { readings: [...] }; seq is added. bundleDir:
     * another bundle of the device (default: the one provisioned at start).
     */
    async publish(uid, message, bundleDir) {
      if (!broker) throw new Error('started without a broker');
      sequence += 1;
      const b = bundleDir || broker.bundles[uid];
      const payload = JSON.stringify({ v: 1, seq: Date.now() * 1000 + sequence, ...message });
      await runToolAsync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.certPort), '-i', uid, '-q', '1',
        '--cafile', join(b, 'ca.pem'), '--cert', join(b, 'device.pem'), '--key', join(b, 'device.key'),
        '-t', `vigil/v1/devices/${uid}/readings`, '-m', payload], `publishing as ${uid} (mosquitto_pub)`);
    },
    async stop() {
      await stopChild(child);
      if (broker) await stopChild(broker.child);
      if (bluez) await bluez.stop();
      if (cloud) await stopChild(cloud.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium with a fresh profile; returns the context and a problems() collector. */
export async function startBrowser(viewport = { width: 1280, height: 860 }, extraArgs = []) {
  const profile = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.VIGIL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
    ignoreHTTPSErrors: true,
    viewport,
    reducedMotion: 'reduce',
  });
  return {
    context,
    async close() {
      await within(context.close(), 30000, 'Chromium to close');
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page that records console errors, uncaught errors and CSP violations. */
export async function openPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // The browser logs every non-2xx fetch; the app handles those answers (401 before sign-in,
    // 403 for a denied record). Anything else — CSP refusals above all — is a problem.
    if (/^Failed to load resource: the server responded with a status of (401|403|404)/.test(text)) return;
    problems.push(`console: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.setDefaultTimeout(20000);
  return { page, problems };
}

let shot = 0;
export async function screenshot(page, name) {
  shot += 1;
  const file = join(artifacts, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Runs `body`; when it throws, keeps the evidence before rethrowing: a screenshot of `page`
 * (`<name>-failure`) and the page's problems (console errors, page errors, CSP violations).
 */
export async function withEvidence(page, name, problems, body) {
  try {
    await body();
  } catch (e) {
    await screenshot(page, `${name}-failure`).catch(() => {});
    if (problems.length) console.error('page problems:', problems);
    throw e;
  }
}

/** The signed-in page's own API call (its session cookie and CSRF token): status and body. */
export function apiCall(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const session = await (await fetch('/api/v1/session')).json();
    const r = await fetch(path, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }, { method, path, body });
}

/**
 * Opens the portal and submits the sign-in form for `email` with the seed's password. What
 * comes next (a page, the TOTP step, enrolment) is the caller's to wait for.
 */
export async function signIn(page, box, email, password = box.seed.password) {
  await page.goto(box.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * A staff user's first sign-in: password (then a new one when `newPassword` is given: the
 * account must replace its initial password), TOTP enrolment with a code computed from the secret
 * the page shows, recovery codes acknowledged. Returns the enrolled TOTP secret (for a later
 * sign-in with a fresh code).
 */
export async function signInStaffFirstTime(page, box, email, newPassword) {
  await signIn(page, box, email);
  if (newPassword) {
    // An account an admin made in the portal (or setup's first admin): its first sign-in asks
    // for a password of the user's own before the second factor.
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password again').fill(newPassword);
    await page.getByRole('button', { name: 'Set password and continue' }).click();
  }
  await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
  const secret = (await page.locator('.secret').textContent()).replace(/\s/g, '');
  await page.getByLabel(/6-digit code/).fill(totp(secret));
  await page.getByRole('button', { name: 'Confirm and continue' }).click();
  await page.getByLabel('I have saved my recovery codes').check();
  await page.getByRole('button', { name: 'Continue to Vigil' }).click();
  return secret;
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0; let value = 0; const out = [];
  for (const ch of s.replace(/[\s=]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for a base32 secret at time t (ms). */
export function totp(secret, t = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  const code = ((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).toString();
  return code.padStart(6, '0');
}
