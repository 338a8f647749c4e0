// Consent e-signature (issue 21, docs/patients.md).
// - Patients (#/consents): each kind's current document and where they stand (signed, not
//   signed, a new version to sign), the sign form (the document's text, their full name typed,
//   the box ticked), withdrawal, and the history of their signatures.
// - The visit page uses consentSignForm() when joining answers consent_required.
// - Clinicians and admins (#/patients/<id>/consents): a patient's consents, read only.
// - Admins (#/admin/consents): every version of every kind, and publishing a new version
//   (optionally asking everyone who signed an older one to sign again).
// The document's text is shown as text (never as markup), exactly as it is signed.

import { h, clear, field, announce } from '../dom.js';
import { get, post, session, ApiError } from '../api.js';
import { formatTime } from '../format.js';

export const KIND_LABELS = {
  telehealth: 'Telehealth consent',
  rpm: 'Remote monitoring (RPM) consent',
  privacy_notice: 'Notice of privacy practices',
  recording: 'Visit recording policy',
};

function kindLabel(kind) {
  return KIND_LABELS[kind] || kind;
}

function statusText(k) {
  if (!k.current) return 'No document published yet';
  if (k.active) return 'Signed';
  if (k.resignRequired) return `A new version (${k.current.version}) needs your signature`;
  return 'Not signed';
}

/**
 * The sign form for the current document of `kind`: its text, the typed full name and the box.
 * `onSigned(signature)` runs after the box stored the signature. Returns the form's element.
 */
export async function consentSignForm({ patientId, kind, onSigned, onCancel }) {
  const status = await get(`/api/v1/patients/${patientId}/consents`);
  const k = status.kinds.find((x) => x.kind === kind);
  if (!k || !k.current) {
    return h('div.notice.error', { role: 'alert' }, `The clinic has not published a ${kindLabel(kind).toLowerCase()} yet. Please call the clinic.`);
  }
  const doc = await get(`/api/v1/consent-documents/${k.current.id}`);
  const error = h('div.notice.error', { role: 'alert', hidden: true });
  const name = field('Type your full name to sign', { id: `consent-name-${kind}`, autocomplete: 'name', required: true, maxLength: 200 },
    'As it appears on your record (first and last name).');
  const agree = h('input', { type: 'checkbox', id: `consent-agree-${kind}` });
  const signBtn = h('button.btn.primary', { type: 'submit' }, 'Sign');
  const form = h('form.card.consent-sign', { novalidate: true, 'aria-label': `Sign the ${kindLabel(kind)}` },
    h('h2', `${doc.title} (version ${doc.version})`),
    h('pre.consent-text', { tabindex: '0', 'aria-label': 'Document text' }, doc.body),
    h('p.hint', `Document fingerprint (SHA-256): ${doc.sha256}`),
    name.el,
    h('div.field.inline', agree, h('label', { for: `consent-agree-${kind}` }, 'I have read this document and I agree to it')),
    error,
    h('div.actions', signBtn, onCancel ? h('button.btn', { type: 'button', onclick: onCancel }, 'Cancel') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!name.input.value.trim()) { error.hidden = false; error.textContent = 'Type your full name to sign.'; name.input.focus(); return; }
    if (!agree.checked) { error.hidden = false; error.textContent = 'Tick the box to agree.'; agree.focus(); return; }
    signBtn.disabled = true;
    try {
      const sig = await post(`/api/v1/patients/${patientId}/consents`, {
        documentId: doc.id, documentSha256: doc.sha256, typedName: name.input.value, agreed: true,
      });
      announce(`${kindLabel(kind)} signed`);
      await onSigned(sig);
    } catch (err) {
      signBtn.disabled = false;
      error.hidden = false;
      if (err instanceof ApiError && err.status === 422) error.textContent = 'The name does not match the name on your record. Type your first and last name.';
      else if (err instanceof ApiError && err.status === 409) error.textContent = 'This document changed or is already signed. Reload the page.';
      else error.textContent = err.message;
    }
  });
  return form;
}

function signaturesTable(signatures, showIp) {
  if (!signatures.length) return h('p', 'No signatures yet.');
  return h('div.table-wrap', h('table.data.consent-history',
    h('thead', h('tr', h('th', 'Document'), h('th', 'Version'), h('th', 'Signed'), h('th', 'Typed name'),
      showIp ? h('th', 'From address') : null, h('th', 'Withdrawn'))),
    h('tbody', signatures.map((s) => h('tr',
      h('td', kindLabel(s.kind)), h('td', String(s.version)), h('td', formatTime(s.signedAt)), h('td', s.typedName),
      showIp ? h('td', s.signerIp || '') : null,
      h('td', s.withdrawnAt ? formatTime(s.withdrawnAt) : '—'))))));
}

/** The patient's own consents (#/consents). */
export async function renderConsents(root) {
  clear(root);
  const me = await get('/api/v1/me');
  const patientId = me.patientId;
  const msg = h('div.notice', { role: 'status', hidden: true });
  const list = h('div.consent-kinds');
  const signing = h('div.consent-signing');
  const history = h('section.card', h('h2', 'History'));
  root.append(h('section.page.consents', h('h1', 'My consents'),
    h('p', 'The documents the clinic asks you to sign. You can withdraw a consent at any time; care already given is not affected.'),
    msg, signing, list, history));

  function flash(kind, text) {
    msg.hidden = false;
    msg.className = `notice ${kind}`;
    msg.textContent = text;
    announce(text);
  }

  async function load() {
    const data = await get(`/api/v1/patients/${patientId}/consents`);
    clear(list);
    for (const k of data.kinds) {
      const actions = h('div.actions');
      if (k.current && !k.active) {
        actions.append(h('button.btn.primary', {
          type: 'button',
          'data-kind': k.kind,
          onclick: async () => {
            clear(signing).append(await consentSignForm({
              patientId, kind: k.kind,
              onSigned: async () => { clear(signing); flash('success', `${kindLabel(k.kind)} signed.`); await load(); },
              onCancel: () => clear(signing),
            }));
            const heading = signing.querySelector('h2');
            if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
          },
        }, 'Read and sign'));
      }
      if (k.active) {
        actions.append(h('button.btn.danger', {
          type: 'button',
          'data-kind': k.kind,
          onclick: async (e) => {
            if (!window.confirm(`Withdraw your ${kindLabel(k.kind).toLowerCase()}?`)) return;
            e.target.disabled = true;
            try {
              await post(`/api/v1/patients/${patientId}/consents/${k.kind}/withdraw`);
              flash('info', `${kindLabel(k.kind)} withdrawn.`);
              await load();
            } catch (err) {
              e.target.disabled = false;
              flash('error', err.message);
            }
          },
        }, 'Withdraw'));
      }
      list.append(h('section.card.consent-kind', { 'data-kind': k.kind },
        h('h2', kindLabel(k.kind)),
        h('p', k.current ? `${k.current.title}, version ${k.current.version}` : ''),
        h('p.consent-status', { 'data-active': String(k.active) }, statusText(k)),
        actions));
    }
    clear(history).append(h('h2', 'History'), signaturesTable(data.signatures, true));
  }
  await load();
  return null;
}

/** A patient's consents for clinicians and admins (#/patients/<id>/consents), read only. */
export async function renderPatientConsents(root, patientId) {
  clear(root);
  const data = await get(`/api/v1/patients/${patientId}/consents`);
  const rows = data.kinds.map((k) => h('tr',
    h('td', kindLabel(k.kind)),
    h('td', k.current ? `version ${k.current.version}` : '—'),
    h('td', k.active ? 'Active' : (k.resignRequired ? 'Needs re-signing' : 'None'))));
  root.append(h('section.page', h('h1', 'Consents'),
    h('p', h('a', { href: `#/patients/${patientId}` }, 'Back to the patient')),
    h('div.table-wrap', h('table.data', h('thead', h('tr', h('th', 'Document'), h('th', 'Current'), h('th', 'Consent'))), h('tbody', rows))),
    h('h2', 'Signatures'), signaturesTable(data.signatures, session().user.role === 'admin')));
  return null;
}

/** Admins: the consent documents and publishing a new version (#/admin/consents). */
export async function renderConsentAdmin(root) {
  clear(root);
  const msg = h('div.notice', { role: 'status', hidden: true });
  const list = h('div.table-wrap');
  const kind = field('Document', { tag: 'select', id: 'consent-doc-kind' });
  for (const [k, label] of Object.entries(KIND_LABELS)) kind.input.append(h('option', { value: k }, label));
  const title = field('Title', { id: 'consent-doc-title', required: true, maxLength: 200 });
  const body = field('Text (Markdown or plain text)', { tag: 'textarea', id: 'consent-doc-body', rows: 12, required: true },
    'Patients sign exactly this text; a published version never changes.');
  const resign = h('input', { type: 'checkbox', id: 'consent-doc-resign' });
  const form = h('form.card.form', { novalidate: true }, h('h2', 'Publish a new version'), kind.el, title.el, body.el,
    h('div.field.inline', resign, h('label', { for: 'consent-doc-resign' }, 'Everyone who signed an older version must sign this one')),
    h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Publish')));
  root.append(h('section.page', h('h1', 'Consent documents'), msg, list, form));

  async function load() {
    const data = await get('/api/v1/consent-documents');
    clear(list).append(h('table.data', h('thead', h('tr', h('th', 'Document'), h('th', 'Version'), h('th', 'Title'),
      h('th', 'Re-sign'), h('th', 'Published'), h('th', 'SHA-256'))),
    h('tbody', data.documents.map((d) => h('tr', h('td', kindLabel(d.kind)), h('td', String(d.version)), h('td', d.title),
      h('td', d.requiresResign ? 'Yes' : 'No'), h('td', formatTime(d.publishedAt)), h('td', h('code', d.sha256.slice(0, 12) + '…')))))));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const d = await post('/api/v1/consent-documents', {
        kind: kind.input.value, title: title.input.value, body: body.input.value, requiresResign: resign.checked,
      });
      msg.hidden = false;
      msg.className = 'notice success';
      msg.textContent = `${kindLabel(d.kind)} version ${d.version} published.`;
      announce(msg.textContent);
      form.reset();
      await load();
      msg.scrollIntoView({ block: 'center' });
    } catch (err) {
      msg.hidden = false;
      msg.className = 'notice error';
      msg.textContent = err.message;
    }
  });
  await load();
  return null;
}
