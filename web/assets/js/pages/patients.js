// The patient list: latest vitals per patient and their open-alert flag. Find searches on the
// server (?q=: a name prefix of 3+ letters, a whole short name, an MRN or a birth date
// YYYY-MM-DD, through blind indexes; docs/patients.md#search); the list is already limited to
// the caller's care team by the server. The front desk (issue 21) sees every patient's
// demographics only (name, MRN, birth date, state: the server sends no vitals or alert flags to
// it) and registers patients here.

import { h, clear, field, announce } from '../dom.js';
import { get, post, query, session, ApiError } from '../api.js';
import { LIST_CODES, VITALS, formatLatest, formatAge, patientName, severityBadge } from '../format.js';
import { patientLabel, patientPicker, staffLabel } from '../pickers.js';
import * as live from '../live.js';

export async function renderPatients(root) {
  const s = session();
  if (s && s.user.role === 'front_desk') return renderFrontDesk(root);
  clear(root);
  const search = h('input#p-search', { type: 'search', placeholder: 'Name, MRN or birth date (YYYY-MM-DD)', autocomplete: 'off', maxLength: 100 });
  const searchNote = h('p.hint', { role: 'status' });
  const table = h('div.table-wrap');
  root.append(h('section.page', h('div.page-head', h('h1', 'Patients')),
    h('div.filters', h('div.field.inline', h('label', { for: 'p-search' }, 'Find'), search), searchNote), table));
  let patients = [];

  async function load() {
    const q = search.value.trim();
    searchNote.textContent = '';
    try {
      const page = await get(`/api/v1/patients${query(q ? { pageSize: 200, q } : { pageSize: 200 })}`);
      patients = page.items || [];
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 422) throw err;
      patients = [];
      searchNote.textContent = 'Type a name (3 letters or more), an MRN or a birth date YYYY-MM-DD (at most 4 words).';
    }
    draw();
  }

  function draw() {
    const rows = patients;
    clear(table);
    if (rows.length === 0) {
      const searching = search.value.trim() !== '';
      table.append(h('div.empty', h('p.empty-title', searching ? 'No patient matches' : 'No patients yet'),
        h('p.muted', searching ? 'Try another name, MRN or birth date.' : 'Patients on your care team appear here.')));
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

  let typing = null;
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => load().catch(() => {}), 300); });
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

// The front desk books a video visit: the patient chosen by name, then a clinician of the
// patient's care team (GET /api/v1/patients/{id}/care-team), a start and a length.
function scheduleCard() {
  const msg = h('div.notice', { role: 'status', hidden: true });
  const clinician = field('Clinician', { tag: 'select', required: true, disabled: true });
  clinician.input.append(h('option', { value: '' }, 'Choose the patient first'));
  const patient = patientPicker({
    label: 'Patient for the visit',
    async onChange(p) {
      clear(clinician.input);
      clinician.input.disabled = true;
      if (!p) { clinician.input.append(h('option', { value: '' }, 'Choose the patient first')); return; }
      try {
        const team = await get(`/api/v1/patients/${p.id}/care-team`);
        const people = (team.items || []).filter((u) => u.role === 'provider' || u.role === 'nurse');
        clinician.input.append(h('option', { value: '' }, people.length ? 'Choose…' : 'Nobody on the care team yet'),
          ...people.map((u) => h('option', { value: u.userId }, staffLabel(u))));
        clinician.input.disabled = people.length === 0;
      } catch (ex) { show(msg, 'error', ex.message); }
    },
  });
  const start = field('Starts', { type: 'datetime-local', required: true });
  const minutes = field('Length', { tag: 'select' });
  for (const m of [15, 30, 45, 60]) minutes.input.append(h('option', { value: String(m), selected: m === 30 }, `${m} minutes`));
  const form = h('form.form.grid-form#schedule-visit', { novalidate: true }, patient.el, clinician.el, start.el, minutes.el,
    h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Schedule visit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = patient.selected();
    const startsAtMs = new Date(start.input.value).getTime();
    if (!p || !clinician.input.value || Number.isNaN(startsAtMs)) { show(msg, 'error', 'Choose the patient, the clinician and the start.'); return; }
    const who = clinician.input.selectedOptions[0].textContent;
    try {
      await post('/api/v1/visits', {
        patientId: p.id, providerUserId: Number(clinician.input.value),
        startsAtMs, endsAtMs: startsAtMs + Number(minutes.input.value) * 60000,
      });
      show(msg, 'success', `Visit scheduled: ${patientName(p)} with ${who}, ${new Date(startsAtMs).toLocaleString()}.`);
      patient.reset();
    } catch (ex) { show(msg, 'error', ex.message); }
  });
  return h('section.card', h('h2', 'Schedule a video visit'), form, msg);
}

function show(msg, kind, text) {
  msg.hidden = false;
  msg.className = `notice ${kind}`;
  msg.textContent = text;
  announce(text);
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
    scheduleCard(),
    h('section.card', h('h2', 'Find a patient'),
      h('div.filters', h('div.field.inline', h('label', { for: 'p-search' }, 'Find'), search)), table)));
  let patients = [];

  // Duplicate detection (docs/patients.md#registration-and-duplicates): when the server answers
  // possible_duplicate, the candidates are listed by name, MRN and birth date with the two
  // answers; the registration is sent again with the answer (mergeInto / confirmNotDuplicate).
  const duplicates = h('div.duplicates', { hidden: true });
  form.after(duplicates);
  let pending = null; // the registration the candidates answer

  async function register(entry, answer) {
    try {
      const p = await post('/api/v1/patients', { ...entry, ...answer });
      hideDuplicates();
      if (p.merged) {
        show(msg, 'success', `${patientLabel(p)} is already registered: opening their record.`);
        form.reset();
        location.hash = `#/patients/${p.id}/record`;
        return;
      }
      show(msg, 'success', `Registered ${patientLabel(p)}.`);
      form.reset();
      await load();
    } catch (ex) {
      if (ex instanceof ApiError && ex.code === 'possible_duplicate' && ex.body) {
        showDuplicates(entry, ex.body);
        return;
      }
      if (ex instanceof ApiError && ex.code === 'mrn_taken') {
        show(msg, 'error', 'This MRN is already another patient\'s. Check the MRN.');
        return;
      }
      show(msg, 'error', ex.message);
    }
  }

  function hideDuplicates() {
    pending = null;
    duplicates.hidden = true;
    clear(duplicates);
  }

  function showDuplicates(entry, answer) {
    pending = entry;
    const candidates = answer.candidates || [];
    clear(duplicates);
    msg.hidden = true;
    const text = candidates.length === 1 ? 'A patient with this name and birth date is already registered. Is this the same person?'
      : 'Patients with this name and birth date are already registered. Is one of them the same person?';
    duplicates.append(h('div.notice.warning', { role: 'alert' },
      h('p', h('strong', 'Possible duplicate. '), text),
      candidates.length ? h('ul.candidates', { 'aria-label': 'Possible duplicates' }, candidates.map((c) => h('li', { 'data-patient-id': c.id },
        h('span', patientLabel(c)), ' ',
        h('button.btn', { type: 'button', 'aria-label': `Same person — open their chart: ${patientLabel(c)}`,
          onclick: () => register(pending, { mergeInto: c.id }) }, 'Same person — open their chart')))) : null,
      h('div.actions',
        h('button.btn.primary', { type: 'button', onclick: () => register(pending, { confirmNotDuplicate: true }) }, 'Different person — register anyway'),
        h('button.btn', { type: 'button', onclick: () => { hideDuplicates(); announce('Registration not sent.'); } }, 'Cancel'))));
    duplicates.hidden = false;
    announce(text);
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideDuplicates();
    if (!mrn.input.value.trim() || !given.input.value.trim() || !family.input.value.trim()) {
      show(msg, 'error', 'MRN, given name and family name are required.');
      return;
    }
    await register({
      mrn: mrn.input.value.trim(), givenName: given.input.value.trim(), familyName: family.input.value.trim(),
      birthDate: born.input.value, state: state.input.value.trim().toUpperCase(),
    }, {});
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
