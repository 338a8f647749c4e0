// First boot (issue 27): `vigild setup` from an answer file turns the installed configuration
// into a running box, and its first admin signs in with the one-time password, must choose a
// password of their own, then enrols TOTP. Expectations come from the issue and
// docs/operations.md ("First boot"): what the answer file asks for must be what the box does
// (the host names in the certificates, the clinic's zone and ports in vigild.conf, the master
// key beside the data directory, not in it), answers are all checked before anything is written,
// and setup runs once.
//
// Real parts: vigild (setup and the service), the Mosquitto configuration setup rendered
// (started as is), Node's TLS client trusting only the box CA setup made, headless Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, statSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBrowser, openPage, screenshot, signIn, signInStaffFirstTime, within } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const vigild = process.env.VIGILD;
const dir = mkdtempSync(join(tmpdir(), 'vigil-setup-'));
const conf = join(dir, 'vigild.conf');
const data = join(dir, 'data');
const children = [];
process.once('exit', () => { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

async function freePort() {
  return within(new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  }), 10000, 'a free port');
}

/** vigild with a bounded run; returns { status, stdout, stderr }. */
function vigil(args) {
  // As root (CI), setup hands its files to the service user: here that is whoever runs the test.
  const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  const r = spawnSync(vigild, ['--config', conf, ...args, ...(args[0] === 'setup' ? ['--service-user', user] : [])],
    { encoding: 'utf8', timeout: 120000 });
  if (r.error) throw r.error;
  return r;
}

/** An HTTPS request to the box that trusts only `ca` (the box CA made by setup). */
function boxRequest(port, ca, method, path, body) {
  return within(new Promise((resolve, reject) => {
    const payload = body ? JSON.stringify(body) : undefined;
    const req = httpsRequest({ host: '127.0.0.1', port, method, path, ca, servername: 'vigil-test.clinic.example',
      headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.once('error', reject);
    req.end(payload);
  }), 15000, `${method} ${path}`);
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i += 1) await sleep(100);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

let ports;
let answers;
let oneTime;
let broker;
let daemon;
let cloud;

/** The cloud stand-in (`vigil-devtool cloud serve`) on a free port; its state in <dir>/cloud. */
async function startCloud() {
  const cloudDir = join(dir, 'cloud');
  const port = await freePort();
  const child = spawn(process.env.VIGIL_DEVTOOL, ['cloud', 'serve', '--dir', cloudDir, '--port', String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 20000;
  while (!existsSync(join(cloudDir, 'enrolment-code')) || !existsSync(join(cloudDir, 'url'))
         || !readFileSync(join(cloudDir, 'url'), 'utf8').trim()) {
    assert.equal(child.exitCode, null, `the cloud stand-in exited: ${log}`);
    assert.ok(Date.now() < deadline, `the cloud stand-in did not start in 20 s: ${log}`);
    await sleep(50);
  }
  await sleep(200);  // its listener is up once the url file is written; a moment for accept()
  return { child, url: `https://127.0.0.1:${port}`, ca: join(cloudDir, 'ca.crt'),
    code: readFileSync(join(cloudDir, 'enrolment-code'), 'utf8').trim() };
}

before(async () => {
  // The installed configuration (every key at its default), pointed at a temporary data dir.
  copyFileSync(join(here, '../../image/vigild.conf'), conf);
  const text = readFileSync(conf, 'utf8')
    .replace(/^data\.dir = .*$/m, `data.dir = ${data}`)
    .replace(/^web\.assets_dir = .*$/m, `web.assets_dir = ${process.env.VIGIL_PORTAL_DIR}`)
    .replace(/^ble\.enabled = .*$/m, 'ble.enabled = false')
    .replace(/^systemd\.watchdog = .*$/m, 'systemd.watchdog = false')
    .replace(/^log\.level = .*$/m, 'log.level = warn');
  writeFileSync(conf, text);
  writeFileSync(join(dir, 'firewall.conf'), 'clinic_net4 = 10.0.0.0/8\nssh_ports = 22\nmqtt_ports = 8883 8884\n');
  ports = { portal: await freePort(), mqtt: await freePort(), mqttPassword: await freePort() };
  cloud = await startCloud();
  answers = join(dir, 'answers.conf');
  writeFileSync(answers, [
    '# the clinic answers (docs/operations.md, "First boot")',
    'host_names = vigil-test.clinic.example, vigil-test',
    'host_addresses = 127.0.0.1',
    'admin_email = first.admin@clinic.example',
    'admin_name = Ada Admin',
    'clinic_name = Riverside Family Clinic',
    'time_zone = America/Chicago',
    'portal_bind = 127.0.0.1',
    `portal_port = ${ports.portal}`,
    'mqtt_bind = 127.0.0.1',
    `mqtt_port = ${ports.mqtt}`,
    `mqtt_password_port = ${ports.mqttPassword}`,
    'video_ports = 41000-41099',
    'clinic_network = 192.168.40.0/24',
    'start = no',
    `cloud_url = ${cloud.url}`,
    `cloud_ca_file = ${cloud.ca}`,
    `enrolment_code = ${cloud.code}`,
    'box_name = Riverside box 1',
    '',
  ].join('\n'));
}, { timeout: 60000 });

after(async () => {
  await stop(daemon);
  await stop(broker);
  await stop(cloud?.child);
  rmSync(dir, { recursive: true, force: true });
}, { timeout: 60000 });

test('answers are all checked before anything is written', { timeout: 120000 }, () => {
  const cases = [
    ['admin_email = not-an-address', /admin_email/],
    ['time_zone = Mars/Olympus_Mons', /time_zone/],
    ['host_names = bad_name!', /host_names/],
    ['portal_port = 70000', /portal_port/],
    ['clinic_network = 192.168.40.0', /clinic_network/],
    ['hostnames = typo.example', /hostnames: not a setup answer/],
  ];
  const good = readFileSync(answers, 'utf8');
  const confBefore = readFileSync(conf, 'utf8');
  for (const [line, message] of cases) {
    const key = line.split(' = ')[0];
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, good.split('\n').filter((l) => !l.startsWith(`${key} =`)).concat(line).join('\n'));
    const r = vigil(['setup', '--answers', bad]);
    assert.equal(r.status, 65, `${line}: exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Nothing was changed/);
    assert.equal(existsSync(data), false, `${line}: the data directory was made`);
    assert.equal(readFileSync(conf, 'utf8'), confBefore, `${line}: vigild.conf changed`);
  }
  const none = spawnSync(vigild, ['--config', conf, 'setup'], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(none.status, 64, 'no answer file and no terminal');
  assert.match(none.stderr, /--answers FILE or a terminal/);
});

test('setup from an answer file makes the box the answers describe', { timeout: 120000 }, () => {
  const r = vigil(['setup', '--answers', answers]);
  assert.equal(r.status, 0, `setup: ${r.stdout}\n${r.stderr}`);
  for (let n = 1; n <= 8; n += 1) assert.match(r.stdout, new RegExp(`^\\[${n}/8\\] `, 'm'), `step ${n} reported`);
  const m = r.stdout.match(/one-time password: ([A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5})$/m);
  assert.ok(m, `a one-time password printed: ${r.stdout}`);
  oneTime = m[1];
  // Enrolled with the cloud (the stand-in) with the code given: the box's link keys beside the
  // master key, the link's settings in vigild.conf.
  assert.match(r.stdout, /enrolled: box \S+ with \d+ cloud services/);
  for (const f of ['sync-signing.key', 'sync-encryption.key']) {
    assert.equal(statSync(join(`${data}-keys`, f)).mode & 0o777, 0o600, `${f} in the keys directory, 0600`);
  }
  assert.match(r.stdout, /Portal: {2}https:\/\/vigil-test\.clinic\.example:\d+\//);
  assert.match(r.stdout, new RegExp(`Start the services: systemctl enable --now vigil-mosquitto.service vigil-broker-reload.path vigild.service`));

  // vigild.conf: the answers, each under its key.
  const c = readFileSync(conf, 'utf8');
  const expected = {
    'web.bind': '127.0.0.1',
    'web.port': String(ports.portal),
    'web.tls.cert': join(dir, 'tls', 'portal.pem'),
    'web.tls.key': join(dir, 'tls', 'portal.key'),
    'web.public_url': `https://vigil-test.clinic.example:${ports.portal}`,
    'mqtt.host': '127.0.0.1',
    'mqtt.port': String(ports.mqtt),
    'scheduling.clinic_name': 'Riverside Family Clinic',
    'cases.time_zone': 'America/Chicago',
    'video.udp_port_min': '41000',
    'video.udp_port_max': '41099',
    'sync.url': cloud.url,
    'sync.ca_file': cloud.ca,
  };
  for (const [k, v] of Object.entries(expected)) {
    const lines = c.split('\n').filter((l) => l.startsWith(`${k} =`));
    assert.deepEqual(lines, [`${k} = ${v}`], `${k} in vigild.conf`);
  }
  const fw = readFileSync(join(dir, 'firewall.conf'), 'utf8');
  assert.match(fw, /^clinic_net4 = 192\.168\.40\.0\/24$/m);
  assert.match(fw, new RegExp(`^mqtt_ports = ${ports.mqtt} ${ports.mqttPassword}$`, 'm'));

  // The master key beside the data directory, private; nothing key-like inside data.
  const key = join(`${data}-keys`, 'master.key');
  assert.equal(statSync(key).mode & 0o777, 0o600, 'master key 0600');
  assert.equal(statSync(`${data}-keys`).mode & 0o777, 0o700, 'keys directory 0700');
  assert.equal(existsSync(join(data, 'keys')), false);
  assert.equal(statSync(join(dir, 'tls', 'portal.key')).mode & 0o777, 0o600, 'portal key 0600');
  assert.equal(statSync(join(data, 'vigil.db')).mode & 0o777, 0o600, 'the database 0600');
  assert.ok(existsSync(join(data, '.setup-done')), 'the first-boot marker');

  // The certificates: issued by the box CA, for the host names and address the clinic gave.
  const ca = join(data, 'pki', 'ca.pem');
  for (const cert of [join(dir, 'tls', 'portal.pem'), join(data, 'mosquitto', 'server.pem')]) {
    const v = spawnSync('openssl', ['verify', '-CAfile', ca, cert], { encoding: 'utf8', timeout: 10000 });
    assert.equal(v.status, 0, `${cert} verifies against the box CA: ${v.stdout}${v.stderr}`);
    const san = spawnSync('openssl', ['x509', '-in', cert, '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8', timeout: 10000 }).stdout;
    for (const name of ['DNS:vigil-test.clinic.example', 'DNS:vigil-test', 'DNS:localhost', 'IP Address:127.0.0.1']) {
      assert.ok(san.includes(name), `${cert} names ${name}: ${san}`);
    }
  }
  const mq = readFileSync(join(data, 'mosquitto', 'mosquitto.conf'), 'utf8');
  assert.match(mq, new RegExp(`^listener ${ports.mqtt} 127\\.0\\.0\\.1$`, 'm'));
  assert.match(mq, new RegExp(`^listener ${ports.mqttPassword} 127\\.0\\.0\\.1$`, 'm'));

  // Once only.
  const again = vigil(['setup', '--answers', answers]);
  assert.equal(again.status, 73, `a second setup: ${again.stderr}`);
  assert.match(again.stderr, /set up already/);
});

test('the box runs as set up: broker, /readyz over TLS trusted through the box CA', { timeout: 120000 }, async () => {
  assert.ok(oneTime, 'setup ran');
  broker = spawn('/usr/sbin/mosquitto', ['-c', join(data, 'mosquitto', 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(broker);
  daemon = spawn(vigild, ['--config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(daemon);
  let log = '';
  daemon.stderr.on('data', (d) => { log += d; });
  const ca = readFileSync(join(data, 'pki', 'ca.pem'));
  const deadline = Date.now() + 30000;
  let last = '';
  for (;;) {
    const r = await boxRequest(ports.portal, ca, 'GET', '/readyz').catch((e) => ({ status: 0, text: e.message }));
    if (r.status === 200) break;
    last = `${r.status} ${r.text}`;
    assert.equal(daemon.exitCode, null, `vigild exited: ${log}`);
    assert.ok(Date.now() < deadline, `/readyz not 200 in 30 s (${last}): ${log}`);
    await sleep(200);
  }
  // MQTT ingest is part of readiness: the broker setup made accepted vigild's certificate.
  const ready = await boxRequest(ports.portal, ca, 'GET', '/readyz');
  assert.match(ready.text, /mqtt|broker|ingest/i, `readiness names the broker: ${ready.text}`);
});

test('the first admin signs in with the one-time password, chooses a password, enrols TOTP', { timeout: 180000 }, async () => {
  assert.ok(daemon, 'the box runs');
  const browser = await startBrowser();
  try {
    const { page, problems } = await openPage(browser.context);
    const box = { url: `https://127.0.0.1:${ports.portal}/`, seed: { password: oneTime } };
    await signIn(page, box, 'first.admin@clinic.example');
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await screenshot(page, 'setup-choose-password');
    // The one-time password as the new one is refused by the box, and the page says so.
    await page.getByLabel('New password', { exact: true }).fill(oneTime);
    await page.getByLabel('New password again').fill(oneTime);
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.getByText('choose a password other than the one-time password').waitFor();
    // From the start again: one-time password, a password of her own, TOTP enrolment.
    const mine = 'harbour lantern cobalt meadow';
    await signInStaffFirstTime(page, box, 'first.admin@clinic.example', mine);
    await page.getByRole('button', { name: /sign out/i }).waitFor();
    await screenshot(page, 'setup-admin-signed-in');
    // The one 422 is the refusal asked for above (the one-time password as the new one).
    assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
    assert.equal(problems.length, 1, `one refused request: ${problems}`);

    // The one-time password is gone; the chosen one asks for the second factor now.
    const ca = readFileSync(join(data, 'pki', 'ca.pem'));
    const old = await boxRequest(ports.portal, ca, 'POST', '/api/v1/auth/login', { email: 'first.admin@clinic.example', password: oneTime });
    assert.equal(old.status, 401, `the one-time password after the change: ${old.text}`);
    const now = await boxRequest(ports.portal, ca, 'POST', '/api/v1/auth/login', { email: 'first.admin@clinic.example', password: mine });
    assert.equal(now.status, 200);
    assert.equal(JSON.parse(now.text).status, 'mfa_required');
  } finally {
    await browser.close();
  }
  // The audit log has the replacement (the database read directly after vigild stops).
  await stop(daemon);
  const rows = spawnSync('sqlite3', [join(data, 'vigil.db'),
    "SELECT action || ' ' || outcome || ' ' || coalesce(reason, '') FROM audit_log WHERE action IN ('user.bootstrap_admin', 'user.password_change') ORDER BY seq"],
  { encoding: 'utf8', timeout: 10000 }).stdout.trim().split('\n');
  assert.deepEqual(rows, ['user.bootstrap_admin success first_admin', 'user.password_change success one_time_password_replaced']);
});

test('on a terminal, setup asks its questions in order and sets the box up from the answers', { timeout: 120000 }, () => {
  // A second box of its own; `script` gives setup a terminal (it asks only on one) and feeds it
  // the typed answers; Enter keeps a default.
  const box = mkdtempSync(join(tmpdir(), 'vigil-setup-tty-'));
  try {
    const conf2 = join(box, 'vigild.conf');
    writeFileSync(conf2, readFileSync(join(here, '../../image/vigild.conf'), 'utf8')
      .replace(/^data\.dir = .*$/m, `data.dir = ${join(box, 'data')}`)
      .replace(/^log\.level = .*$/m, 'log.level = warn'));
    const typed = [
      'tty-box.clinic.example', // host names
      '', // addresses
      'Hillside Clinic', // clinic name
      'Europe/Dublin', // time zone
      'Tess Terminal', // admin name
      'tess@hillside.example', // admin e-mail
      '', // portal port: 8443
      '', // video ports
      '', // clinic network
      '', // firewall: no
      '', // data volume: none
      '', // cloud link: none
      '',
    ].join('\n');
    const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
    const cmd = [vigild, '--config', conf2, 'setup', '--no-start', '--service-user', user].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { input: typed, encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, `setup on a terminal: ${r.stdout}${r.stderr}`);
    const order = ['Host names', 'IP addresses', 'Clinic name', 'time zone', "administrator's name",
      "administrator's e-mail", 'Portal HTTPS port', 'Video media UDP ports', 'Clinic network',
      'Turn the firewall on', 'Block device', 'Cloud link URL'];
    let at = -1;
    for (const q of order) {
      const i = r.stdout.indexOf(q, at + 1);
      assert.ok(i > at, `"${q}" asked, after the one before: ${r.stdout}`);
      at = i;
    }
    assert.match(r.stdout, /one-time password: [A-Z2-9]{5}(-[A-Z2-9]{5}){3}/);
    const c = readFileSync(conf2, 'utf8');
    assert.match(c, /^scheduling\.clinic_name = Hillside Clinic$/m);
    assert.match(c, /^cases\.time_zone = Europe\/Dublin$/m);
    assert.match(c, /^web\.public_url = https:\/\/tty-box\.clinic\.example:8443$/m);
    assert.match(c, /^web\.bind = 0\.0\.0\.0$/m);
    assert.ok(existsSync(join(box, 'data', '.setup-done')));
  } finally {
    rmSync(box, { recursive: true, force: true });
  }
});
