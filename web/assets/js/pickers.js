// Choosing people by name, never by id (issue 21): a patient picker (type a name, choose the
// patient shown as "Given Family (MRN …, born …)") and a staff picker (a list of staff names with
// their role). The patient picker asks the server for `GET /api/v1/patients?q=TEXT&pageSize=20`
// and also filters what comes back by name or MRN in the browser, so it is right whether or not
// the server searches by `q` (a server that ignores it returns its first page).

import { h, clear, uid, announce } from './dom.js';
import { get, query } from './api.js';
import { patientName } from './format.js';

/** How a patient is shown wherever one is chosen: "Ana Silva (MRN A-1, born 1956-03-02)". */
export function patientLabel(p) {
  const facts = [p.mrn ? `MRN ${p.mrn}` : null, p.birthDate ? `born ${p.birthDate}` : null].filter(Boolean);
  return facts.length ? `${patientName(p)} (${facts.join(', ')})` : patientName(p);
}

/** True when the patient's name (given, family, both) or MRN contains `text`, ignoring case. */
export function patientMatches(p, text) {
  const q = text.trim().toLowerCase();
  if (!q) return true;
  const names = [p.givenName, p.familyName, patientName(p), `${p.familyName || ''} ${p.givenName || ''}`, p.mrn]
    .filter(Boolean).map((s) => s.toLowerCase());
  return q.split(/\s+/).every((word) => names.some((n) => n.includes(word)));
}

/**
 * A patient picker: { el, value() -> id or null, selected() -> patient or null, reset() }.
 * `label` names the field; `onChange(patient or null)` is called when the choice changes.
 */
export function patientPicker({ label = 'Patient', onChange } = {}) {
  const id = uid('pp');
  const input = h('input', { id, type: 'search', autocomplete: 'off', placeholder: 'Type a name or MRN', 'aria-describedby': `${id}-hint`, 'aria-controls': `${id}-list` });
  const list = h('ul.picker-list', { id: `${id}-list`, 'aria-label': `${label}: matches` });
  const status = h('p.hint', { id: `${id}-hint`, 'aria-live': 'polite' }, 'Type at least 2 letters of the name.');
  const chosenBox = h('div.picker-chosen', { hidden: true });
  let chosen = null;
  let timer = null;
  let generation = 0;

  function choose(p) {
    chosen = p;
    clear(list);
    if (p) {
      input.hidden = true;
      status.hidden = true;
      clear(chosenBox).append(h('span.picker-value', { 'data-patient-id': p.id }, patientLabel(p)), ' ',
        h('button.btn.small.ghost', { type: 'button', onclick: () => { choose(null); input.focus(); } }, 'Change'));
      chosenBox.hidden = false;
      announce(`${label}: ${patientLabel(p)}`);
    } else {
      input.hidden = false;
      status.hidden = false;
      chosenBox.hidden = true;
      input.value = '';
      status.textContent = 'Type at least 2 letters of the name.';
    }
    if (onChange) onChange(p);
  }

  async function search() {
    const text = input.value.trim();
    const mine = ++generation;
    clear(list);
    if (text.length < 2) { status.textContent = 'Type at least 2 letters of the name.'; return; }
    status.textContent = 'Searching…';
    try {
      const page = await get(`/api/v1/patients${query({ q: text, pageSize: 20 })}`);
      if (mine !== generation) return;
      const hits = (page.items || []).filter((p) => patientMatches(p, text));
      status.textContent = hits.length ? `${hits.length} match${hits.length === 1 ? '' : 'es'}: choose one.` : 'No patient matches.';
      list.append(...hits.map((p) => h('li', h('button.btn.small.picker-option', { type: 'button', onclick: () => choose(p) }, patientLabel(p)))));
    } catch (e) {
      if (mine === generation) status.textContent = e.message;
    }
  }

  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 250); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); search(); }
  });
  return {
    el: h('div.field.picker', h('label', { for: id }, label), input, chosenBox, status, list),
    value: () => (chosen ? chosen.id : null),
    selected: () => chosen,
    reset: () => choose(null),
  };
}

const ROLE_LABEL = { provider: 'provider', nurse: 'nurse', admin: 'admin', front_desk: 'front desk', patient: 'patient' };

/** "Dr. Lee (provider)". */
export function staffLabel(u) {
  return `${u.displayName || u.email} (${ROLE_LABEL[u.role] || u.role})`;
}

/**
 * A staff picker over the accounts (admins: GET /api/v1/admin/users): a select of names with
 * their role, limited to `roles`. { el, value() -> id or null, selected(), load() }.
 */
export function staffPicker({ label = 'Staff member', roles = ['provider', 'nurse'] } = {}) {
  const id = uid('sp');
  const select = h('select', { id, required: true });
  let people = [];
  async function load() {
    const page = await get(`/api/v1/admin/users${query({ pageSize: 200 })}`);
    people = (page.items || []).filter((u) => roles.includes(u.role) && !u.disabled)
      .sort((a, b) => (a.displayName || '').localeCompare(b.displayName || ''));
    clear(select).append(h('option', { value: '' }, 'Choose…'), ...people.map((u) => h('option', { value: u.id }, staffLabel(u))));
  }
  return {
    el: h('div.field', h('label', { for: id }, label), select),
    value: () => (select.value ? Number(select.value) : null),
    selected: () => people.find((u) => String(u.id) === select.value) || null,
    load,
  };
}
