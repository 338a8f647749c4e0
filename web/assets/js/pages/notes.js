// Clinical notes (issue 23, docs/notes.md).
// - Staff (#/patients/<id>/notes): the patient's notes and referrals, a new note from a
//   template for an encounter; #/patients/<id>/notes/<noteId> opens one: the author edits a
//   draft (each save sends the version it read: 409 asks to reload), "Insert latest vitals" and
//   "Insert problems" append a plain-text summary read from the readings and record APIs to the
//   Objective and Assessment (the clinician edits it before saving), providers sign, nurses
//   submit for co-signature; a locked note shows its signature and addenda, takes an addendum,
//   a co-signature (providers, when it waits for one) and a referral (providers), whose letter
//   opens as a printable page.
// - Providers (#/cosign): the notes waiting for their co-signature.
// - Patients (#/summaries): the visit summaries of their signed notes (assessment and plan).

import { h, clear, field, announce } from '../dom.js';
import { get, post, put, session, ApiError } from '../api.js';
import { formatTime, formatLatest, vitalLabel, unitLabel, patientName } from '../format.js';

const SECTIONS = [['subjective', 'Subjective'], ['objective', 'Objective'], ['assessment', 'Assessment'], ['plan', 'Plan']];
const KINDS = [['rpm_review', 'RPM monthly review', 'month'], ['video_visit', 'Video visit', 'id'],
  ['in_person_visit', 'In-person visit', 'date'], ['phone_call', 'Phone call', 'date'], ['async_case', 'Async case', 'id']];
const STATE_LABELS = { draft: 'Draft', cosign_pending: 'Waiting for co-signature', signed: 'Signed' };

function kindLabel(kind) {
  const k = KINDS.find(([v]) => v === kind);
  return k ? k[1] : kind;
}

// "Video visit 12" (its page's title), "RPM monthly review · 2026-11", "Phone call · 2026-12-01".
function encounterText(e) {
  const k = KINDS.find(([v]) => v === e.kind);
  return k && k[2] === 'id' ? `${k[1]} ${e.ref}` : `${kindLabel(e.kind)} · ${e.ref}`;
}

function stateBadge(state) {
  return h(`span.badge.note-${state}`, STATE_LABELS[state] || state);
}

function errorText(err) {
  if (err instanceof ApiError && err.code === 'note_changed') return 'This note was saved elsewhere meanwhile. Reload the page to see the latest version.';
  if (err instanceof ApiError && err.code === 'note_state') return err.message;
  if (err instanceof ApiError && err.status === 403) return 'You may not do this with this note.';
  return err.message;
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

// ------------------------------------------------------------ the patient's notes (staff)

export async function renderNotes(root, patientId) {
  clear(root);
  const [patient, templates, notes, referrals] = await Promise.all([
    get(`/api/v1/patients/${patientId}`),
    get('/api/v1/note-templates'),
    get(`/api/v1/patients/${patientId}/notes`),
    get(`/api/v1/patients/${patientId}/referrals`),
  ]);
  document.title = `Notes — ${patientName(patient)} — Vigil`;
  const page = h('section.page.notes');
  root.append(page);
  page.append(h('h1', `Notes: ${patientName(patient)}`),
    h('p', h('a', { href: `#/patients/${patientId}` }, 'Back to the chart')));
  page.append(newNoteCard(patientId, templates.items));

  const list = h('section.card', { 'aria-labelledby': 'notes-title' }, h('h2#notes-title', 'Notes'));
  if (!notes.items.length) list.append(h('p.muted', 'No notes yet.'));
  else {
    list.append(h('table.data', h('caption.sr-only', 'Notes, newest first'),
      h('thead', h('tr', h('th', 'Started'), h('th', 'Template'), h('th', 'Encounter'), h('th', 'State'), h('th', ''))),
      h('tbody', notes.items.map((n) => h('tr', { 'data-note': n.id },
        h('td', formatTime(n.createdAt)), h('td', n.template.title), h('td', encounterText(n.encounter)),
        h('td', stateBadge(n.state)),
        h('td', h('a', { href: `#/patients/${patientId}/notes/${n.id}` }, n.state === 'draft' ? 'Open draft' : 'Open')))))));
  }
  page.append(list);

  const refs = h('section.card', { 'aria-labelledby': 'refs-title' }, h('h2#refs-title', 'Referrals'));
  if (!referrals.items.length) refs.append(h('p.muted', 'No referrals yet.'));
  else refs.append(h('ul.referrals', referrals.items.map((r) => h('li',
    `${r.specialistName} (${r.specialty}), ${formatTime(r.createdAt)} `,
    h('a', { href: `/api/v1/patients/${patientId}/referrals/${r.id}/letter`, target: '_blank', rel: 'noopener' }, 'Open letter')))));
  page.append(refs);
}

function newNoteCard(patientId, templates) {
  const notice = h('div.notice.error', { role: 'alert', hidden: true });
  const tpl = field('Template', { tag: 'select', id: 'note-template' });
  for (const t of templates) tpl.input.append(h('option', { value: t.id }, `${t.title} (v${t.version})`));
  const kind = field('Encounter', { tag: 'select', id: 'note-kind' });
  for (const [v, label] of KINDS) kind.input.append(h('option', { value: v }, label));
  const ref = field('Month, date or id', { id: 'note-ref', maxLength: 40 }, 'RPM review: the month (YYYY-MM); visit or call: the date (YYYY-MM-DD); video visit or async case: its id.');
  const fillRef = () => {
    const k = KINDS.find(([v]) => v === kind.input.value);
    ref.input.value = k[2] === 'month' ? today().slice(0, 7) : k[2] === 'date' ? today() : '';
  };
  kind.input.addEventListener('change', fillRef);
  // The RPM review template goes with the RPM review encounter.
  tpl.input.addEventListener('change', () => {
    const t = templates.find((x) => String(x.id) === tpl.input.value);
    if (t && t.key === 'rpm_review') { kind.input.value = 'rpm_review'; fillRef(); }
  });
  fillRef();
  const form = h('form.note-new', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      notice.hidden = true;
      try {
        const n = await post(`/api/v1/patients/${patientId}/notes`, {
          encounterKind: kind.input.value, encounterRef: ref.input.value.trim(), templateId: Number(tpl.input.value),
        });
        announce('Draft started');
        location.hash = `#/patients/${patientId}/notes/${n.id}`;
      } catch (err) {
        notice.hidden = false;
        notice.textContent = errorText(err);
      }
    },
  }, tpl.el, kind.el, ref.el, notice, h('button.btn.primary#note-start', { type: 'submit' }, 'Start note'));
  return h('section.card', { 'aria-labelledby': 'new-note-title' }, h('h2#new-note-title', 'New note'), form);
}

// ------------------------------------------------------------ one note

async function latestVitalsText(patientId) {
  const p = await get(`/api/v1/patients/${patientId}`);
  const lines = Object.entries(p.latest || {}).map(([code, l]) =>
    `${vitalLabel(code)}: ${formatLatest(code, l)} ${unitLabel(l.unit, code)} (${formatTime(l.at)})`);
  if (p.openAlerts && p.openAlerts.count) lines.push(`Open alerts: ${p.openAlerts.count} (worst: ${p.openAlerts.worstSeverity})`);
  return lines.length ? `Latest vitals:\n${lines.join('\n')}` : 'Latest vitals: none on file.';
}

async function problemsText(patientId) {
  const r = await get(`/api/v1/patients/${patientId}/record`);
  const active = (r.problems || []).filter((p) => p.status === 'active');
  return active.length ? `Problems:\n${active.map((p) => `${p.code} ${p.description}`).join('\n')}` : 'Problems: none recorded.';
}

export async function renderNote(root, patientId, noteId) {
  clear(root);
  const base = `/api/v1/patients/${patientId}/notes/${noteId}`;
  const [patient, note, templates] = await Promise.all([
    get(`/api/v1/patients/${patientId}`), get(base), get('/api/v1/note-templates')]);
  const me = session().user;
  const tpl = templates.items.find((t) => t.key === note.template.key);
  const prompts = tpl && tpl.version === note.template.version ? tpl.prompts : {};
  document.title = `${note.template.title} — ${patientName(patient)} — Vigil`;
  const page = h('section.page.note');
  root.append(page);
  page.append(h('h1', `${note.template.title}: ${patientName(patient)}`),
    h('p.note-meta', encounterText(note.encounter), ' · ', stateBadge(note.state), ` · template v${note.template.version}`),
    h('p', h('a', { href: `#/patients/${patientId}/notes` }, 'All notes')));
  const notice = h('div.notice.error', { role: 'alert', hidden: true });
  const fail = (err) => { notice.hidden = false; notice.textContent = errorText(err); };
  const reload = () => renderNote(root, patientId, noteId);

  if (note.state === 'draft' && note.authorId === me.id) {
    const inputs = {};
    const fields = SECTIONS.map(([key, label]) => {
      const f = field(label, { tag: 'textarea', id: `soap-${key}`, rows: 5, maxLength: 20000 }, prompts[key]);
      f.input.value = note.soap[key] || '';
      inputs[key] = f.input;
      return f.el;
    });
    const soap = () => Object.fromEntries(SECTIONS.map(([k]) => [k, inputs[k].value]));
    const insert = (target, fn) => async () => {
      try {
        const text = await fn(patientId);
        inputs[target].value = inputs[target].value ? `${inputs[target].value}\n${text}` : text;
        announce('Inserted');
      } catch (err) { fail(err); }
    };
    let version = note.version;
    const save = async () => {
      const n = await put(base, { baseVersion: version, soap: soap() });
      version = n.version;
      return n;
    };
    const lock = async (action) => {
      notice.hidden = true;
      try {
        await save();
        await post(`${base}/${action}`, { baseVersion: version });
        announce(action === 'sign' ? 'Note signed' : 'Sent for co-signature');
        await reload();
      } catch (err) { fail(err); }
    };
    page.append(h('form.soap', { onsubmit: (ev) => ev.preventDefault() },
      h('div.toolbar',
        h('button.btn#insert-vitals', { type: 'button', onclick: insert('objective', latestVitalsText) }, 'Insert latest vitals'),
        h('button.btn#insert-problems', { type: 'button', onclick: insert('assessment', problemsText) }, 'Insert problems')),
      fields, notice,
      h('div.actions',
        h('button.btn#note-save', { type: 'button', onclick: async () => {
          notice.hidden = true;
          try { await save(); announce(`Draft saved (version ${version})`); } catch (err) { fail(err); }
        } }, 'Save draft'),
        me.role === 'provider' ? h('button.btn.primary#note-sign', { type: 'button', onclick: () => lock('sign') }, 'Sign') : null,
        me.role === 'nurse' ? h('button.btn.primary#note-submit', { type: 'button', onclick: () => lock('submit') }, 'Sign and send for co-signature') : null),
      h('p.muted.small', 'A signed note cannot be changed; corrections are added as addenda.')));
    return;
  }

  page.append(h('section.card.soap-view', { 'aria-labelledby': 'soap-title' }, h('h2#soap-title', 'Note'),
    h('dl', SECTIONS.map(([k, label]) => [h('dt', label), h('dd.pre', note.soap[k] || '—')])),
    note.signedAt ? h('p.signature', `Signed ${formatTime(note.signedAt)} by ${note.signedByName}`,
      note.cosignedAt ? ` · co-signed ${formatTime(note.cosignedAt)} by ${note.cosignedByName}` : '') : h('p.muted', 'Draft by another author.')));
  if (note.state === 'draft') return;
  page.append(notice);

  if (note.state === 'cosign_pending' && me.role === 'provider') {
    page.append(h('button.btn.primary#note-cosign', { type: 'button', onclick: async () => {
      try { await post(`${base}/cosign`, {}); announce('Co-signed'); await reload(); } catch (err) { fail(err); }
    } }, 'Co-sign'));
  }

  const addenda = h('section.card', { 'aria-labelledby': 'add-title' }, h('h2#add-title', 'Addenda'));
  if (!note.addenda.length) addenda.append(h('p.muted', 'None.'));
  else addenda.append(h('ol.addenda', note.addenda.map((a) => h('li', h('p.pre', a.text),
    h('p.muted.small', `Signed ${formatTime(a.signedAt)} by ${a.authorName} (${a.authorRole})`)))));
  const text = field('New addendum', { tag: 'textarea', id: 'addendum-text', rows: 3, maxLength: 20000 });
  addenda.append(h('form', { onsubmit: async (ev) => {
    ev.preventDefault();
    try { await post(`${base}/addenda`, { text: text.input.value }); announce('Addendum signed'); await reload(); } catch (err) { fail(err); }
  } }, text.el, h('button.btn#addendum-sign', { type: 'submit' }, 'Sign addendum')));
  page.append(addenda);

  if (note.state === 'signed' && me.role === 'provider') page.append(referralCard(patientId, base, fail));
}

function referralCard(patientId, base, fail) {
  const name = field('Specialist', { id: 'ref-name', maxLength: 200 });
  const specialty = field('Specialty', { id: 'ref-specialty', maxLength: 200 });
  const contact = field('Address, phone or fax', { tag: 'textarea', id: 'ref-contact', rows: 2, maxLength: 500 });
  const reason = field('Reason for referral', { tag: 'textarea', id: 'ref-reason', rows: 3, maxLength: 20000 });
  const done = h('p', { role: 'status' });
  return h('section.card', { 'aria-labelledby': 'ref-title' }, h('h2#ref-title', 'Refer'),
    h('form', { onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const r = await post(`${base}/referrals`, { specialistName: name.input.value, specialty: specialty.input.value,
          contact: contact.input.value, reason: reason.input.value });
        clear(done).append('Referral recorded. ', h('a#ref-letter', { href: `/api/v1/patients/${patientId}/referrals/${r.id}/letter`, target: '_blank', rel: 'noopener' }, 'Open the letter to print'));
        announce('Referral recorded');
      } catch (err) { fail(err); }
    } }, name.el, specialty.el, contact.el, reason.el, h('button.btn#ref-create', { type: 'submit' }, 'Create referral letter'), done));
}

// ------------------------------------------------------------ co-sign queue (providers)

export async function renderCosignQueue(root) {
  clear(root);
  const q = await get('/api/v1/cosign-queue');
  document.title = 'Co-sign — Vigil';
  const page = h('section.page', h('h1', 'Notes to co-sign'));
  root.append(page);
  if (!q.items.length) { page.append(h('p.muted', 'Nothing is waiting for your co-signature.')); return; }
  page.append(h('ul.cosign-queue', q.items.map((n) => h('li',
    h('a', { href: `#/patients/${n.patientId}/notes/${n.id}` }, `${n.template.title}, ${encounterText(n.encounter)}`),
    ` signed by ${n.signedByName} ${formatTime(n.signedAt)}`))));
}

// ------------------------------------------------------------ the patient's summaries

export async function renderSummaries(root) {
  clear(root);
  const s = await get('/api/v1/me/visit-summaries');
  document.title = 'Visit summaries — Vigil';
  const page = h('section.page.summaries', h('h1', 'Visit summaries'),
    h('p.muted', 'What your care team concluded and planned at each visit or review, once they signed the note.'));
  root.append(page);
  if (!s.items.length) { page.append(h('p.muted#no-summaries', 'No visit summaries yet.')); return; }
  for (const v of s.items) {
    page.append(h('article.card.summary', { 'data-note': v.noteId },
      h('h2', `${v.title} · ${encounterText(v.encounter)}`),
      h('p.muted.small', `Signed ${formatTime(v.signedAt)} by ${v.signedByName}`,
        v.cosignedByName ? ` · co-signed by ${v.cosignedByName}` : ''),
      h('h3', 'Assessment'), h('p.pre', v.assessment || '—'),
      h('h3', 'Plan'), h('p.pre', v.plan || '—'),
      v.addenda.length ? [h('h3', 'Addenda'), h('ul', v.addenda.map((a) => h('li.pre', `${a.text} (${formatTime(a.signedAt)})`)))] : null));
  }
}
