// The on-demand queue (issue 22, docs/scheduling.md "On-demand care").
// Patients (#/see-now): ask to be seen now (a reason category and the state they are in), then
// see their place in the provider's queue and the estimated wait, updated live; when the
// provider starts the visit the page takes them to it. Providers (#/on-demand): go on or off
// duty and see their queue, live; Start opens the visit.

import { h, clear, field, announce } from '../dom.js';
import { get, post, put, session, ApiError } from '../api.js';
import { formatTime } from '../format.js';
import * as live from '../live.js';

const REASONS = [
  ['new_symptoms', 'New symptoms'],
  ['ongoing_condition', 'An ongoing condition'],
  ['medication', 'A medication question or refill'],
  ['test_results', 'Test results'],
  ['other', 'Something else'],
];
const REASON_LABEL = Object.fromEntries(REASONS);

function flash(box, kind, text) {
  box.hidden = false;
  box.className = `notice ${kind}`;
  box.textContent = text;
  announce(text);
}

/** Reloads `load` when an on-demand event (or a resync) arrives; returns the unsubscribe. */
function liveReload(load) {
  let debounce = null;
  const unsubscribe = live.subscribe((evt) => {
    if (evt.type === 'ondemand.changed' || evt.type === 'resync') {
      clearTimeout(debounce);
      debounce = setTimeout(() => load().catch(() => {}), 200);
    }
  });
  return () => { unsubscribe(); clearTimeout(debounce); };
}

function waitText(r) {
  if (!r.providerUserId) return `No provider licensed in ${r.patientState} is on duty right now. You keep your place (number ${r.position} waiting); you will be matched as soon as one comes on duty.`;
  const who = r.providerName || 'your provider';
  const ahead = r.position === 1 ? 'You are next' : `You are number ${r.position}`;
  return `${ahead} in ${who}'s queue. Estimated wait: about ${r.estimatedWaitMinutes} minutes.`;
}

async function renderPatient(root) {
  const user = session().user;
  const base = `/api/v1/patients/${user.patientId}/ondemand-requests`;
  const box = h('div.notice', { role: 'alert', hidden: true });
  const area = h('div.ondemand');
  clear(root).append(h('section.page', h('div.page-head', h('h1', 'See a provider now')), box, area));
  let home = '';
  try {
    const me = await get('/api/v1/me');
    home = (me.patient && me.patient.state) || '';
  } catch { /* the form still works without a default */ }
  let lastState = null;

  function requestForm() {
    const reason = field('What is it about?', { tag: 'select', name: 'reason' });
    for (const [value, label] of REASONS) reason.input.append(h('option', { value }, label));
    const state = field('The state you are in now', { name: 'state', required: true, maxlength: 2, size: 3, pattern: '[A-Za-z]{2}', autocomplete: 'off', value: home },
      'Two letters, e.g. IL. A provider must be licensed where you are at the time of the visit.');
    const confirm = h('input#od-confirm', { type: 'checkbox', required: true });
    const form = h('form.card', { 'aria-label': 'Ask to be seen now' },
      h('p', 'A provider who is on duty and licensed in your state will see you by video. You will see your place in the queue and the estimated wait.'),
      reason.el, state.el,
      h('div.check', confirm, h('label', { for: 'od-confirm' }, 'I confirm I am in this state now')),
      h('div.actions', h('button.btn.primary#od-ask', { type: 'submit' }, 'Ask to be seen now')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await post(base, { reason: reason.input.value, state: state.input.value.trim().toUpperCase() });
        box.hidden = true;
        await load();
      } catch (err) {
        if (err instanceof ApiError && err.code === 'consent_required') {
          clear(box).append('Please sign the telehealth consent first: ', h('a', { href: '#/consents' }, 'Consents'), '.');
          box.hidden = false;
          box.className = 'notice warn';
          announce('Please sign the telehealth consent first.');
        } else {
          flash(box, 'error', err.message || 'The request could not be sent.');
        }
      }
    });
    return form;
  }

  function waitingCard(r) {
    const cancel = h('button.btn#od-cancel', { type: 'button' }, 'Cancel my request');
    cancel.addEventListener('click', async () => {
      try {
        await post(`/api/v1/ondemand-requests/${r.id}/cancel`);
        flash(box, 'ok', 'Your request is cancelled.');
        await load();
      } catch (err) {
        flash(box, 'error', err.message || 'Could not cancel.');
        await load();
      }
    });
    return h('div.card#od-status', { role: 'status', 'aria-live': 'polite' },
      h('h2', 'Waiting to be seen'),
      h('p#od-wait', waitText(r)),
      h('p.muted', `${REASON_LABEL[r.reason] || r.reason} · from ${r.patientState} · asked ${formatTime(r.requestedAt)}`),
      h('p.muted', 'This page updates by itself; keep it open.'),
      h('div.actions', cancel));
  }

  async function load() {
    const { request } = await get(`${base}/current`);
    clear(area);
    if (request && request.state === 'waiting') {
      area.append(waitingCard(request));
    } else if (request && request.state === 'started') {
      const link = h('a.btn.primary#od-join', { href: `#/visits/${request.visitId}` }, 'Join the visit');
      area.append(h('div.card#od-status', { role: 'status' },
        h('h2', `${request.providerName || 'Your provider'} is ready for you`), h('div.actions', link)));
      // The provider just started it: go to the visit.
      if (lastState === 'waiting') location.hash = `#/visits/${request.visitId}`;
    } else {
      area.append(requestForm());
    }
    lastState = request ? request.state : null;
  }

  await load();
  return liveReload(load);
}

async function renderProvider(root) {
  const box = h('div.notice', { role: 'alert', hidden: true });
  const dutyArea = h('div.card#od-duty');
  const list = h('div#od-queue');
  clear(root).append(h('section.page', h('div.page-head', h('h1', 'On-demand queue')), box, dutyArea, list));

  async function loadDuty() {
    const d = await get('/api/v1/me/duty');
    const toggle = h('button.btn.primary#od-toggle', { type: 'button' }, d.onDuty ? 'Go off duty' : 'Go on duty');
    toggle.addEventListener('click', async () => {
      try {
        const now = await put('/api/v1/me/duty', { onDuty: !d.onDuty });
        flash(box, 'ok', now.onDuty ? 'You are on duty: patients in the states where you are licensed come to your queue.' : 'You are off duty: your queue was handed over.');
        await Promise.all([loadDuty(), loadQueue()]);
      } catch (err) {
        flash(box, 'error', err.message || 'Could not change your duty.');
      }
    });
    clear(dutyArea).append(h('p#od-duty-state', d.onDuty ? `You are on duty${d.changedAt ? ` since ${formatTime(d.changedAt)}` : ''}.` : 'You are off duty.'),
      h('div.actions', toggle));
  }

  async function loadQueue() {
    const { items } = await get('/api/v1/me/ondemand-queue');
    clear(list);
    if (!items.length) {
      list.append(h('p.muted#od-empty', 'Nobody is waiting for you.'));
      return;
    }
    list.append(h('div.table-wrap', h('table.data', h('caption', 'Patients waiting, first come first served'),
      h('thead', h('tr', ['#', 'Patient', 'Reason', 'In state', 'Waiting since', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', items.map((r) => {
        const start = h('button.btn.primary', { type: 'button', 'data-request': String(r.id) }, 'Start');
        start.addEventListener('click', async () => {
          start.disabled = true;
          try {
            const { visitId } = await post(`/api/v1/ondemand-requests/${r.id}/start`);
            location.hash = `#/visits/${visitId}`;
          } catch (err) {
            start.disabled = false;
            flash(box, 'error', err.code === 'not_waiting' ? 'Someone else started this visit, or the patient cancelled.' : (err.message || 'Could not start.'));
            await loadQueue();
          }
        });
        return h('tr', h('td', String(r.position)), h('th', { scope: 'row' }, r.patientName || `Patient ${r.patientId}`),
          h('td', REASON_LABEL[r.reason] || r.reason), h('td', r.patientState), h('td', formatTime(r.requestedAt)), h('td', start));
      })))));
  }

  const load = () => Promise.all([loadDuty(), loadQueue()]);
  await load();
  return liveReload(load);
}

export async function renderOnDemand(root) {
  const role = session().user.role;
  if (role === 'patient') return renderPatient(root);
  return renderProvider(root);
}
