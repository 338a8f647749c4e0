// The patient list: latest vitals per patient and their open-alert flag, filterable by name or
// MRN on the page (the list is already limited to the caller's care team by the server). The
// front desk (issue 21) sees every patient's demographics only (name, MRN, birth date, state:
// the server sends no vitals or alert flags to it) and registers patients here.

import { h, clear, field, announce } from '../dom.js';
import { get, post, query, session } from '../api.js';
import { LIST_CODES, VITALS, formatLatest, formatAge, patientName, severityBadge } from '../format.js';
import { patientLabel } from '../pickers.js';
import * as live from '../live.js';

export async function renderPatients(root) {
  const s = session();
  if (s && s.user.role === 'front_desk') return renderFrontDesk(root);
  clear(root);
  const search = h('input#p-search', { type: 'search', placeholder: 'Name or MRN', autocomplete: 'off' });
  const table = h('div.table-wrap');
  root.append(h('section.page', h('div.page-head', h('h1', 'Patients')),
    h('div.filters', h('div.field.inline', h('label', { for: 'p-search' }, 'Find'), search)), table));
  let patients = [];

  async function load() {
    const page = await get(`/api/v1/patients${query({ pageSize: 200 })}`);
    patients = page.items || [];
    draw();
  }

  function draw() {
    const q = search.value.trim().toLowerCase();
    const rows = patients.filter((p) => !q || patientName(p).toLowerCase().includes(q) || (p.mrn || '').toLowerCase().includes(q));
    clear(table);
    if (rows.length === 0) {
      table.append(h('div.empty', h('p.empty-title', patients.length ? 'No patient matches' : 'No patients yet'),
        h('p.muted', patients.length ? 'Try another name or MRN.' : 'Patients on your care team appear here.')));
      return;
    }
    table.append(h('table.data', h('caption.sr-only', 'Patients with their latest readings'),
      h('thead', h('tr', h('th', { scope: 'col' }, 'Patient'), h('th', { scope: 'col' }, 'Alerts'),
        LIST_CODES.map((c) => h('th.num', { scope: 'col' }, `${VITALS[c].short} (${VITALS[c].unit})`)), h('th', { scope: 'col' }, 'Last reading'))),
      h('tbody', rows.map((p) => {
        const latest = p.latest || {};
        const times = Object.values(latest).map((r) => new Date(r.at).getTime()).filter((t) => !Number.isNaN(t));
        const last = times.length ? Math.max(...times) : null;
        const flag = p.openAlerts && p.openAlerts.count > 0
          ? h('span.flag', severityBadge(p.openAlerts.worstSeverity), ` ${p.openAlerts.count} open`) : h('span.muted', 'None');
        return h('tr', { 'data-patient-id': p.id },
          h('th', { scope: 'row' }, h('a', { href: `#/patients/${p.id}` }, patientName(p)), h('span.sub', p.mrn ? `MRN ${p.mrn}` : '')),
          h('td', flag),
          LIST_CODES.map((c) => h(`td.num${latest[c] && latest[c].flags ? '.flagged' : ''}`, formatLatest(c, latest[c]))),
          h('td', last ? formatAge(last) : h('span.muted', 'No readings')));
      }))));
  }

  search.addEventListener('input', draw);
  let debounce = null;
  const unsubscribe = live.subscribe((evt) => {
    if (evt.type === 'reading.stored' || evt.type === 'alert.raised' || evt.type === 'alert.changed' || evt.type === 'resync') {
      clearTimeout(debounce);
      debounce = setTimeout(() => load().catch(() => {}), 500);
    }
  });
  await load();
  return () => { unsubscribe(); clearTimeout(debounce); };
}

// The front desk: register a patient, find one by name, MRN or birth date. No link to charts:
// readings are not the front desk's (the server refuses them).
async function renderFrontDesk(root) {
  clear(root);
  const msg = h('div.notice', { role: 'status', hidden: true });
  const mrn = field('MRN', { required: true, autocomplete: 'off', maxlength: 64 });
  const given = field('Given name', { required: true, autocomplete: 'off', maxlength: 200 });
  const family = field('Family name', { required: true, autocomplete: 'off', maxlength: 200 });
  const born = field('Birth date', { type: 'date' });
  const state = field('State (2 letters)', { maxlength: 2, autocomplete: 'off' }, 'The state the patient lives in (for licensing), e.g. CA.');
  const form = h('form.form.grid-form#register-patient', { novalidate: true }, mrn.el, given.el, family.el, born.el, state.el,
    h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Register patient')));
  const search = h('input#p-search', { type: 'search', placeholder: 'Name, MRN or birth date', autocomplete: 'off' });
  const table = h('div.table-wrap');
  root.append(h('section.page', h('div.page-head', h('h1', 'Patients')),
    h('section.card', h('h2', 'Register a patient'), form, msg),
    h('section.card', h('h2', 'Find a patient'),
      h('div.filters', h('div.field.inline', h('label', { for: 'p-search' }, 'Find'), search)), table)));
  let patients = [];
  const show = (kind, text) => { msg.hidden = false; msg.className = `notice ${kind}`; msg.textContent = text; announce(text); };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!mrn.input.value.trim() || !given.input.value.trim() || !family.input.value.trim()) {
      show('error', 'MRN, given name and family name are required.');
      return;
    }
    try {
      const p = await post('/api/v1/patients', {
        mrn: mrn.input.value.trim(), givenName: given.input.value.trim(), familyName: family.input.value.trim(),
        birthDate: born.input.value, state: state.input.value.trim().toUpperCase(),
      });
      show('success', `Registered ${patientLabel(p)}.`);
      form.reset();
      await load();
    } catch (ex) { show('error', ex.message); }
  });

  async function load() {
    const page = await get(`/api/v1/patients${query({ pageSize: 200 })}`);
    patients = page.items || [];
    draw();
  }
  function draw() {
    const q = search.value.trim().toLowerCase();
    const rows = patients.filter((p) => !q || patientName(p).toLowerCase().includes(q) || (p.mrn || '').toLowerCase().includes(q) || (p.birthDate || '').includes(q));
    clear(table);
    if (!rows.length) {
      table.append(h('div.empty', h('p.empty-title', patients.length ? 'No patient matches' : 'No patients yet')));
      return;
    }
    table.append(h('table.data', h('caption.sr-only', 'Patients'),
      h('thead', h('tr', ['Patient', 'MRN', 'Born', 'Time zone'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', rows.map((p) => h('tr', { 'data-patient-id': p.id },
        h('th', { scope: 'row' }, patientName(p)), h('td', p.mrn || ''), h('td', p.birthDate || ''), h('td', p.timeZone || ''))))));
  }
  search.addEventListener('input', draw);
  await load();
  return null;
}
