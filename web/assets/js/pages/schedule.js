// Scheduling (issue 22, docs/scheduling.md), #/schedule:
// - a patient books a visit: picks a type, sees the free slots of their care team's providers in
//   their own time zone (a week at a time), books one; lists their appointments (cancel,
//   reschedule) and any waitlist offer (accept); joins the waitlist when nothing suits;
// - providers see their own day or week (patients by name, no-show, cancel); nurses, the front
//   desk and admins pick the provider;
// - the front desk (and admins, clinicians) book on behalf of a patient found by name;
// - a provider (an admin for them) manages their calendar feed (calendar_feed.js).
// Times are shown as the API's wall-clock text in the viewer's zone (startsLocal) with the offset,
// so the two 01:30s of a fall-back night are told apart. Everything from the API goes in as text.

import { h, clear, announce } from '../dom.js';
import { get, post, session, query, ApiError } from '../api.js';
import { patientPicker } from '../pickers.js';
import { reminderSettingsCard } from './reminders.js';
import { calendarFeedSection } from './calendar_feed.js';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CANCEL_REASONS = [['patient_request', 'Patient asked'], ['provider_unavailable', 'Provider unavailable'], ['clinic_closed', 'Clinic closed'], ['other', 'Other (say why)']];
// Licensing's refusal reasons (docs/scheduling.md, "What is checked, when"), in words.
const NOT_ELIGIBLE = {
  no_license_for_state: 'no license for the patient\'s state',
  license_expired: 'their license for the patient\'s state has expired',
  license_not_yet_valid: 'their license for the patient\'s state is not valid yet',
  license_suspended: 'their license for the patient\'s state is suspended',
  license_revoked: 'their license for the patient\'s state is revoked',
  patient_state_unknown: 'the patient\'s state is not on record',
};
const STATE_LABELS = { booked: 'Booked', cancelled: 'Cancelled', rescheduled: 'Moved', no_show: 'No-show', completed: 'Completed' };

function isoDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function addDays(day, n) {
  const d = new Date(`${day}T12:00:00`);
  d.setDate(d.getDate() + n);
  return isoDay(d);
}

/** "2026-03-02T06:00:00-08:00" → { day: 'Mon 2 Mar 2026', time: '06:00', offset: 'UTC-08:00' }. */
export function localParts(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):\d{2}([+-]\d{2}:\d{2})$/.exec(text || '');
  if (!m) return { day: text, time: '', offset: '' };
  const weekday = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay();
  return { day: `${DAY_NAMES[weekday]} ${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`, time: `${m[4]}:${m[5]}`, offset: `UTC${m[6]}`, date: `${m[1]}-${m[2]}-${m[3]}` };
}

function whenText(a) {
  const p = localParts(a.startsLocal);
  return `${p.day}, ${p.time} (${p.offset})`;
}

function errorText(e) {
  if (e instanceof ApiError) {
    if (e.code === 'slot_taken') return 'Sorry, that time was just taken. Choose another one.';
    if (e.code === 'patient_busy') return 'The patient already has a visit at that time.';
    if (e.code === 'not_eligible') return `This provider cannot see the patient on that date (${NOT_ELIGIBLE[e.message] || e.message}).`;
    return e.message;
  }
  return 'Something went wrong. Try again.';
}

/** The free slots of a type over a week, grouped by local day, each with a Book button. */
function slotBrowser({ patientId, onBooked, providerId = null }) {
  const box = h('section.card.slots', { 'aria-labelledby': 'slots-title', 'data-testid': 'slot-browser' });
  const typeSelect = h('select#slot-type', { 'aria-label': 'Type of visit' });
  const status = h('p.hint', { 'aria-live': 'polite' });
  const confirmation = h('p.notice.success.booked', { role: 'status', hidden: true });
  const list = h('div.slot-days');
  let from = isoDay(new Date());
  let types = [];

  // Loads can overlap (the type list arriving, a change of type or week): only the latest one
  // draws, after its answer, so a slower earlier answer never adds a second copy of the list.
  let generation = 0;
  async function load() {
    const mine = ++generation;
    clear(list);
    if (!typeSelect.value) return;
    status.textContent = 'Looking for free times…';
    // From the day before: slot searches take local dates in each provider's zone, and a
    // provider west of the browser may still be on the day before (20:00 in New York is already
    // tomorrow in UTC); the box returns only times from now on, so nothing past shows.
    const q = { type: typeSelect.value, from: addDays(from, -1), to: addDays(from, 6) };
    if (providerId) q.provider = providerId;
    if (session().user.role !== 'patient' && patientId) q.patient = patientId;
    try {
      const data = await get(`/api/v1/slots${query(q)}`);
      if (mine !== generation) return;
      clear(list);
      const byDay = new Map();
      for (const s of data.items) {
        const p = localParts(s.startsLocal);
        if (!byDay.has(p.day)) byDay.set(p.day, []);
        byDay.get(p.day).push(s);
      }
      status.textContent = data.items.length
        ? `${data.items.length} free time${data.items.length === 1 ? '' : 's'}${data.zone ? ` in ${data.zone}` : ''}.`
        : 'No free times this week.';
      for (const r of data.refused || []) {
        list.append(h('p.notice.not-offered', { 'data-provider': r.providerUserId }, `${r.providerName} is not offered: ${NOT_ELIGIBLE[r.reason] || r.reason}.`));
      }
      for (const [day, slots] of byDay) {
        list.append(h('div.slot-day', h('h3', day), h('ul.slot-list', slots.map((s) => {
          const p = localParts(s.startsLocal);
          return h('li', h('button.btn.small.slot', {
            type: 'button', 'data-starts-at': s.startsAt, 'data-provider': s.providerUserId,
            onclick: () => book(s),
          }, `${p.time} ${s.providerName} (${p.offset})`));
        }))));
      }
    } catch (e) {
      status.textContent = errorText(e);
    }
  }

  async function book(slot) {
    confirmation.hidden = true;
    status.textContent = 'Booking…';
    try {
      const a = await post(`/api/v1/patients/${patientId}/appointments`, { providerUserId: slot.providerUserId, typeId: Number(typeSelect.value), startsAt: slot.startsAt });
      announce(`Booked: ${whenText(a)}`);
      confirmation.hidden = false;
      confirmation.textContent = `Booked: ${whenText(a)} with ${a.providerName}.`;
      if (onBooked) await onBooked(a);
      await load();
    } catch (e) {
      status.textContent = errorText(e);
      await load();
    }
  }

  async function waitlist() {
    try {
      await post(`/api/v1/patients/${patientId}/waitlist`, { typeId: Number(typeSelect.value), earliestAt: new Date(`${from}T00:00:00`).toISOString(), latestAt: new Date(`${addDays(from, 7)}T00:00:00`).toISOString() });
      status.textContent = 'You are on the waitlist for this week: a freed time will be offered here.';
    } catch (e) {
      status.textContent = errorText(e);
    }
  }

  const week = h('div.inline',
    h('button.btn.small.ghost', { type: 'button', onclick: () => { from = addDays(from, -7); load(); } }, '‹ Earlier'),
    h('button.btn.small.ghost', { type: 'button', onclick: () => { from = addDays(from, 7); load(); } }, 'Later ›'),
    h('button.btn.small.ghost', { type: 'button', onclick: waitlist }, 'Join the waitlist for this week'));
  typeSelect.addEventListener('change', load);
  box.append(h('h2#slots-title', 'Book a visit'), h('div.field', h('label', { for: 'slot-type' }, 'Type of visit'), typeSelect), week, confirmation, status, list);
  (async () => {
    types = (await get('/api/v1/appointment-types')).items;
    typeSelect.append(...types.map((t) => h('option', { value: t.id }, `${t.name} (${t.durationMinutes} min, ${t.modality === 'video' ? 'video' : 'in person'})`)));
    await load();
  })().catch((e) => { status.textContent = errorText(e); });
  return box;
}

/** A cancel form (reason, note) for one appointment. */
function cancelForm(a, done) {
  const reason = h('select', { 'aria-label': 'Reason' }, CANCEL_REASONS.map(([v, l]) => h('option', { value: v }, l)));
  const note = h('input', { type: 'text', maxlength: 500, placeholder: 'Note (for Other)', 'aria-label': 'Note' });
  const error = h('span.error', { role: 'alert' });
  const form = h('form.inline.cancel-form', reason, note, h('button.btn.small', { type: 'submit' }, 'Cancel visit'), error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post(`/api/v1/appointments/${a.id}/cancel`, note.value ? { reason: reason.value, note: note.value } : { reason: reason.value });
      announce('Visit cancelled');
      await done();
    } catch (e) {
      error.textContent = errorText(e);
    }
  });
  return form;
}

/** A reschedule form: a new start among the free slots of the same provider and type. */
function rescheduleForm(a, done) {
  const select = h('select', { 'aria-label': 'New time' });
  const error = h('span.error', { role: 'alert' });
  const form = h('form.inline.reschedule-form', select, h('button.btn.small', { type: 'submit' }, 'Move visit'), error);
  (async () => {
    const from = localParts(a.startsLocal).date || isoDay(new Date());
    const data = await get(`/api/v1/slots${query({ type: a.typeId, provider: a.providerUserId, from, to: addDays(from, 13), ...(session().user.role === 'patient' ? {} : { patient: a.patientId }) })}`);
    select.append(...data.items.slice(0, 100).map((s) => h('option', { value: s.startsAt }, whenText(s))));
  })().catch((e) => { error.textContent = errorText(e); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post(`/api/v1/appointments/${a.id}/reschedule`, { startsAt: select.value });
      announce('Visit moved');
      await done();
    } catch (e) {
      error.textContent = errorText(e);
    }
  });
  return form;
}

function appointmentItem(a, { canChange, staff, reload }) {
  const item = h('li.appointment', { 'data-testid': 'appointment', 'data-state': a.state, 'data-starts-at': a.startsAt },
    h('strong', whenText(a)), ' ', a.patientName ? `${a.patientName} · ` : '', `${a.typeName || 'Visit'} with ${a.providerName}`,
    h('span.badge', ` ${STATE_LABELS[a.state] || a.state}`),
    a.visitId && a.state === 'booked' ? h('a.btn.small.ghost', { href: `#/visits/${a.visitId}` }, 'Open video visit') : null);
  if (a.state === 'booked' && canChange) {
    const actions = h('details', h('summary', 'Change or cancel'), rescheduleForm(a, reload), cancelForm(a, reload));
    if (staff && Date.parse(a.startsAt) <= Date.now()) {
      actions.append(h('button.btn.small.ghost', { type: 'button', onclick: async () => { await post(`/api/v1/appointments/${a.id}/no-show`, {}); await reload(); } }, 'Mark no-show'));
    }
    item.append(actions);
  }
  return item;
}

/** A patient's appointments and open waitlist offers. */
function patientAppointments(patientId, { staff }) {
  const box = h('section.card', { 'aria-labelledby': 'appts-title', 'data-testid': 'my-appointments' });
  async function reload() {
    const [list, offers] = await Promise.all([
      get(`/api/v1/patients/${patientId}/appointments${query({ since: new Date(Date.now() - 86400000).toISOString() })}`),
      get(`/api/v1/patients/${patientId}/waitlist-offers`),
    ]);
    clear(box).append(h('h2#appts-title', staff ? 'Appointments' : 'My appointments'));
    if (offers.items.length) {
      box.append(h('ul.offers', offers.items.map((o) => h('li.offer', `Offered: ${whenText(o)} with ${o.providerName} `,
        h('button.btn.small', { type: 'button', onclick: async () => { await post(`/api/v1/waitlist-offers/${o.id}/accept`, {}); await reload(); } }, 'Accept')))));
    }
    box.append(list.items.length
      ? h('ul.appointments', list.items.map((a) => appointmentItem(a, { canChange: true, staff, reload })))
      : h('p.muted', 'No appointments.'));
  }
  box.reload = reload;
  reload().catch((e) => box.append(h('p.error', errorText(e))));
  return box;
}

/** A provider's day or week, patients by name. */
function providerCalendar(root, providers, initialProvider) {
  const box = h('section.card', { 'aria-labelledby': 'cal-title', 'data-testid': 'provider-calendar' });
  const pick = h('select', { 'aria-label': 'Provider' }, providers.map((p) => h('option', { value: p.userId }, `${p.displayName} (${p.timeZone})`)));
  if (initialProvider) pick.value = String(initialProvider);
  const span = h('select', { 'aria-label': 'Show' }, h('option', { value: '1' }, 'Day'), h('option', { value: '7' }, 'Week'));
  const dayInput = h('input', { type: 'date', value: isoDay(new Date()), 'aria-label': 'From' });
  const list = h('div');
  async function reload() {
    const from = new Date(`${dayInput.value}T00:00:00`);
    const to = new Date(from.getTime() + Number(span.value) * 86400000);
    const data = await get(`/api/v1/providers/${pick.value}/appointments${query({ from: from.toISOString(), to: to.toISOString() })}`);
    clear(list);
    const byDay = new Map();
    for (const a of data.items) {
      const d = localParts(a.startsLocal).day;
      if (!byDay.has(d)) byDay.set(d, []);
      byDay.get(d).push(a);
    }
    if (!byDay.size) list.append(h('p.muted', 'Nothing booked.'));
    for (const [d, items] of byDay) list.append(h('h3', d), h('ul.appointments', items.map((a) => appointmentItem(a, { canChange: true, staff: true, reload }))));
  }
  for (const el of [pick, span, dayInput]) el.addEventListener('change', () => reload().catch((e) => list.append(h('p.error', errorText(e)))));
  box.append(h('h2#cal-title', 'Schedule'), h('div.inline', providers.length > 1 ? pick : null, span, dayInput), list);
  reload().catch((e) => list.append(h('p.error', errorText(e))));
  return box;
}

/** Booking on behalf of a patient found by name (front desk, admins, clinicians). */
function bookForPatient() {
  const box = h('section.card', { 'aria-labelledby': 'for-title', 'data-testid': 'book-for-patient' });
  const area = h('div');
  const picker = patientPicker({
    label: 'Patient',
    onChange: (p) => {
      clear(area);
      if (!p) return;
      const appts = patientAppointments(p.id, { staff: true });
      area.append(slotBrowser({ patientId: p.id, onBooked: () => appts.reload() }), appts, reminderSettingsCard(p.id, { staff: true }));
    },
  });
  box.append(h('h2#for-title', 'Book for a patient'), picker.el, area);
  return box;
}

export async function renderSchedule(root) {
  const user = session().user;
  clear(root).append(h('h1', user.role === 'patient' ? 'Appointments' : 'Scheduling'));
  if (user.role === 'patient') {
    const appts = patientAppointments(user.patientId, { staff: false });
    root.append(slotBrowser({ patientId: user.patientId, onBooked: () => appts.reload() }), appts);
    return;
  }
  const providers = (await get('/api/v1/schedule/providers')).items;
  if (user.role === 'provider') {
    const mine = providers.filter((p) => p.userId === user.id);
    root.append(mine.length ? providerCalendar(root, mine, user.id) : h('p.notice', 'You take no bookings yet: an admin (or you, under Account) sets your hours.'));
    if (mine.length) root.append(calendarFeedSection(mine, user.id));
  } else if (providers.length) {
    root.append(providerCalendar(root, providers, providers[0].userId));
    // Admins make and revoke a provider's calendar feed for them.
    if (user.role === 'admin') root.append(calendarFeedSection(providers, providers[0].userId));
  }
  root.append(bookForPatient());
}
