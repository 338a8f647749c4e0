// Licenses (issue 22, docs/scheduling.md#licensing). Administration → Licenses: choose a provider
// or nurse, set their NPI, see their state licenses with status and verification, add, edit or
// remove one, and Verify (the box asks the cloud licensing registry; the answer updates the rows
// when it arrives). Below, the active licenses expiring within 60 days. Providers and nurses see
// their own licenses (#/licenses), read only. Licenses are public registry data (no PHI).

import { h, clear, field, announce } from '../dom.js';
import { get, post, put, del, query } from '../api.js';
import { formatTime } from '../format.js';
import { staffPicker } from '../pickers.js';

const TYPES = ['MD', 'DO', 'NP', 'RN', 'LPN', 'PA', 'APRN', 'IMLC', 'NLC'];
const STATUSES = ['active', 'expired', 'suspended', 'revoked'];
const STATUS_CLASS = { active: 'state-acknowledged', expired: 'state-resolved', suspended: 'state-escalated', revoked: 'state-escalated' };
const VERIFICATION = {
  unverified: ['Not verified', 'state-open'],
  verified: ['Verified', 'state-acknowledged'],
  mismatch: ['Number differs from the registry', 'state-escalated'],
  not_found: ['Not found in the registry', 'state-claimed'],
};
const TYPE_HINT = 'IMLC: a full license of this state issued through the physicians\' compact. NLC: the nurse\'s multistate license, entered once for the home state; it covers every NLC member state.';

function flash(box, kind, text) {
  box.hidden = false;
  box.className = `notice ${kind}`;
  box.textContent = text;
  announce(text);
}

function statusBadge(status) {
  return h(`span.state.${STATUS_CLASS[status] || 'state-open'}`, status);
}

function verificationCell(l) {
  const [word, cls] = VERIFICATION[l.verification] || [l.verification, 'state-open'];
  return h('td', h(`span.state.${cls}`, word),
    l.registryNumber ? h('div.muted', `Registry: ${l.registryNumber}`) : null,
    l.verifiedAt ? h('div.muted', `${l.verifiedBy === 'admin' ? 'By an admin' : 'By the registry'}, ${formatTime(l.verifiedAt)}`) : null,
    l.lookupRequestedAt && (!l.verifiedAt || new Date(l.lookupRequestedAt) > new Date(l.verifiedAt)) ? h('div.muted', `Asked ${formatTime(l.lookupRequestedAt)}`) : null);
}

/** The licenses table; `actions(l)` gives each row's buttons (admins) or nothing. */
function licenseTable(caption, licenses, actions) {
  if (!licenses.length) return h('p.muted', 'No licenses recorded.');
  const cols = ['State', 'Type', 'Number', 'Issued', 'Expires', 'Status', 'Verification'];
  if (actions) cols.push('Actions');
  return h('div.table-wrap', h('table.data', h('caption.sr-only', caption),
    h('thead', h('tr', cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', licenses.map((l) => h('tr',
      h('th', { scope: 'row' }, l.state), h('td', l.type), h('td', h('code', l.number)),
      h('td', l.issuedOn || '—'), h('td', l.expiresOn), h('td', statusBadge(l.status)),
      verificationCell(l),
      actions ? h('td', h('div.row-actions', actions(l))) : null)))));
}

/** The add/edit form; `onSave(body)` sends it. */
function licenseForm(onSave, onCancel) {
  const state = field('State', { required: true, maxlength: 2, size: 3, autocomplete: 'off', pattern: '[A-Za-z]{2}' }, 'Two letters, e.g. CA.');
  const type = field('Type', { tag: 'select' }, TYPE_HINT);
  for (const t of TYPES) type.input.append(h('option', { value: t }, t));
  const number = field('License number', { required: true, maxlength: 32, autocomplete: 'off' });
  const issued = field('Issued on (optional)', { type: 'date' });
  const expires = field('Expires on', { type: 'date', required: true });
  const status = field('Status', { tag: 'select' });
  for (const s of STATUSES) status.input.append(h('option', { value: s }, s));
  const byHand = h('input', { type: 'checkbox', id: 'license-by-hand' });
  const title = h('h3', 'Add a license');
  let editing = null;
  const submit = h('button.btn.primary', { type: 'submit' }, 'Add license');
  const cancel = h('button.btn.ghost', { type: 'button', hidden: true, onclick: () => { reset(); onCancel(); } }, 'Cancel');
  const form = h('form.form.grid-form', { novalidate: true }, title, state.el, type.el, number.el, issued.el, expires.el, status.el,
    h('div.field.checkbox', byHand, h('label', { for: 'license-by-hand' }, 'I checked this license at the state board (verified by hand)')),
    h('div.actions', submit, cancel));
  function reset() {
    editing = null;
    form.reset();
    title.textContent = 'Add a license';
    submit.textContent = 'Add license';
    cancel.hidden = true;
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { state: state.input.value.trim().toUpperCase(), type: type.input.value, number: number.input.value.trim(),
      issuedOn: issued.input.value || '', expiresOn: expires.input.value, status: status.input.value, verifiedByHand: byHand.checked };
    if (await onSave(body, editing)) reset();
  });
  return {
    el: form,
    edit(l) {
      editing = l;
      title.textContent = `Edit the ${l.state} ${l.type} license`;
      submit.textContent = 'Save license';
      cancel.hidden = false;
      state.input.value = l.state;
      type.input.value = l.type;
      number.input.value = l.number;
      issued.input.value = l.issuedOn || '';
      expires.input.value = l.expiresOn;
      status.input.value = l.status;
      byHand.checked = false;
      state.input.focus();
    },
    reset,
  };
}

/** Administration → Licenses. */
export async function renderLicenses(body) {
  const msg = h('div.notice', { role: 'status', hidden: true });
  const who = staffPicker({ label: 'Provider or nurse' });
  const detail = h('div#license-detail');
  const expiring = h('div#license-expiring');
  const names = new Map();  // user id → display name, for the expiring list

  async function loadExpiring() {
    clear(expiring);
    try {
      const data = await get(`/api/v1/licenses/expiring${query({ days: 60 })}`);
      if (!data.items.length) { expiring.append(h('p.muted', 'No active license expires within 60 days.')); return; }
      expiring.append(h('div.table-wrap', h('table.data', h('caption.sr-only', 'Licenses expiring within 60 days'),
        h('thead', h('tr', ['Provider', 'State', 'Type', 'Number', 'Expires', 'Days left'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', data.items.map((l) => h('tr',
          h('th', { scope: 'row' }, names.get(l.providerUserId) || `User ${l.providerUserId}`),
          h('td', l.state), h('td', l.type), h('td', h('code', l.number)), h('td', l.expiresOn),
          h('td', l.daysLeft === 0 ? 'Expires today' : String(l.daysLeft))))))));
    } catch (e) { expiring.append(h('div.notice.error', { role: 'alert' }, e.message)); }
  }

  async function loadProvider() {
    clear(detail);
    const id = who.value();
    if (!id) { detail.append(h('p.muted', 'Choose a provider or nurse to see their NPI and licenses.')); return; }
    const name = who.selected() ? who.selected().displayName : `User ${id}`;
    let data;
    try { data = await get(`/api/v1/providers/${id}/licenses`); } catch (e) { detail.append(h('div.notice.error', { role: 'alert' }, e.message)); return; }
    const npi = field('NPI', { inputmode: 'numeric', maxlength: 10, pattern: '[0-9]{10}', value: data.npi || '', autocomplete: 'off' }, '10 digits; the last is a check digit. Needed to verify licenses with the registry.');
    const npiForm = h('form.form.inline-form', { novalidate: true }, npi.el, h('div.actions', h('button.btn', { type: 'submit' }, 'Save NPI')));
    npiForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try { await put(`/api/v1/providers/${id}/npi`, { npi: npi.input.value.trim() }); flash(msg, 'success', `NPI saved for ${name}.`); } catch (ex) { flash(msg, 'error', ex.message); }
    });
    const form = licenseForm(async (b, editing) => {
      try {
        if (editing) await put(`/api/v1/providers/${id}/licenses/${editing.id}`, b);
        else await post(`/api/v1/providers/${id}/licenses`, b);
        flash(msg, 'success', editing ? `The ${b.state} license was saved.` : `A ${b.state} license was added.`);
        await loadProvider();
        loadExpiring();
        return true;
      } catch (ex) { flash(msg, 'error', ex.message); return false; }
    }, () => {});
    const verifyAll = h('button.btn', { type: 'button', onclick: () => verify(null) }, 'Verify all with the registry');
    async function verify(l) {
      try {
        const r = await post(`/api/v1/providers/${id}/licenses/verify`, l ? { licenseId: l.id } : {});
        flash(msg, 'success', `${r.queued} ${r.queued === 1 ? 'lookup' : 'lookups'} sent to the licensing registry. The result shows here when it arrives.`);
        await loadProvider();
      } catch (ex) { flash(msg, 'error', ex.message); }
    }
    async function remove(l) {
      if (!window.confirm(`Remove the ${l.state} ${l.type} license ${l.number}?`)) return;
      try { await del(`/api/v1/providers/${id}/licenses/${l.id}`); flash(msg, 'success', `The ${l.state} license was removed.`); await loadProvider(); loadExpiring(); } catch (ex) { flash(msg, 'error', ex.message); }
    }
    detail.append(h('h3', `${name}: NPI and licenses`), npiForm,
      licenseTable(`Licenses of ${name}`, data.licenses, (l) => [
        h('button.btn.small', { type: 'button', onclick: () => form.edit(l), 'aria-label': `Edit the ${l.state} ${l.type} license` }, 'Edit'),
        h('button.btn.small', { type: 'button', onclick: () => verify(l), 'aria-label': `Verify the ${l.state} ${l.type} license` }, 'Verify'),
        h('button.btn.small.ghost', { type: 'button', onclick: () => remove(l), 'aria-label': `Remove the ${l.state} ${l.type} license` }, 'Remove')]),
      data.licenses.length ? h('div.actions', verifyAll) : null,
      form.el);
  }

  who.el.querySelector('select').addEventListener('change', () => { msg.hidden = true; loadProvider(); });
  body.append(h('section.card', h('h2', 'Provider licenses'),
    h('p', 'A provider may see a patient by video only with an active license for the state the patient is in on the date of service.'),
    who.el, msg, detail),
  h('section.card', h('h2', 'Expiring within 60 days'), expiring));
  try {
    await who.load();
    const page = await get(`/api/v1/admin/users${query({ pageSize: 200 })}`);
    for (const u of page.items || []) names.set(u.id, u.displayName);
  } catch (e) { flash(msg, 'error', e.message); }
  await loadProvider();
  await loadExpiring();
}

/** A provider's or nurse's own licenses (#/licenses), read only. */
export async function renderMyLicenses(root) {
  clear(root);
  const body = h('div');
  root.append(h('section.page', h('div.page-head', h('h1', 'My licenses')), body));
  try {
    const data = await get('/api/v1/me/licenses');
    body.append(h('section.card',
      h('dl.facts', h('dt', 'NPI'), h('dd', data.npi || h('span.muted', 'Not recorded'))),
      licenseTable('My licenses', data.licenses, null),
      h('p.muted', 'The practice administrator keeps these up to date. Tell them when a license is renewed.')));
  } catch (e) { body.append(h('div.notice.error', { role: 'alert' }, e.message)); }
  return null;
}
