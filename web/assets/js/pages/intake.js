// Intake (issue 21, docs/patients.md#intake).
// - The patient (#/intake, offered on "My readings" until it is done): a four-step wizard that
//   saves as it goes: 1 contact details, language and emergency contact; 2 insurance with photos
//   of the card (front and back); 3 health history (conditions, medications, allergies) and the
//   preferred pharmacy; 4 the consents (telehealth, remote monitoring), then "Finish".
// - Staff (on a patient's record page): the intake status and the card photos, with upload for
//   the front desk scanning a card at the desk.
// Photos are shrunk in the browser (at most 1600 pixels a side, JPEG) before they are sent,
// which also fits the server's body limit; the box strips what metadata remains and encrypts
// the picture. Each step sends only its sections, with the record version it read.

import { h, clear, field, announce, focusHeading } from '../dom.js';
import { get, put, post, del, ApiError } from '../api.js';
import { formatTime } from '../format.js';
import { consentSignForm } from './consent.js';

const SIDES = [['front', 'Front of the card'], ['back', 'Back of the card']];
const MAX_SIDE = 1600;
// Common chronic conditions a patient can report with their ICD-10-CM codes (the record's
// problem list needs a code); clinicians add anything else.
const COMMON_CONDITIONS = [
  ['I10', 'High blood pressure (essential hypertension)'],
  ['E11.9', 'Type 2 diabetes'],
  ['I50.9', 'Heart failure'],
  ['I48.91', 'Atrial fibrillation'],
  ['J44.9', 'COPD (chronic obstructive pulmonary disease)'],
  ['J45.909', 'Asthma'],
  ['E78.5', 'High cholesterol (hyperlipidemia)'],
  ['N18.9', 'Chronic kidney disease'],
  ['E66.9', 'Obesity'],
];

function message(err) {
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Please try again.';
}

/** A photo from a file input as JPEG base64, at most MAX_SIDE pixels a side. */
async function shrink(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Photo slots for one coverage: the picture on file (if any) and a file input to replace it. */
export function cardPhotos(patientId, coverage, cards, onChange) {
  const wrap = h('div.card-photos', { 'data-coverage': coverage });
  for (const [side, label] of SIDES) {
    const onFile = cards.find((c) => c.coverage === coverage && c.side === side);
    const status = h('p.hint', { role: 'status' });
    const input = h('input', { type: 'file', accept: 'image/jpeg,image/png', id: `card-${coverage}-${side}` });
    const slot = h('figure.card-photo',
      onFile
        ? h('img', { src: `${onFile.href}?v=${encodeURIComponent(onFile.uploadedAt)}`, alt: `${label} (${coverage} insurance)` })
        : h('div.card-photo-empty', 'No photo yet'),
      h('figcaption', label),
      h('label.btn', { for: input.id }, onFile ? 'Replace photo' : 'Add photo'), input, status);
    if (onFile) {
      slot.append(h('button.btn', {
        type: 'button',
        onclick: async () => {
          await del(`/api/v1/patients/${patientId}/insurance-cards/${coverage}/${side}`);
          announce('Photo removed');
          await onChange();
        },
      }, 'Remove'));
    }
    input.addEventListener('change', async () => {
      const file = input.files[0];
      if (!file) return;
      status.textContent = 'Uploading…';
      try {
        const contentBase64 = await shrink(file);
        await put(`/api/v1/patients/${patientId}/insurance-cards/${coverage}/${side}`, { contentBase64 });
        announce('Photo saved');
        await onChange();
      } catch (err) {
        status.textContent = err instanceof ApiError ? err.message : 'This file could not be read as a picture.';
      }
    });
    wrap.append(slot);
  }
  return wrap;
}

/** Staff: the intake status and the card photos on a patient's record page. */
export async function intakeCard(patientId, { own = false } = {}) {
  const card = h('section.card.intake-card', h('h2', 'Intake and insurance cards'));
  async function load() {
    const st = await get(`/api/v1/patients/${patientId}/intake`);
    clear(card).append(h('h2', 'Intake and insurance cards'),
      h('p', { 'data-intake': st.completed ? 'complete' : 'open' }, st.completed
        ? `Intake completed ${formatTime(st.completedAt)}${st.completedByRole === 'patient' ? ' by the patient' : ' at the clinic'}.`
        : 'Intake not completed yet.'),
      h('h3', 'Primary insurance'), cardPhotos(patientId, 'primary', st.cards, load),
      h('h3', 'Secondary insurance'), cardPhotos(patientId, 'secondary', st.cards, load));
    if (!st.completed && own) {
      card.append(h('div.actions', h('a.btn.primary', { href: '#/intake' }, 'Finish your intake')));
    } else if (!st.completed) {
      card.append(h('div.actions', h('button.btn', {
        type: 'button',
        onclick: async () => { await post(`/api/v1/patients/${patientId}/intake/complete`); announce('Intake marked complete'); await load(); },
      }, 'Mark intake complete')));
    }
  }
  try {
    await load();
  } catch (err) {
    card.append(h('p.notice.error', message(err)));
  }
  return card;
}

function text(label, value, attrs = {}) {
  const f = field(label, { type: 'text', maxLength: 200, ...attrs });
  f.input.value = value || '';
  return f;
}

/** The patient's wizard (#/intake). */
export async function renderIntake(root) {
  clear(root);
  const me = await get('/api/v1/me');
  const patientId = me.patientId;
  let record = await get('/api/v1/me/record');
  let step = 0;
  const body = h('div.intake-step');
  const steps = ['About you', 'Insurance', 'Health history', 'Consents'];
  const progress = h('ol.intake-progress');
  const error = h('div.notice.error', { role: 'alert', hidden: true });
  root.append(h('section.page.intake', h('h1', 'Welcome: your intake'),
    h('p', 'Four short steps. What you enter is saved at each step and goes to your care team; you can change it later under "My record".'),
    progress, error, body));

  async function save(sections) {
    error.hidden = true;
    try {
      record = await put('/api/v1/me/record', { baseVersion: record.version, ...sections });
      return true;
    } catch (err) {
      error.hidden = false;
      error.textContent = message(err);
      return false;
    }
  }

  function nav(onNext, nextLabel = 'Save and continue') {
    return h('div.actions',
      step > 0 ? h('button.btn', { type: 'button', onclick: () => show(step - 1) }, 'Back') : null,
      h('button.btn.primary', { type: 'submit' }, nextLabel));
  }

  function form(title, children, onNext, nextLabel) {
    const f = h('form.card', { novalidate: true, 'aria-label': title }, h('h2', title), ...children, nav(onNext, nextLabel));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (await onNext()) show(step + 1);
    });
    return f;
  }

  function aboutYou() {
    const c = record.contact || {};
    const a = c.address || {};
    const ec = record.emergencyContact || {};
    const fields = {
      email: text('E-mail', c.email, { type: 'email', autocomplete: 'email' }),
      phone: text('Phone', c.phone, { type: 'tel', autocomplete: 'tel' }),
      line1: text('Street address', a.line1, { autocomplete: 'address-line1' }),
      city: text('City', a.city, { autocomplete: 'address-level2' }),
      region: text('State', a.region, { autocomplete: 'address-level1' }),
      postalCode: text('ZIP code', a.postalCode, { autocomplete: 'postal-code' }),
      language: text('Preferred language (e.g. en-US, es)', record.language),
      ecName: text('Emergency contact: name', ec.name),
      ecRel: text('Emergency contact: relationship', ec.relationship),
      ecPhone: text('Emergency contact: phone', ec.phone, { type: 'tel' }),
    };
    const d = record.demographics || {};
    // Identity fields are the clinic's (checked against an ID at the desk): shown for checking.
    const identity = h('div.identity',
      h('dl.record-fields',
        h('dt', 'Name'), h('dd', `${d.givenName || ''} ${d.familyName || ''}`.trim() || 'Not given'),
        h('dt', 'Date of birth'), h('dd', d.birthDate || 'Not given'),
        h('dt', 'State you live in'), h('dd', d.state || 'Not given'),
        h('dt', 'Time zone'), h('dd', d.timeZone || 'Not given')),
      h('p.hint', 'If any of this is wrong, tell the clinic: the front desk corrects it (your visits and clinicians depend on your state and time zone).'));
    return form('1. About you', [identity, ...Object.values(fields).map((f) => f.el)], () => {
      const v = (k) => fields[k].input.value.trim();
      const address = v('line1') || v('city') ? { line1: v('line1'), city: v('city'), region: v('region'), postalCode: v('postalCode'), country: 'US' } : {};
      const sections = { contact: { email: v('email'), phone: v('phone'), address } };
      if (v('language')) sections.language = v('language');
      if (v('ecName')) sections.emergencyContact = { name: v('ecName'), relationship: v('ecRel'), phone: v('ecPhone') };
      return save(sections);
    });
  }

  async function insurance() {
    const p = (record.insurance || {}).primary || {};
    const fields = {
      payer: text('Insurance company (payer)', p.payer),
      plan: text('Plan', p.plan),
      memberId: text('Member id', p.memberId),
      groupNumber: text('Group number', p.groupNumber),
      subscriberName: text('Subscriber (the person the plan is in the name of)', p.subscriberName),
    };
    const relationship = field('Your relationship to the subscriber', { tag: 'select' });
    for (const r of ['self', 'spouse', 'child', 'other']) relationship.input.append(h('option', { value: r, selected: (p.relationship || 'self') === r }, r));
    const photos = h('div');
    async function loadPhotos() {
      const st = await get(`/api/v1/patients/${patientId}/intake`);
      clear(photos).append(h('h3', 'Photos of your card'), h('p.hint', 'A clear photo of each side. Location and camera details are removed before it is stored.'),
        cardPhotos(patientId, 'primary', st.cards, loadPhotos));
    }
    await loadPhotos();
    return form('2. Insurance', [...Object.values(fields).map((f) => f.el), relationship.el, photos], async () => {
      const v = (k) => fields[k].input.value.trim();
      if (!v('payer') && !v('memberId')) return true;  // no insurance given: a self-pay patient
      const primary = { payer: v('payer'), plan: v('plan'), memberId: v('memberId'), groupNumber: v('groupNumber'),
        subscriberName: v('subscriberName'), relationship: relationship.input.value };
      const secondary = (record.insurance || {}).secondary;
      return save({ insurance: secondary ? { primary, secondary } : { primary } });
    });
  }

  function history() {
    const lines = (list, key) => (list || []).filter((e) => e.status !== 'stopped').map((e) => e[key]).join('\n');
    const current = (record.problems || []).filter((p) => p.status !== 'resolved');
    const boxes = COMMON_CONDITIONS.map(([code, label]) => {
      const box = h('input', { type: 'checkbox', id: `cond-${code}`, value: code, checked: current.some((p) => p.code === code) });
      return { code, label, box, el: h('div.field.inline', box, h('label', { for: box.id }, label)) };
    });
    const conditions = h('fieldset', h('legend', 'Conditions you are treated for'), ...boxes.map((b) => b.el),
      h('p.hint', 'Anything else: tell your care team at your first visit; they add it with its code.'));
    const meds = field('Medications you take, with the dose (one per line)', { tag: 'textarea', rows: 4 });
    meds.input.value = lines(record.medications, 'name');
    const allergies = field('Allergies (one per line; none: leave empty)', { tag: 'textarea', rows: 2 });
    allergies.input.value = lines(record.allergies, 'substance');
    const pharmacy = text('Preferred pharmacy: name', (record.pharmacy || {}).name);
    const pharmacyPhone = text('Preferred pharmacy: phone', (record.pharmacy || {}).phone, { type: 'tel' });
    return form('3. Health history', [conditions, meds.el, allergies.el, pharmacy.el, pharmacyPhone.el], () => {
      const entries = (input) => input.value.split('\n').map((t) => t.trim()).filter(Boolean);
      // An unchanged entry is sent back as it was (its id and source kept); a new one is new.
      const keep = (list, key, value, make) => (list || []).find((e) => e[key] === value) || make(value);
      const ticked = boxes.filter((b) => b.box.checked);
      const problems = (record.problems || []).filter((p) => !COMMON_CONDITIONS.some(([code]) => code === p.code) ||
        ticked.some((b) => b.code === p.code));
      for (const b of ticked) {
        if (!problems.some((p) => p.code === b.code)) problems.push({ code: b.code, description: b.label, status: 'active' });
      }
      const sections = {
        problems,
        medications: [...(record.medications || []).filter((m) => m.status === 'stopped'),
          ...entries(meds.input).map((t) => keep(record.medications, 'name', t, (name) => ({ name })))],
        allergies: entries(allergies.input).map((t) => keep(record.allergies, 'substance', t, (substance) => ({ substance }))),
      };
      if (pharmacy.input.value.trim()) sections.pharmacy = { ...(record.pharmacy || {}), name: pharmacy.input.value.trim(), phone: pharmacyPhone.input.value.trim() };
      return save(sections);
    });
  }

  async function consents() {
    const wrap = h('div');
    async function load() {
      const data = await get(`/api/v1/patients/${patientId}/consents`);
      clear(wrap);
      for (const kind of ['telehealth', 'rpm']) {
        const k = data.kinds.find((x) => x.kind === kind);
        if (!k || !k.current) continue;
        if (k.active) {
          wrap.append(h('p.notice.success', { 'data-consent': kind }, `${k.current.title}: signed.`));
        } else {
          wrap.append(await consentSignForm({ patientId, kind, onSigned: load }));
        }
      }
    }
    await load();
    return form('4. Consents', [h('p', 'Video visits need the telehealth consent; home monitoring needs the remote monitoring consent. You can withdraw either later under "Consents".'), wrap], async () => {
      try {
        await post(`/api/v1/patients/${patientId}/intake/complete`);
        return true;
      } catch (err) {
        error.hidden = false;
        error.textContent = message(err);
        return false;
      }
    }, 'Finish');
  }

  async function show(n) {
    step = n;
    clear(progress);
    steps.forEach((label, i) => progress.append(h('li', { 'aria-current': i === n ? 'step' : undefined, class: i < n ? 'done' : undefined }, label)));
    clear(body);
    if (n >= steps.length) {
      body.append(h('div.card', h('h2', 'Thank you'), h('p', 'Your intake is complete. Your care team will see it.'),
        h('p', h('a.btn.primary', { href: '#/me' }, 'Go to my readings'))));
      announce('Intake complete');
      return;
    }
    body.append(await [aboutYou, insurance, history, consents][n]());
    focusHeading(body);
  }
  await show(0);
}

/** A notice for the patient's home page while the intake is open (nothing once it is done). */
export async function intakeNotice(patientId) {
  try {
    const st = await get(`/api/v1/patients/${patientId}/intake`);
    if (st.completed) return null;
    return h('div.notice.info.intake-notice', { role: 'status' }, 'Your intake is not finished. ',
      h('a', { href: '#/intake' }, 'Finish your intake'), ' so your care team has your insurance and history.');
  } catch {
    return null;
  }
}
