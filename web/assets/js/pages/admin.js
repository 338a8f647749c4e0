// Administration: users (create, unlock, MFA reset, disable), roles, care teams, device
// provisioning (add, bundle download, assign to a patient chosen by name, retire, revoke; the
// list names each device's patient), care teams by name (pickers.js), Bluetooth devices (pages/bluetooth.js:
// link status, pairing, "register this device"), the clinic's default alert rules (read only:
// providers change them), escalation chain and on-call coverage (pages/escalation.js), the video
// visits with their recordings (played with the visit page's player; the patient's display name,
// no MRN or birth date) and, by audited request with a reason, a past visit's chat and documents, and the
// audit log with the chain's verification status, and the cloud link (pages/cloud.js: its health,
// backlog and the entries a service refused), and providers' NPIs and state licenses
// (pages/licenses.js), and clinic groups of staff (pages/groups.js). Admins see no other
// clinical free text.

import { h, clear, append, field, announce } from '../dom.js';
import { get, post, put, del, query, request, ApiError } from '../api.js';
import { formatTime, formatAge, vitalLabel, unitLabel } from '../format.js';
import { renderReports } from './reports.js';
import { renderBluetooth } from './bluetooth.js';
import { recordingsPanel } from './visit.js';
import { renderRulesCard } from './rules.js';
import { renderEscalation } from './escalation.js';
import { renderCloud } from './cloud.js';
import { renderFhirClients } from './fhir_clients.js';
import { renderLicenses } from './licenses.js';
import { renderGroups } from './groups.js';
import { reasonForm } from '../reason_form.js';
import { patientPicker, staffPicker, patientLabel } from '../pickers.js';

const TABS = [['users', 'Users'], ['care-teams', 'Care teams'], ['groups', 'Clinic groups'], ['devices', 'Devices'], ['bluetooth', 'Bluetooth'], ['rules', 'Alert rules'], ['escalation', 'Escalation'], ['reports', 'Reports'], ['visits', 'Visits'], ['licenses', 'Licenses'], ['audit', 'Audit'], ['cloud', 'Cloud link'], ['ehr', 'EHR connections']];

function unavailable(e, what) {
  if (e instanceof ApiError && (e.status === 404 || e.status === 503)) {
    return h('div.notice.info', { role: 'status' }, `${what} is not available on this box yet.`);
  }
  return h('div.notice.error', { role: 'alert' }, e.message);
}

const BROKER_LATER = ' The broker could not be reloaded from here: it applies the change at its next reload (see the operations guide).';

function flash(box, kind, text) {
  box.hidden = false;
  box.className = `notice ${kind}`;
  box.textContent = text;
  announce(text);
}

export async function renderAdmin(root, tab) {
  clear(root);
  const title = (TABS.find((t) => t[0] === tab) || [null, 'Administration'])[1];
  const body = h('div.admin-body');
  root.append(h('section.page', h('div.page-head', h('h1', title)), body));
  const render = { users, 'care-teams': careTeams, groups: renderGroups, devices, bluetooth, rules, escalation: renderEscalation, reports: renderReports, visits, licenses: renderLicenses, audit, cloud: renderCloud, ehr: renderFhirClients }[tab];
  if (!render) { body.append(h('p', 'Unknown section.')); return null; }
  const cleanup = await render(body);
  return typeof cleanup === 'function' ? cleanup : null;
}

async function users(body) {
  const list = h('div.table-wrap');
  const msg = h('div.notice', { role: 'status', hidden: true });
  const role = field('Role', { tag: 'select' });
  for (const [r, label] of [['provider', 'provider'], ['nurse', 'nurse'], ['front_desk', 'front desk'], ['admin', 'admin'], ['patient', 'patient']]) role.input.append(h('option', { value: r }, label));
  const email = field('E-mail', { type: 'email', required: true, autocomplete: 'off' });
  const name = field('Display name', { required: true });
  // A patient account is linked to the patient's record, chosen by name (never an id typed in).
  const patient = patientPicker({ label: 'Patient record (patient accounts)' });
  const showPatient = () => { patient.el.hidden = role.input.value !== 'patient'; };
  role.input.addEventListener('change', showPatient);
  showPatient();
  const password = field('Initial password', { type: 'password', required: true, autocomplete: 'new-password' }, 'Staff (providers, nurses, front desk, admins) enrol TOTP at first sign-in.');
  const mustChange = h('input', { type: 'checkbox', id: 'must-change-password', checked: true });
  const mustChangeEl = h('div.field.check', h('label', { for: 'must-change-password' }, mustChange, ' The user chooses a new password at first sign-in'));
  const form = h('form.form.grid-form', { novalidate: true }, role.el, email.el, name.el, patient.el, password.el, mustChangeEl, h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Create user')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const isPatient = role.input.value === 'patient';
    if (isPatient && !patient.value()) { flash(msg, 'error', 'Choose the patient record this account belongs to.'); return; }
    try {
      await post('/api/v1/admin/users', { role: role.input.value, email: email.input.value.trim(), displayName: name.input.value.trim(), patientId: isPatient ? patient.value() : null, password: password.input.value, passwordChangeRequired: mustChange.checked });
      flash(msg, 'success', 'User created.');
      form.reset();
      mustChange.checked = true;
      patient.reset();
      showPatient();
      load();
    } catch (ex) { flash(msg, 'error', ex.message); }
  });
  async function action(u, what, label) {
    try { await post(`/api/v1/admin/users/${u.id}/${what}`); flash(msg, 'success', `${label}: ${u.displayName}.`); load(); } catch (ex) { flash(msg, 'error', ex.message); }
  }
  async function load() {
    clear(list);
    try {
      const page = await get(`/api/v1/admin/users${query({ pageSize: 200 })}`);
      list.append(h('table.data', h('caption.sr-only', 'Users'),
        h('thead', h('tr', ['Name', 'E-mail', 'Role', 'Two-step', 'Status', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', (page.items || []).map((u) => h('tr',
          h('th', { scope: 'row' }, u.displayName), h('td', u.email), h('td', u.role.replace('_', ' ')),
          h('td', u.mfaEnrolled ? 'Enrolled' : 'Not enrolled'),
          h('td', u.disabled ? h('span.state.state-resolved', 'Disabled') : u.locked ? h('span.state.state-escalated', 'Locked') : h('span.state.state-acknowledged', 'Active')),
          h('td', h('div.row-actions',
            u.locked ? h('button.btn.small', { type: 'button', onclick: () => action(u, 'unlock', 'Unlocked') }, 'Unlock') : null,
            u.role !== 'patient' ? h('button.btn.small', { type: 'button', onclick: () => action(u, 'mfa-reset', 'Two-step reset') }, 'Reset two-step') : null,
            !u.disabled ? h('button.btn.small.ghost', { type: 'button', onclick: () => action(u, 'disable', 'Disabled') }, 'Disable') : null)))))));
    } catch (e) { list.append(unavailable(e, 'User management')); }
  }
  let roles = null;
  try { roles = await get('/api/v1/admin/roles'); } catch { roles = null; }
  body.append(h('div.grid-2', h('section.card', h('h2', 'Add a user'), form, msg),
    roles ? h('section.card', h('h2', 'Roles'), h('dl.facts', roles.roles.map((r) => [h('dt', r.role.replace('_', ' ')), h('dd', `${r.mfa ? 'Two-step required. ' : ''}${r.permissions.length} permissions`)]))) : null),
  h('section.card', h('h2', 'Users'), list));
  await load();
}

// Care teams by name: choose a provider or nurse and a patient, see who is on which team (GET
// /api/v1/admin/care-teams, audited), remove a membership from its row.
async function careTeams(body) {
  const msg = h('div.notice', { role: 'status', hidden: true });
  const staff = staffPicker({ label: 'Provider or nurse' });
  const patient = patientPicker({ label: 'Patient' });
  const form = h('form.form.grid-form', { novalidate: true }, staff.el, patient.el,
    h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Add to the care team')));
  const list = h('div.table-wrap');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const who = staff.selected();
    const p = patient.selected();
    if (!who || !p) { flash(msg, 'error', 'Choose a provider or nurse and a patient.'); return; }
    try {
      await post('/api/v1/admin/care-teams', { staffUserId: who.id, patientId: p.id });
      flash(msg, 'success', `${who.displayName} added to the care team of ${patientLabel(p)}.`);
      patient.reset();
      load();
    } catch (ex) { flash(msg, 'error', ex.message); }
  });
  async function remove(m) {
    try {
      await del(`/api/v1/admin/care-teams/${m.staffUserId}/${m.patientId}`);
      flash(msg, 'success', `${m.staffName} removed from the care team of ${m.patientName}.`);
      load();
    } catch (ex) { flash(msg, 'error', ex.message); }
  }
  async function load() {
    clear(list);
    try {
      const r = await get('/api/v1/admin/care-teams');
      const items = r.items || [];
      if (!items.length) { list.append(h('p.muted', 'Nobody is on a care team yet.')); return; }
      list.append(h('table.data', h('caption.sr-only', 'Care team membership'),
        h('thead', h('tr', ['Patient', 'Staff member', 'Role', 'Since', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', items.map((m) => h('tr', { 'data-staff-id': m.staffUserId, 'data-patient-id': m.patientId },
          h('th', { scope: 'row' }, m.patientName), h('td', m.staffName), h('td', m.staffRole),
          h('td', formatTime(m.assignedAt)),
          h('td', h('button.btn.small.ghost', { type: 'button', 'aria-label': `Remove ${m.staffName} from the care team of ${m.patientName}`, onclick: () => remove(m) }, 'Remove')))))));
    } catch (e) { list.append(unavailable(e, 'The care-team list')); }
  }
  body.append(h('section.card', h('h2', 'Add to a care team'), h('p.muted', 'Providers and nurses see the patients of their care teams; anyone else only with a recorded break-glass reason.'), form, msg),
    h('section.card', h('h2', 'Care team membership'), list));
  try { await staff.load(); } catch (e) { msg.hidden = false; msg.append(unavailable(e, 'The staff list')); }
  await load();
}

async function devices(body) {
  const list = h('div.table-wrap');
  const msg = h('div.notice', { role: 'status', hidden: true });
  const uidF = field('Device id (uid)', { required: true, pattern: '[A-Za-z0-9._-]{1,64}', autocomplete: 'off' }, 'Letters, digits, dot, dash, underscore; up to 64.');
  const kind = field('Kind', { tag: 'select' });
  for (const k of ['blood_pressure', 'pulse_oximeter', 'weight_scale', 'thermometer', 'glucometer', 'heart_rate', 'hub']) kind.input.append(h('option', { value: k }, k.replace('_', ' ')));
  const model = field('Model', {});
  const serial = field('Serial number', {});
  const form = h('form.form.grid-form', { novalidate: true }, uidF.el, kind.el, model.el, serial.el, h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Add device')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const d = await post('/api/v1/admin/devices', { uid: uidF.input.value.trim(), kind: kind.input.value, model: model.input.value.trim(), serial: serial.input.value.trim() });
      flash(msg, 'success', `Device ${d.uid} added (id ${d.id}).`);
      form.reset();
      load();
    } catch (ex) { flash(msg, 'error', ex.code === 'conflict' ? 'A device with this uid exists already.' : ex.message); }
  });
  async function act(d, what, body2, label) {
    try { await post(`/api/v1/admin/devices/${d.id}/${what}`, body2); flash(msg, 'success', `${label}: device ${d.uid}.`); load(); } catch (ex) { flash(msg, 'error', ex.message); }
  }
  async function revoke(d) {
    try {
      const r = await post(`/api/v1/admin/devices/${d.id}/revoke`, {});
      flash(msg, 'success', `Credentials revoked: device ${d.uid}.${r.brokerReloaded === false ? BROKER_LATER : ''}`);
      load();
    } catch (ex) { flash(msg, 'error', ex.message); }
  }
  async function bundle(d) {
    try {
      const resp = await request('POST', `/api/v1/admin/devices/${d.id}/bundle`, {}, { raw: true });
      const blob = await resp.blob();
      const a = h('a', { href: URL.createObjectURL(blob), download: `${d.uid}-bundle.json` });
      document.body.append(a); a.click(); a.remove();
      const reloaded = resp.headers.get('X-Broker-Reloaded') !== 'false';
      flash(msg, 'success', `Bundle issued for ${d.uid}: its earlier credentials are revoked. The file holds the device's private key; copy it to the device and delete it.${reloaded ? '' : BROKER_LATER}`);
    } catch (ex) { flash(msg, 'error', ex.status === 404 ? 'Provisioning bundles are not available on this box yet.' : ex.message); }
  }
  // Assigning: choose the device and the patient by name (the patient picker).
  const assignMsg = h('div.notice', { role: 'status', hidden: true });
  const deviceSel = field('Device', { tag: 'select', required: true });
  const assignee = patientPicker({ label: 'Patient' });
  const assignForm = h('form.form.grid-form', { novalidate: true }, deviceSel.el, assignee.el,
    h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Assign device')));
  assignForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = assignee.selected();
    const d = current.find((x) => String(x.id) === deviceSel.input.value);
    if (!d || !p) { flash(assignMsg, 'error', 'Choose a device and a patient.'); return; }
    try {
      await post(`/api/v1/admin/devices/${d.id}/assign`, { patientId: p.id });
      flash(assignMsg, 'success', `Device ${d.uid} assigned to ${patientLabel(p)}.`);
      assignee.reset();
      load();
    } catch (ex) { flash(assignMsg, 'error', ex.message); }
  });
  let current = [];
  async function load() {
    clear(list);
    try {
      const page = await get('/api/v1/admin/devices');
      const items = page.items || [];
      current = items;
      clear(deviceSel.input).append(h('option', { value: '' }, 'Choose…'),
        ...items.filter((d) => d.status !== 'retired').map((d) => h('option', { value: d.id }, `${d.uid} (${d.kind.replace('_', ' ')})${d.patientName ? ` — ${d.patientName}` : ''}`)));
      if (!items.length) { list.append(h('p.muted', 'No devices yet.')); return; }
      list.append(h('table.data', h('caption.sr-only', 'Devices'),
        h('thead', h('tr', ['Device', 'Kind', 'Patient', 'Last seen', 'Status', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', items.map((d) => {
          return h('tr', { 'data-device-id': d.id },
            h('th', { scope: 'row' }, d.uid, h('span.sub', [d.model, d.serial].filter(Boolean).join(' · '))),
            h('td', d.kind.replace('_', ' ')),
            h('td', d.patientId ? h('a', { href: `#/patients/${d.patientId}` }, d.patientName || 'Unnamed patient') : h('span.muted', 'Unassigned')),
            h('td', d.lastSeenAt ? formatAge(d.lastSeenAt) : h('span.muted', 'Never')),
            h('td', d.status === 'retired' ? h('span.state.state-resolved', 'Retired') : h('span.state.state-acknowledged', 'Active')),
            h('td', h('div.row-actions', d.status === 'retired' ? null : [
              d.patientId ? h('button.btn.small', { type: 'button', onclick: () => act(d, 'unassign', {}, 'Unassigned') }, 'Unassign') : null,
              h('button.btn.small', { type: 'button', onclick: () => bundle(d) }, 'Bundle'),
              h('button.btn.small.ghost', { type: 'button', onclick: () => confirm(`Revoke the credentials of ${d.uid}? It can no longer connect until a new bundle is issued.`) && revoke(d) }, 'Revoke'),
              h('button.btn.small.danger', { type: 'button', onclick: () => confirm(`Retire ${d.uid}? Its credentials are revoked and its readings refused from now on.`) && act(d, 'retire', {}, 'Retired') }, 'Retire')])));
        }))));
    } catch (e) { list.append(unavailable(e, 'The device registry')); }
  }
  body.append(h('div.grid-2', h('section.card', h('h2', 'Add a device'), form, msg),
    h('section.card', h('h2', 'Assign a device to a patient'), assignForm, assignMsg)), h('section.card', h('h2', 'Devices'), list));
  if (devicePrefill) {
    uidF.input.value = devicePrefill.uid;
    if (devicePrefill.kind) kind.input.value = devicePrefill.kind;
    devicePrefill = null;
    flash(msg, 'info', `Device id ${uidF.input.value} filled in from Bluetooth: check the kind, add model and serial, then add the device.`);
    kind.input.focus();
  }
  await load();
}

// "Register this device" on the Bluetooth page: the Devices form opens with these filled in.
let devicePrefill = null;

function bluetooth(body) {
  return renderBluetooth(body, {
    onRegister(uid, kind) {
      devicePrefill = { uid, kind };
      location.hash = '#/admin/devices';
    },
  });
}

// Admins read the clinic defaults; only providers change them (pages/rules.js).
function rules(body) {
  return renderRulesCard(body, { editable: false });
}

function fmtBytes(n) {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return `${Math.max(1, Math.round(n / 1024))} KiB`;
}

async function visits(body) {
  const results = h('div.table-wrap');
  const playerBox = h('div.visit-recordings');
  const playerCard = h('section.card', { hidden: true }, playerBox);
  const from = field('From', { type: 'date' });
  const to = field('To', { type: 'date' });
  const recorded = field('Recordings', { tag: 'select' });
  for (const [v, l] of [['', 'Any'], ['true', 'With recordings'], ['false', 'Without recordings']]) recorded.input.append(h('option', { value: v }, l));
  const form = h('form.form.grid-form', { novalidate: true }, from.el, to.el, recorded.el, h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Search')));
  let page = 1;
  form.addEventListener('submit', (e) => { e.preventDefault(); page = 1; search(); });
  async function show(v) {
    const panel = recordingsPanel(v.id);
    append(clear(playerBox), [h('h3', `Visit ${v.id}`), panel.el]);
    playerCard.hidden = false;
    try { await panel.load(); } catch (e) { playerBox.append(unavailable(e, 'Recording playback')); }
  }
  // A past visit's chat and documents: only after a request that gives the reason (audited
  // with it; the box allows the reads for 30 minutes and audits each one).
  function askForRecord(v) {
    const form = reasonForm({
      id: 'ra',
      className: 'record-access',
      hint: 'Reading a past visit\'s chat and documents is recorded with your reason and reviewed. Give the reason (for example a complaint or a records request).',
      button: 'Open chat and documents',
      missing: 'A reason is required.',
      onSubmit: async (reason) => {
        const r = await post(`/api/v1/visits/${v.id}/record-access`, { reason });
        const [chat, docs] = await Promise.all([get(`/api/v1/visits/${v.id}/messages`), get(`/api/v1/visits/${v.id}/documents`)]);
        announce(`Chat and documents of visit ${v.id} open until ${formatTime(r.until)}`);
        append(clear(playerBox), [h('h3', `Visit ${v.id}: chat and documents`),
          h('p.muted', `Open until ${formatTime(r.until)}; every read is audited.`),
          h('h4', 'Chat'),
          h('ul.chat-log', { 'aria-label': `Chat of visit ${v.id}` }, chat.messages.length
            ? chat.messages.map((m) => h('li', h('span.muted', `User ${m.senderUserId}, ${formatTime(m.sentAt)}: `), m.text))
            : h('li', 'No messages.')),
          h('h4', 'Documents'),
          h('ul.doc-list', { 'aria-label': `Documents of visit ${v.id}` }, docs.documents.length
            ? docs.documents.map((d) => h('li', h('a', { href: `/api/v1/visits/${v.id}/documents/${d.id}`, download: '' }, d.fileName)))
            : h('li', 'No documents.'))]);
      },
    });
    append(clear(playerBox), [h('h3', `Visit ${v.id}: chat and documents`), form]);
    playerCard.hidden = false;
    form.focusReason();
  }
  async function search() {
    clear(results);
    try {
      const r = await get(`/api/v1/visits/archive${query({
        from: from.input.value ? new Date(`${from.input.value}T00:00:00`).getTime() : '',
        to: to.input.value ? new Date(`${to.input.value}T23:59:59.999`).getTime() : '',
        recorded: recorded.input.value, page, pageSize: 50 })}`);
      const pages = Math.max(1, Math.ceil(r.total / r.pageSize));
      append(results, [h('p.muted', `${r.total} visit${r.total === 1 ? '' : 's'}`),
        h('table.data.compact', h('caption.sr-only', 'Video visits'),
          h('thead', h('tr', ['Visit', 'Starts', 'Ends', 'Provider', 'Patient', 'State', 'Recordings', ''].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', (r.items || []).map((v) => h('tr',
            h('th', { scope: 'row' }, String(v.id)), h('td', formatTime(v.startsAt)), h('td', formatTime(v.endsAt)),
            h('td', v.providerName || `User ${v.providerUserId}`), h('td', v.patientName || 'Unnamed patient'), h('td', v.state.replace('_', ' ')),
            h('td', v.recordings ? `${v.recordings} (${fmtBytes(v.recordingBytes)})` : 'None'),
            h('td', v.recordings ? h('button.btn.small', { type: 'button', 'aria-label': `Recordings of visit ${v.id}`, onclick: () => show(v) }, 'Recordings') : null,
              v.state !== 'in_progress' ? h('button.btn.small', { type: 'button', 'aria-label': `Chat and documents of visit ${v.id}`, onclick: () => askForRecord(v) }, 'Chat and documents') : null))))),
        pages > 1 ? h('div.actions',
          h('button.btn.small', { type: 'button', disabled: page <= 1, onclick: () => { page -= 1; search(); } }, 'Previous'),
          h('span.muted', ` Page ${page} of ${pages} `),
          h('button.btn.small', { type: 'button', disabled: page >= pages, onclick: () => { page += 1; search(); } }, 'Next')) : null]);
    } catch (e) { results.append(unavailable(e, 'The list of visits')); }
  }
  body.append(h('section.card', h('h2', 'Video visits'),
    h('p.muted', 'Every visit, newest first. Playing a recording is audited; a past visit\'s chat and documents open only with a reason.'), form, results), playerCard);
  await search();
}

async function audit(body) {
  const status = h('div.verify');
  const results = h('div.table-wrap');
  const from = field('From', { type: 'date' });
  const to = field('To', { type: 'date' });
  const actor = field('Actor id', { type: 'number', min: 0 });
  const action = field('Action', { placeholder: 'e.g. patient.get' });
  const patient = field('Patient id', { type: 'number', min: 1 });
  const outcome = field('Outcome', { tag: 'select' });
  for (const [v, l] of [['', 'Any'], ['success', 'Success'], ['denied', 'Denied'], ['failure', 'Failure']]) outcome.input.append(h('option', { value: v }, l));
  const glassOnly = h('input#au-glass', { type: 'checkbox' });
  const glass = h('div.check', glassOnly, h('label', { for: 'au-glass' }, 'Emergency access (break-glass) only'));
  const form = h('form.form.grid-form', { novalidate: true }, from.el, to.el, actor.el, action.el, patient.el, outcome.el, glass, h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', (e) => { e.preventDefault(); search(); });
  async function search() {
    clear(results);
    try {
      const page = await get(`/api/v1/admin/audit${query({
        from: from.input.value ? new Date(`${from.input.value}T00:00:00`).toISOString() : '',
        to: to.input.value ? new Date(`${to.input.value}T23:59:59`).toISOString() : '',
        actor: actor.input.value, action: action.input.value.trim(), patient: patient.input.value, outcome: outcome.input.value, breakGlass: glassOnly.checked ? '1' : '', pageSize: 100 })}`);
      results.append(h('p.muted', `${page.total} entr${page.total === 1 ? 'y' : 'ies'}`), h('table.data.compact', h('caption.sr-only', 'Audit entries'),
        h('thead', h('tr', ['#', 'Time', 'Actor', 'Action', 'Object', 'Patient', 'Outcome', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', (page.items || []).map((a) => h(`tr${a.breakGlass ? '.break-glass' : ''}`,
          h('td.num', a.seq), h('td', formatTime(a.time)), h('td', `${a.actorRole} ${a.actorId || ''}`), h('td', a.action),
          h('td', `${a.objectType} ${a.objectId}`), h('td', a.patientId || ''), h('td', a.outcome), h('td', a.breakGlass ? `Break-glass: ${a.justification || a.reason}` : a.reason))))));
    } catch (e) { results.append(unavailable(e, 'Audit search')); }
  }
  try {
    const v = await get('/api/v1/admin/audit/verify');
    status.append(h(`div.notice.${v.ok ? 'success' : 'error'}`, { role: 'status' },
      v.ok ? `Audit chain intact: ${v.entries} entries verified` : `Audit chain broken at entry ${v.brokenAt}. Contact support.`,
      v.checkpoint ? ` · last signed checkpoint #${v.checkpoint.seq} at ${formatTime(v.checkpoint.time)}${v.checkpoint.valid ? '' : ' (signature INVALID)'}` : ' · no signed checkpoint yet'));
  } catch (e) { status.append(unavailable(e, 'Audit verification')); }
  body.append(h('section.card', h('h2', 'Chain verification'), status), h('section.card', h('h2', 'Search'), form, results));
  await search();
}
