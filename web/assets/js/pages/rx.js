// Prescriptions (issue 25, docs/prescribing.md). A patient sees their own prescriptions and
// each one's status (#/prescriptions). A provider, from a patient's chart (#/patients/N/
// prescriptions), sees the patient's prescriptions and writes a new one: the pre-checks run
// first, and anything missing (NPI, license in the patient's state, DEA and EPCS access for a
// controlled drug, the patient's birth date, address, preferred pharmacy) is listed with how to
// fix it, never a blank screen. The entry shows the patient's allergies and medications; an
// allergy match or a duplicate is a warning to acknowledge; a controlled-substance rule that
// refuses is quoted. A controlled drug is signed with the password and a code from the
// authenticator app typed at that moment (EPCS). The provider's signing log: #/signing-log.

import { h, clear, field, announce } from '../dom.js';
import { get, post, del, query, session, ApiError } from '../api.js';
import { formatTime } from '../format.js';

const STATUS = {
  draft: ['Draft (not signed)', 'state-open'],
  signed: ['Signed, sent to the pharmacy', 'state-claimed'],
  received: ['Received by the pharmacy', 'state-claimed'],
  filled: ['Filled', 'state-acknowledged'],
  not_filled: ['Not filled', 'state-escalated'],
  change_requested: ['The pharmacy asks for a change', 'state-escalated'],
  cancel_requested: ['Cancel sent', 'state-open'],
  cancelled: ['Cancelled', 'state-resolved'],
  cancel_denied: ['Cancel refused by the pharmacy', 'state-escalated'],
  error: ['Not accepted by the pharmacy network', 'state-escalated'],
};
const SCHEDULE = { 0: '', 2: 'C-II', 3: 'C-III', 4: 'C-IV', 5: 'C-V' };
const UNITS = ['tablet', 'capsule', 'mL', 'inhaler', 'each', 'g', 'patch'];

function statusBadge(p) {
  const [word, cls] = STATUS[p.status] || [p.status, 'state-open'];
  return h(`span.state.${cls}.rx-status`, { 'data-status': p.status }, word);
}

function notice(kind, text) {
  announce(text);
  return h(`div.notice.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, text);
}

function drugLabel(d) {
  return `${d.name}${d.schedule ? ` (${SCHEDULE[d.schedule]})` : ''}`;
}

function prescriptionTable(items, actions) {
  if (!items.length) return h('p.muted#rx-empty', 'No prescriptions yet.');
  const cols = ['Drug', 'Directions', 'Quantity', 'Refills', 'Status', 'Updated'];
  if (actions) cols.push('Actions');
  return h('div.table-wrap', h('table.data#rx-list', h('caption.sr-only', 'Prescriptions'),
    h('thead', h('tr', cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', items.map((p) => h('tr', { 'data-rx': p.id },
      h('th', { scope: 'row' }, drugLabel(p.drug)),
      h('td', p.sig),
      h('td', `${p.quantity} ${p.quantityUnit} · ${p.daysSupply} days`),
      h('td', String(p.refills)),
      h('td', statusBadge(p), p.statusReason ? h('div.muted', p.statusReason.replace(/_/g, ' ')) : null),
      h('td', formatTime(p.updatedAt)),
      actions ? h('td', h('div.row-actions', actions(p))) : null)))));
}

/** The list of what is missing, each with its fix. */
function missingList(missing) {
  return h('section.card#rx-missing', h('h2', 'Before you can prescribe'),
    h('p', 'The box checks these before a prescription can be written:'),
    h('ul', missing.map((m) => h('li', { 'data-item': m.item }, h('strong', m.message), ' ', h('span.hint', m.fix)))));
}

async function renderPatientView(root) {
  const box = h('div');
  root.append(h('h1', 'My prescriptions'), box);
  const data = await get('/api/v1/me/prescriptions');
  box.append(prescriptionTable(data.items, null));
}

/** The signing step of a draft: the session for others, password + TOTP for controlled drugs. */
function signForm(p, done) {
  const out = h('div');
  const controlled = p.drug.schedule !== 0;
  const password = field('Your password', { type: 'password', autocomplete: 'current-password', id: 'rx-sign-password', required: true });
  const code = field('Code from your authenticator app', { inputmode: 'numeric', autocomplete: 'one-time-code', id: 'rx-sign-code', maxlength: 8, required: true },
    'Controlled substances are signed with two factors at the moment of signing (EPCS).');
  const form = h('form.form#rx-sign-form', { onsubmit: async (ev) => {
    ev.preventDefault();
    clear(out);
    try {
      const body = controlled ? { password: password.input.value, totp: code.input.value } : {};
      const signed = await post(`/api/v1/prescriptions/${p.id}/sign`, body);
      out.append(notice('success', `Signed and sent to the pharmacy: ${signed.drug.name}.`));
      done();
    } catch (e) {
      out.append(notice('error', e instanceof ApiError ? e.message : 'Signing failed.'));
    } finally {
      password.input.value = '';
      code.input.value = '';
    }
  } },
  h('h3', controlled ? `Sign ${SCHEDULE[p.drug.schedule]} prescription (EPCS)` : 'Sign and send'),
  controlled ? password.el : null, controlled ? code.el : null,
  h('button.btn.primary#rx-sign', { type: 'submit' }, 'Sign and send'), out);
  return form;
}

function entryForm(patientId, drug, pre, done) {
  const out = h('div#rx-entry-result');
  const sig = field('Directions (sig)', { id: 'rx-sig', required: true, maxlength: 1000, value: 'Take 1 tablet by mouth daily' });
  const qty = field('Quantity', { id: 'rx-quantity', required: true, value: '30', inputmode: 'decimal' });
  const unit = field('Unit', { tag: 'select', id: 'rx-unit' });
  for (const u of UNITS) unit.input.append(h('option', { value: u }, u));
  const days = field("Days' supply", { id: 'rx-days', type: 'number', min: 1, max: 365, value: '30', required: true });
  const refills = field('Refills', { id: 'rx-refills', type: 'number', min: 0, max: 11, value: '0', required: true });
  const subst = h('input#rx-substitution', { type: 'checkbox', checked: true });
  const note = field('Note to the pharmacist', { id: 'rx-note', maxlength: 210 });
  const tele = h('input#rx-telehealth', { type: 'checkbox', checked: true });
  const inPerson = field('Prior in-person evaluation (date)', { id: 'rx-in-person', type: 'date' },
    'Needed for telehealth prescribing of a controlled substance.');
  let acknowledged = [];
  const send = async () => {
    clear(out);
    const body = {
      drugId: drug.id, sig: sig.input.value, quantity: qty.input.value, quantityUnit: unit.input.value,
      daysSupply: Number(days.input.value), refills: Number(refills.input.value),
      substitution: subst.checked, note: note.input.value, telehealth: tele.checked,
      inPersonOn: inPerson.input.value || undefined, acknowledged,
    };
    try {
      const p = await post(`/api/v1/patients/${patientId}/prescriptions`, body);
      out.append(notice('success', 'Draft saved. Review it and sign.'), signForm(p, done));
    } catch (e) {
      if (!(e instanceof ApiError) || !e.body) { out.append(notice('error', 'Could not save.')); return; }
      if (e.code === 'warnings') {
        out.append(h('div.notice.warning#rx-warnings', { role: 'alert' },
          h('strong', 'Please review:'), h('ul', e.body.warnings.map((w) => h('li', { 'data-kind': w.kind }, w.message))),
          h('button.btn#rx-acknowledge', { type: 'button', onclick: () => { acknowledged = e.body.warnings.map((w) => w.kind); send(); } },
            'I have reviewed these; continue')));
      } else if (e.code === 'rule') {
        out.append(h('div.notice.error#rx-rule', { role: 'alert' }, h('strong', 'A controlled-substance rule refuses this:'),
          h('ul', e.body.breaches.map((b) => h('li', b.message)))));
      } else if (e.code === 'precheck') {
        out.append(missingList(e.body.missing));
      } else {
        out.append(notice('error', e.message));
      }
    }
  };
  return h('form.form#rx-entry', { onsubmit: (ev) => { ev.preventDefault(); acknowledged = []; send(); } },
    h('h3', `New prescription: ${drugLabel(drug)}`),
    h('p.muted', `Strength ${drug.strength}, form ${drug.form}${drug.rxcui ? `, RxNorm ${drug.rxcui}` : ''}. Pharmacy: ${pre.pharmacyName} (NCPDP ${pre.pharmacyNcpdp}).`),
    sig.el, h('div.grid-form', qty.el, unit.el, days.el, refills.el),
    h('label.check', subst, ' Substitution allowed'), note.el,
    h('label.check', tele, ' Prescribed from a telehealth encounter'), inPerson.el,
    h('button.btn.primary#rx-save', { type: 'submit' }, 'Save draft'), out);
}

function clinicalLists(pre) {
  return h('div.grid-2#rx-context',
    h('section.card', h('h3', 'Allergies'), pre.allergies.length
      ? h('ul#rx-allergies', pre.allergies.map((a) => h('li', `${a.substance}${a.reaction ? ` (${a.reaction})` : ''}, ${a.severity}`)))
      : h('p.muted', 'No documented allergies.')),
    h('section.card', h('h3', 'Current medications'), pre.medications.length
      ? h('ul#rx-medications', pre.medications.map((m) => h('li', `${m.name}${m.instructions ? `: ${m.instructions}` : ''}`)))
      : h('p.muted', 'No active medications.')));
}

async function renderProviderView(root, patientId) {
  const listBox = h('div');
  const entryBox = h('section.card#rx-new');
  root.append(h('h1', 'Prescriptions'), h('p', h('a', { href: `#/patients/${patientId}` }, 'Back to the chart'), ' · ',
    h('a', { href: '#/signing-log' }, 'My signing log')), listBox, entryBox);
  const me = session().user.id;
  const reload = async () => {
    const data = await get(`/api/v1/patients/${patientId}/prescriptions`);
    clear(listBox);
    listBox.append(prescriptionTable(data.items, (p) => {
      if (p.prescriberId !== me) return [];
      if (p.status === 'draft') {
        return [h('button.btn', { type: 'button', onclick: () => { clear(entryBox); entryBox.append(signForm(p, reload)); } }, 'Sign'),
          h('button.btn.ghost', { type: 'button', onclick: async () => { await del(`/api/v1/prescriptions/${p.id}`); reload(); } }, 'Discard')];
      }
      if (['signed', 'received', 'change_requested'].includes(p.status)) {
        return [h('button.btn.ghost', { type: 'button', onclick: async () => {
          try { await post(`/api/v1/prescriptions/${p.id}/cancel`, { reason: 'cancelled by the prescriber' }); } catch (e) { announce(e.message); }
          reload();
        } }, 'Cancel (CancelRx)')];
      }
      return [];
    }));
  };
  await reload();
  const pre = await get(`/api/v1/patients/${patientId}/prescriptions/precheck`);
  if (!pre.ready) {
    entryBox.append(missingList(pre.missing));
    return;
  }
  const results = h('ul.picker-list#rx-drug-results');
  const form = h('div');
  const search = field('Find a drug', { id: 'rx-drug-search', type: 'search', autocomplete: 'off', placeholder: 'e.g. lisinopril 10' },
    'Names from the drug list (RxNorm); controlled substances show their schedule.');
  let timer = null;
  search.input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      clear(results);
      const q = search.input.value.trim();
      if (q.length < 2) return;
      const found = await get(`/api/v1/drugs${query({ q })}`);
      for (const d of found.items) {
        results.append(h('li', h('button.btn.ghost.picker-option.rx-drug', { type: 'button', 'data-drug': d.name, onclick: async () => {
          clear(form);
          const check = await get(`/api/v1/patients/${patientId}/prescriptions/precheck${query({ drugId: d.id })}`);
          if (!check.ready) { form.append(missingList(check.missing)); return; }
          form.append(entryForm(patientId, d, check, () => reload()));
        } }, drugLabel(d))));
      }
    }, 200);
  });
  entryBox.append(h('h2', 'New prescription'), clinicalLists(pre), search.el, results, form);
}

export async function renderPrescriptions(root, patientId) {
  if (patientId === null) return renderPatientView(root);
  return renderProviderView(root, patientId);
}

export async function renderSigningLog(root) {
  root.append(h('h1', 'My signing log'), h('p.muted', 'Every signature, refused signature and cancellation of your prescriptions (21 CFR 1311.120: review it).'));
  const data = await get('/api/v1/me/signing-log');
  if (!data.items.length) { root.append(h('p.muted', 'Nothing signed yet.')); return; }
  root.append(h('div.table-wrap', h('table.data#rx-signing-log', h('thead', h('tr', ['When', 'What', 'Drug', 'Schedule', 'Detail'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', data.items.map((e) => h('tr', h('td', formatTime(e.at)), h('td', e.kind.replace(/_/g, ' ')),
      h('td', e.drugName), h('td', SCHEDULE[e.schedule] || '—'), h('td', e.detail)))))));
}
