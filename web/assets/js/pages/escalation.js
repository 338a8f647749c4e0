// Escalation set-up (issue 17). Admins: the clinic's escalation chain (who an unacknowledged
// alert goes to, in order), on-call coverage (who takes someone's escalations while they are
// away) and the alerts escalated with nobody left in the chain. Providers: a patient's own
// chain, on the patient's page (patientEscalationCard). Staff names only.

import { h, clear, field, announce } from '../dom.js';
import { get, put, post, del, query } from '../api.js';
import { formatAge, formatTime, severityBadge } from '../format.js';
import * as live from '../live.js';

function flash(box, kind, text) {
  box.hidden = false;
  box.className = `notice ${kind}`;
  box.textContent = text;
  announce(text);
}

function personLabel(p) {
  return `${p.name || `user ${p.id}`} (${p.role || 'unknown'}${p.active === false ? ', disabled' : ''})`;
}

/** An ordered list of people with add, move and remove; save(users) stores it. */
function chainEditor({ users, clinicians, save, saveLabel = 'Save chain', extra = null, idPrefix }) {
  let chain = users.map((u) => ({ ...u }));
  const list = h('ol.chain', { 'aria-label': 'Escalation order' });
  const pick = h(`select#${idPrefix}-add`);
  const msg = h('div.notice', { role: 'status', hidden: true });
  function draw() {
    clear(list);
    if (!chain.length) list.append(h('li.muted', 'Nobody: an alert that is not acknowledged in time goes to the admins.'));
    chain.forEach((p, i) => {
      const btn = (label, fn, disabled) => h('button.btn.small.ghost', { type: 'button', disabled, onclick: fn, 'aria-label': `${label}: ${p.name}` }, label);
      list.append(h('li', { 'data-user-id': p.id },
        h('span.chain-who', i === 0 ? `${personLabel(p)} — first` : `${personLabel(p)} — after ${i} escalation${i === 1 ? '' : 's'}`),
        h('span.row-actions',
          btn('Up', () => { [chain[i - 1], chain[i]] = [chain[i], chain[i - 1]]; draw(); }, i === 0),
          btn('Down', () => { [chain[i + 1], chain[i]] = [chain[i], chain[i + 1]]; draw(); }, i === chain.length - 1),
          btn('Remove', () => { chain.splice(i, 1); draw(); }))));
    });
    clear(pick).append(h('option', { value: '' }, 'Choose a provider or nurse…'),
      ...clinicians.filter((c) => !chain.some((p) => p.id === c.id)).map((c) => h('option', { value: c.id }, personLabel(c))));
  }
  const add = h('button.btn.small', { type: 'button' }, 'Add to the chain');
  add.addEventListener('click', () => {
    const c = clinicians.find((x) => x.id === Number(pick.value));
    if (c) { chain.push(c); draw(); }
  });
  const saveBtn = h('button.btn.primary', { type: 'button' }, saveLabel);
  saveBtn.addEventListener('click', async () => {
    saveBtn.disabled = true;
    try {
      const r = await save(chain.map((p) => p.id));
      flash(msg, 'success', 'Escalation chain saved.');
      if (r && r.users) { chain = r.users; draw(); }
    } catch (e) { flash(msg, 'error', e.message); } finally { saveBtn.disabled = false; }
  });
  draw();
  return h('div.chain-editor', list,
    h('div.field.inline', h('label', { for: `${idPrefix}-add` }, 'Add'), pick, add),
    h('div.actions', saveBtn, extra), msg);
}

function localInput(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

/** The admin page's "Escalation" tab. */
export async function renderEscalation(body) {
  const setup = await get('/api/v1/escalation');
  const nobody = h('div.table-wrap');
  const coverList = h('div.table-wrap');
  const coverMsg = h('div.notice', { role: 'status', hidden: true });

  async function loadNobody() {
    const page = await get(`/api/v1/alerts${query({ assignee: 'none', pageSize: 100 })}`);
    clear(nobody);
    const items = page.items || [];
    if (!items.length) { nobody.append(h('p.muted#nobody-empty', 'None: every escalated alert has someone to take it.')); return; }
    nobody.append(h('ul.nobody-left', items.map((a) => h('li', { 'data-alert-id': a.id },
      severityBadge(a.severity), ` ${a.title} · ${a.patientName || `patient ${a.patientId}`} · raised ${formatAge(a.raisedAt)} · escalated ${a.escalationLevel} time${a.escalationLevel === 1 ? '' : 's'}`))));
  }

  function drawCoverage(entries) {
    clear(coverList);
    if (!entries.length) { coverList.append(h('p.muted', 'No cover is set.')); return; }
    coverList.append(h('table.data', h('caption.sr-only', 'On-call coverage'),
      h('thead', h('tr', ['Away', 'Covered by', 'From', 'Until', 'Note', '', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', entries.map((c) => h('tr', { 'data-cover-id': c.id },
        h('th', { scope: 'row' }, c.user.name), h('td', c.coveredBy.name), h('td', formatTime(c.from)), h('td', formatTime(c.until)),
        h('td', c.note || '—'), h('td', c.inForce ? h('span.state.state-acknowledged', 'In force') : h('span.state', 'Upcoming')),
        h('td', h('button.btn.small.ghost', { type: 'button', 'aria-label': `Remove cover ${c.id}`, onclick: async () => {
          try { await del(`/api/v1/escalation/coverage/${c.id}`); flash(coverMsg, 'success', 'Cover removed.'); reload(); } catch (e) { flash(coverMsg, 'error', e.message); }
        } }, 'Remove')))))));
  }

  async function reload() {
    const s = await get('/api/v1/escalation');
    drawCoverage(s.coverage || []);
  }

  const clinicians = setup.clinicians || [];
  const options = (sel) => { sel.append(h('option', { value: '' }, 'Choose…'), ...clinicians.map((c) => h('option', { value: c.id }, personLabel(c)))); return sel; };
  const away = field('Who is away', { tag: 'select', required: true });
  options(away.input);
  const by = field('Covered by', { tag: 'select', required: true });
  options(by.input);
  const now = new Date();
  const from = field('From', { type: 'datetime-local', required: true, value: localInput(now) });
  const until = field('Until', { type: 'datetime-local', required: true, value: localInput(new Date(now.getTime() + 12 * 3600 * 1000)) });
  const note = field('Note (no patient details)', { maxlength: 200 }, 'e.g. annual leave, night cover');
  const coverForm = h('form.form.grid-form', { novalidate: true }, away.el, by.el, from.el, until.el, note.el,
    h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Add cover')));
  coverForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!away.input.value || !by.input.value) { flash(coverMsg, 'error', 'Choose who is away and who covers.'); return; }
    try {
      await post('/api/v1/escalation/coverage', {
        userId: Number(away.input.value), coveredBy: Number(by.input.value),
        from: new Date(from.input.value).toISOString(), until: new Date(until.input.value).toISOString(),
        note: note.input.value.trim(),
      });
      flash(coverMsg, 'success', 'Cover added.');
      reload();
    } catch (ex) { flash(coverMsg, 'error', ex.message); }
  });

  const chain = setup.chain || { users: [] };
  body.append(
    h('section.card#nobody-left', h('h2', 'Escalated with nobody left'),
      h('p.muted', 'These alerts went through everyone in their escalation chain without an acknowledgement. Call a clinician to take each one; it is in their queue under “Unclaimed”.'), nobody),
    h('div.grid-2',
      h('section.card#clinic-chain', h('h2', 'Clinic escalation chain'),
        h('p.muted', 'A new alert goes to the first person. If it is not acknowledged within its deadline (by severity, see the configuration) it goes to the next, and so on. Patients may have their own chain, set by a provider on their page.'),
        chain.updatedBy ? h('p.muted', `Last changed by ${chain.updatedBy.name} ${formatAge(chain.updatedAt)}.`) : null,
        chainEditor({ users: chain.users, clinicians, idPrefix: 'clinic-chain', save: (users) => put('/api/v1/escalation/chain', { users }) })),
      h('section.card#coverage', h('h2', 'On-call coverage'),
        h('p.muted', 'While a cover is in force, escalations that would go to the person away go to the person covering.'),
        coverList, coverForm, coverMsg)));
  drawCoverage(setup.coverage || []);
  await loadNobody();
  let debounce = null;
  const unsubscribe = live.subscribe((evt) => {
    if (evt.type === 'alert.changed' || evt.type === 'resync') {
      clearTimeout(debounce);
      debounce = setTimeout(() => loadNobody().catch(() => {}), 100);
    }
  });
  return () => { unsubscribe(); clearTimeout(debounce); };
}

/** The patient page's escalation card: the chain in use; providers may give the patient one. */
export async function patientEscalationCard(patientId, editable) {
  const card = h('section.card#patient-escalation', h('h2', 'Escalation'));
  let data;
  try {
    data = await get(`/api/v1/patients/${patientId}/escalation`);
  } catch {
    return null;
  }
  const names = (users) => (users.length ? users.map((p) => p.name).join(' → ') : 'nobody (admins are told)');
  const inUse = data.own ? data.chain.users : data.clinicChain.users;
  card.append(h('p#escalation-in-use', data.own ? `This patient's own chain: ${names(inUse)}` : `The clinic's chain: ${names(inUse)}`));
  if (!editable) return card;
  let clinicians = [];
  try { clinicians = (await get('/api/v1/escalation')).clinicians || []; } catch { clinicians = []; }
  const useClinic = data.own ? h('button.btn', { type: 'button' }, "Use the clinic's chain") : null;
  const editor = chainEditor({
    users: inUse, clinicians, idPrefix: `patient-chain-${patientId}`, saveLabel: "Save this patient's chain", extra: useClinic,
    save: async (users) => {
      const r = await put(`/api/v1/patients/${patientId}/escalation`, { users });
      card.querySelector('#escalation-in-use').textContent = r.own ? `This patient's own chain: ${names(r.chain.users)}` : `The clinic's chain: ${names(r.clinicChain.users)}`;
      return r.own ? r.chain : r.clinicChain;
    },
  });
  if (useClinic) {
    useClinic.addEventListener('click', async () => {
      const r = await put(`/api/v1/patients/${patientId}/escalation`, { users: [] });
      card.querySelector('#escalation-in-use').textContent = `The clinic's chain: ${names(r.clinicChain.users)}`;
      announce("This patient now uses the clinic's chain.");
      useClinic.remove();
    });
  }
  card.append(h('details', h('summary', "Give this patient a chain of their own"), editor));
  return card;
}
