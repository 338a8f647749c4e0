// The patient record (issue 21, docs/patients.md).
// - Staff (#/patients/<id>/record): every section the reader may see, each with its own edit
//   form; admins get the administrative sections only (the server leaves the clinical ones out).
// - Patients (#/record, "My record"): their own record through /api/v1/me/record; they edit
//   contact, insurance, pharmacy and their history (what they add is marked patient-reported).
// Each save sends one section with the version the page read (baseVersion): a record changed
// meanwhile answers 409 and the page asks to reload. A refused field (422) is named by the
// server; the page shows that message. The history lists versions, who and which sections.
// "Download your record" (patients) and "Download record" (providers, admins: the roles the
// server lets export) link to .../record/export?format=fhir|html: the server answers with an
// attachment (a FHIR R4 Bundle, or a printable HTML page) and audits the export.

import { h, clear, field, announce, focusHeading } from '../dom.js';
import { get, put, session, ApiError } from '../api.js';
import { formatTime } from '../format.js';
import { intakeCard } from './intake.js';

const SECTION_LABELS = {
  demographics: 'Demographics', contact: 'Contact details', language: 'Preferred language',
  emergencyContact: 'Emergency contact', insurance: 'Insurance', pharmacy: 'Preferred pharmacy',
  problems: 'Problems', medications: 'Medications', allergies: 'Allergies',
};

const ADDRESS = [['line1', 'Street address'], ['line2', 'Apartment, suite'], ['city', 'City'],
  ['region', 'State or region'], ['postalCode', 'Postal code'], ['country', 'Country (2 letters)']];

// Object sections: [key, label, kind?] where kind is 'address', 'date' or a list of choices.
const OBJECT_FIELDS = {
  demographics: [['givenName', 'Given name'], ['familyName', 'Family name'], ['birthDate', 'Birth date', 'date'],
    ['timeZone', 'Time zone (IANA, e.g. America/Chicago)'], ['state', 'State (2 letters)']],
  contact: [['email', 'E-mail'], ['phone', 'Phone'], ['address', 'Address', 'address']],
  emergencyContact: [['name', 'Name'], ['relationship', 'Relationship'], ['phone', 'Phone']],
  pharmacy: [['name', 'Pharmacy name'], ['ncpdpId', 'NCPDP id (optional, 7 digits)'], ['phone', 'Phone'], ['address', 'Address', 'address']],
};
const INSURANCE_FIELDS = [['payer', 'Payer'], ['plan', 'Plan'], ['memberId', 'Member id'], ['groupNumber', 'Group number'],
  ['subscriberName', 'Subscriber name'], ['subscriberBirthDate', 'Subscriber birth date', 'date'],
  ['relationship', 'Relationship to subscriber', ['self', 'spouse', 'child', 'other']]];

// List sections: the columns of an entry.
const LIST_FIELDS = {
  problems: [['code', 'ICD-10-CM code'], ['description', 'Description'], ['status', 'Status', ['active', 'resolved']], ['onsetDate', 'Onset', 'date']],
  medications: [['name', 'Medication'], ['rxcui', 'RxNorm RXCUI'], ['instructions', 'Dose and instructions'], ['status', 'Status', ['active', 'stopped']]],
  allergies: [['substance', 'Substance'], ['reaction', 'Reaction'], ['severity', 'Severity', ['mild', 'moderate', 'severe', 'unknown']]],
};

function input(label, value, kind) {
  if (Array.isArray(kind)) {
    const f = field(label, { tag: 'select' });
    for (const c of kind) f.input.append(h('option', { value: c, selected: value === c }, c));
    return f;
  }
  const f = field(label, { type: kind === 'date' ? 'date' : 'text', maxLength: 500 });
  f.input.value = value || '';
  return f;
}

/** Inputs for an object (nested address objects included); read() gives the object back. */
function objectInputs(fields, value) {
  const parts = [];
  const els = [];
  for (const [key, label, kind] of fields) {
    if (kind === 'address') {
      const sub = objectInputs(ADDRESS, (value || {})[key]);
      els.push(h('fieldset.address', h('legend', label), sub.els));
      parts.push([key, sub.read]);
    } else {
      const f = input(label, (value || {})[key], kind);
      els.push(f.el);
      parts.push([key, () => f.input.value.trim()]);
    }
  }
  return { els, read: () => Object.fromEntries(parts.map(([k, r]) => [k, r()])) };
}

function show(value) {
  if (value === null || value === undefined || value === '') return h('span.muted', 'Not given');
  return String(value);
}

function objectView(fields, value) {
  const rows = [];
  for (const [key, label, kind] of fields) {
    const v = (value || {})[key];
    if (kind === 'address') {
      const a = v || {};
      const text = [a.line1, a.line2, [a.city, a.region, a.postalCode].filter(Boolean).join(' '), a.country].filter(Boolean).join(', ');
      rows.push(h('dt', label), h('dd', show(text)));
    } else {
      rows.push(h('dt', label), h('dd', show(v)));
    }
  }
  return h('dl.record-fields', rows);
}

export async function renderRecord(root, patientId) {
  clear(root);
  const own = patientId === null;
  const base = own ? '/api/v1/me/record' : `/api/v1/patients/${patientId}/record`;
  const page = h('section.page.record');
  root.append(page);
  let record;
  let viewing = null;  // a past version's number while the page shows it (read-only)

  async function save(section, value, notice) {
    notice.hidden = true;
    try {
      record = await put(base, { baseVersion: record.version, [section]: value });
      announce(`${SECTION_LABELS[section]} saved`);
      await draw();
    } catch (err) {
      notice.hidden = false;
      if (err instanceof ApiError && err.status === 409) notice.textContent = 'Someone changed this record meanwhile. Reload the page to see their change.';
      else if (err instanceof ApiError && err.status === 403) notice.textContent = 'You may not change this section.';
      else notice.textContent = err.message;
    }
  }

  function card(section, view, editor) {
    const notice = h('div.notice.error', { role: 'alert', hidden: true });
    const body = h('div', view);
    const edit = h('button.btn.small', { type: 'button' }, 'Edit');
    const c = h('section.card', { 'aria-labelledby': `rec-${section}` },
      h('div.card-head', h('h2', { id: `rec-${section}` }, SECTION_LABELS[section]), editor && !viewing ? edit : null), body, notice);
    edit.addEventListener('click', () => {
      const ed = editor();
      const form = h('form', { novalidate: true }, ed.els,
        h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Save'), h('button.btn', { type: 'button', onclick: () => draw() }, 'Cancel')));
      form.addEventListener('submit', (e) => { e.preventDefault(); save(section, ed.read(), notice); });
      clear(body).append(form);
      edit.hidden = true;
    });
    return c;
  }

  function objectCard(section) {
    return card(section, objectView(OBJECT_FIELDS[section], record[section]), () => objectInputs(OBJECT_FIELDS[section], record[section]));
  }

  function insuranceCard() {
    const ins = record.insurance || {};
    const view = h('div', ['primary', 'secondary'].map((k) => h('div', h('h3', k === 'primary' ? 'Primary' : 'Secondary'),
      ins[k] ? objectView(INSURANCE_FIELDS, ins[k]) : h('p.muted', 'None'))));
    return card('insurance', view, () => {
      const parts = ['primary', 'secondary'].map((k) => [k, objectInputs(INSURANCE_FIELDS, ins[k] || { relationship: 'self' })]);
      return {
        els: parts.map(([k, p]) => h('fieldset', h('legend', k === 'primary' ? 'Primary' : 'Secondary (leave the payer empty for none)'), p.els)),
        read: () => Object.fromEntries(parts.map(([k, p]) => { const v = p.read(); return [k, v.payer ? v : null]; })),
      };
    });
  }

  function listCard(section) {
    const cols = LIST_FIELDS[section];
    const items = record[section] || [];
    const view = items.length
      ? h('table.data', h('thead', h('tr', cols.map(([, label]) => h('th', { scope: 'col' }, label)), h('th', { scope: 'col' }, 'Reported by'))),
        h('tbody', items.map((e) => h('tr', cols.map(([k]) => h('td', show(e[k]))), h('td', e.source === 'patient' ? 'Patient' : 'Clinician')))))
      : h('p.muted', 'None recorded');
    return card(section, view, () => {
      const rows = [];
      const list = h('div.entry-list');
      const addRow = (entry) => {
        const ins = objectInputs(cols, entry);
        const row = h('fieldset.entry', h('legend', SECTION_LABELS[section].replace(/s$/, '')), ins.els);
        const item = { id: entry.id, read: ins.read, row };
        row.append(h('button.btn.small', { type: 'button', onclick: () => { rows.splice(rows.indexOf(item), 1); row.remove(); } }, 'Remove'));
        rows.push(item);
        list.append(row);
      };
      items.forEach(addRow);
      return {
        els: [list, h('button.btn.small', { type: 'button', onclick: () => addRow({}) }, 'Add')],
        read: () => rows.map((r) => ({ ...(r.id ? { id: r.id } : {}), ...r.read() })),
      };
    });
  }

  function downloadCard() {
    const link = (format, label) => h('a.btn', { href: `${base}/export?format=${format}`, download: '', 'data-format': format }, label);
    return h('section.card.record-download', { 'aria-labelledby': 'rec-download' },
      h('h2#rec-download', own ? 'Download your record' : 'Download record'),
      h('p.muted', own
        ? 'A copy of your whole record: profile, consents, readings and history. The FHIR file is for another clinic or a health app; the summary is for reading and printing.'
        : 'The patient\'s record for a right-of-access request (audited).'),
      h('p', link('fhir', 'FHIR record (JSON)'), ' ', link('html', 'Readable summary (HTML)')));
  }

  async function draw() {
    if (!record) record = await get(viewing ? `${base}?version=${viewing}` : base);
    const history = await get(`${base}/history`);
    clear(page);
    const d = record.demographics || {};
    page.append(h('div.page-head', h('h1', own ? 'My record' : `Record: ${d.givenName || ''} ${d.familyName || ''}`),
      h('p.muted', record.version ? `Version ${record.version}, updated ${formatTime(record.updatedAt)}` : 'Nothing recorded yet'),
      own ? null : h('a', { href: `#/patients/${patientId}` }, 'Back to the chart')));
    if (viewing) {
      page.append(h('div.notice.past-version', { role: 'status' },
        `You are looking at version ${record.version} as it was on ${formatTime(record.updatedAt)}. It cannot be changed. `,
        h('button.btn.small', { type: 'button', onclick: () => { viewing = null; record = null; draw(); } }, 'Back to the current record')));
    }
    const role = (session() || { user: {} }).user.role;
    if (!viewing && (own || role === 'provider' || role === 'admin')) page.append(downloadCard());
    page.append(card('demographics', objectView(OBJECT_FIELDS.demographics, d), own ? null : () => objectInputs(OBJECT_FIELDS.demographics, d)));
    page.append(objectCard('contact'));
    page.append(card('language', h('p', show(record.language)), () => {
      const f = input('Language tag (BCP 47, e.g. en-US, es, zh-Hant-TW)', record.language);
      return { els: [f.el], read: () => f.input.value.trim() };
    }));
    page.append(objectCard('emergencyContact'), insuranceCard());
    const pid = own ? (session() || { user: {} }).user.patientId : patientId;
    if (pid && !viewing) page.append(await intakeCard(pid, { own }));
    page.append(objectCard('pharmacy'));
    if (record.clinicalIncluded) page.append(listCard('problems'), listCard('medications'), listCard('allergies'));
    else page.append(h('p.muted', 'Problems, medications and allergies are not shown to your role.'));
    page.append(h('section.card', { 'aria-labelledby': 'rec-history' }, h('h2#rec-history', 'History'),
      history.items.length
        ? h('table.data', h('thead', h('tr', ['Version', 'When', 'By', 'Sections', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', history.items.map((it) => h('tr', { 'aria-current': it.version === record.version ? 'true' : undefined },
            h('td', String(it.version)), h('td', formatTime(it.changedAt)),
            h('td', `${it.changedByRole} #${it.changedBy}`), h('td', it.sections.map((s) => SECTION_LABELS[s] || s).join(', ')),
            h('td', it.version === record.version ? h('span.muted', 'Shown') : h('button.btn.small', {
              type: 'button', 'aria-label': `View version ${it.version}`,
              onclick: async () => { viewing = it.version; record = null; await draw(); focusHeading(page); },
            }, 'View'))))))
        : h('p.muted', 'No changes yet')));
  }

  await draw();
}
