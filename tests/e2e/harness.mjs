// Test harness: a real vigild on a seeded temp data dir over TLS (self-signed certificate made
// with openssl), and headless Chromium (Debian's) through playwright-core. Collects console
// errors, page errors and CSP violations; writes screenshots as artifacts.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through ctest -R e2e-portal)`);
  return v;
};

export const artifacts = process.env.VIGIL_E2E_ARTIFACTS || join(tmpdir(), 'vigil-e2e-artifacts');
mkdirSync(artifacts, { recursive: true });

/** Starts vigild with TLS on port 0 over a freshly seeded data dir. */
export async function startVigild() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const seed = JSON.parse(execFileSync(env('VIGIL_E2E_SEED'), [data], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const conf = join(dir, 'vigild.conf');
  writeFileSync(conf, [
    `data.dir = ${data}`,
    'web.port = 0',
    `web.port_file = ${join(dir, 'port')}`,
    `web.assets_dir = ${env('VIGIL_PORTAL_DIR')}`,
    `web.tls.cert = ${join(dir, 'cert.pem')}`,
    `web.tls.key = ${join(dir, 'key.pem')}`,
    'mqtt.enabled = false',
    'systemd.watchdog = false',
    'log.level = warn',
    '',
  ].join('\n'));
  const child = spawn(env('VIGILD'), ['--config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  // VIGIL_E2E_VIGILD_LOG=<file> keeps vigild's log (warnings and errors) for debugging.
  if (process.env.VIGIL_E2E_VIGILD_LOG) child.stderr.on('data', (d) => appendFileSync(process.env.VIGIL_E2E_VIGILD_LOG, d));
  const portFile = join(dir, 'port');
  const deadline = Date.now() + 20000;
  while (!existsSync(portFile)) {
    if (child.exitCode !== null) throw new Error(`vigild exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`vigild did not start: ${stderr}`); }
    await sleep(50);
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  return {
    seed,
    url: `https://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const until = Date.now() + 10000;
        while (child.exitCode === null && Date.now() < until) await sleep(50);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
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
      await context.close();
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
