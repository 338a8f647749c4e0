// RPM billing (issue 24, docs/billing.md):
// - the month-end review (#/billing, providers and admins): a month picker, per patient the
//   proposed codes with their evidence (days with data per 30-day period, minutes and who spent
//   them, the interactive contact), the billing provider and NPI, the exceptions, and for
//   providers an Approve button (step-up: api.js asks for the password again); completed video
//   visits with an E/M code to choose; a bar chart of approved codes per month (uPlot, the
//   portal's chart library);
// - the minutes card on a patient's chart (providers and nurses): start/stop timer, this
//   month's minutes, time added by hand with a reason, entries deleted with their history kept;
// - the claims through the clearinghouse (billing_claims.js): status history, paid amounts,
//   denials, the admins' "send now" and reports.
// Everything the API sends is shown as text (dom.js never builds markup from data).

import { h, clear, field, announce } from '../dom.js';
import { get, post, del, ApiError, session } from '../api.js';
import uPlot from '../../vendor/uplot/uPlot.esm.js';
import { claimsSection } from './billing_claims.js';

const CODE_LABELS = {
  99453: 'Set-up and education', 99445: 'Device supply, 2–15 days', 99454: 'Device supply, 16–30 days',
  99470: 'Treatment management, 10–19 min', 99457: 'Treatment management, first 20 min', 99458: 'Each further 20 min',
};
const EXCEPTIONS = {
  consent_missing: 'No RPM consent in force', not_enrolled: 'Not enrolled this month', insurance_missing: 'No insurance on the record',
  too_few_days: 'Fewer than 2 days of data in a period', no_npi: 'The billing provider has no NPI', no_interactive_contact: 'Minutes without an interactive contact',
  period_open: 'A 30-day period is still running',
};
const REASONS = [['data_review', 'Data review'], ['phone_call', 'Phone call'], ['care_coordination', 'Care coordination'], ['patient_education', 'Patient education'], ['medication_management', 'Medication management'], ['other', 'Other']];
const EM_CODES = ['99212', '99213', '99214', '99215', '99202', '99203', '99204', '99205'];
const CHART_CODES = ['99453', '99445', '99454', '99470', '99457', '99458'];
const COLORS = ['#0f4c5c', '#5b8c85', '#e36414', '#9a031e', '#5f0f40', '#fb8b24'];

function money(cents) {
  return `$${(cents / 100).toFixed(2)}`;
}

function thisMonth(offset = 0) {
  const d = new Date();
  d.setDate(1);
  d.setMonth(d.getMonth() + offset);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

function errorText(e) {
  if (e instanceof ApiError) return e.message || e.code;
  return 'Something went wrong. Try again.';
}

function evidence(p) {
  const items = [];
  for (const period of p.periods) {
    items.push(h('li.period', `Period ${period.first} – ${period.last}: ${period.dayCount} day${period.dayCount === 1 ? '' : 's'} with data`,
      period.code ? ` → ${period.code}` : '', period.setup ? ' (+ 99453)' : '', period.complete ? '' : ' (still running)',
      period.days.length ? h('div.muted.days', period.days.join(', ')) : null));
  }
  const who = p.minutesBy.map((m) => `${m.name || 'Clinician'} ${m.minutes} min`).join(', ');
  items.push(h('li.minutes', `Treatment management: ${p.minutes} min`, who ? ` (${who})` : ''));
  items.push(h('li.contact', p.interactiveContact ? `Interactive contact on ${p.interactiveContact}` : 'No interactive contact this month'));
  return h('ul.evidence', items);
}

function patientCard(p, month, canApprove, reload) {
  const status = h('p.notice', { role: 'status', hidden: true });
  const codes = h('table.data.codes', h('caption.sr-only', 'Proposed codes'),
    h('thead', h('tr', ['Code', 'What', 'Units', 'Date of service', 'POS', 'Charge'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', p.lines.map((l) => h('tr', { 'data-code': l.code }, h('td', l.code), h('td', CODE_LABELS[l.code] || ''), h('td.num', String(l.units)),
      h('td', l.serviceDate), h('td', l.placeOfService), h('td.num', money(l.chargeCents))))));
  const exceptions = p.exceptions.length
    ? h('ul.exceptions', p.exceptions.map((x) => h('li.badge.warn', { 'data-exception': x }, EXCEPTIONS[x] || x)))
    : null;
  const provider = h('p.provider', `Billing provider: ${p.billingProviderName || '—'}`, p.billingNpi ? ` · NPI ${p.billingNpi}` : '');
  const diagnoses = p.diagnosisCodes.length ? h('p.muted', `Diagnosis: ${p.diagnosisCodes.join(', ')}`) : null;
  let action = null;
  if (p.claimId) {
    action = h('p.claimed', { 'data-testid': 'claim-status' }, `Claim ${p.claimId}: ${p.claimStatus}`);
  } else if (canApprove) {
    action = h('button.btn.approve', { type: 'button', disabled: !p.approvable }, `Approve ${month}`);
    action.addEventListener('click', async () => {
      action.disabled = true;
      try {
        const r = await post(`/api/v1/billing/patients/${p.patientId}/approve`, { month });
        announce(`Claim ${r.claimId} approved`);
        await reload();
      } catch (e) {
        status.hidden = false;
        status.className = 'notice error';
        status.textContent = errorText(e);
        action.disabled = false;
      }
    });
  }
  return h('section.card.billing-patient', { 'data-patient': String(p.patientId), 'aria-labelledby': `bp-${p.patientId}` },
    h('div.card-head', h('h3', { id: `bp-${p.patientId}` }, h('a', { href: `#/patients/${p.patientId}` }, p.patientName || `Patient ${p.patientId}`)),
      h('span.total', money(p.totalCents))),
    p.lines.length ? codes : h('p.muted', 'Nothing to bill this month.'), evidence(p), provider, diagnoses, exceptions, status, action);
}

function visitRow(v, canApprove, reload) {
  const cells = [h('td', v.date), h('td', v.patientName || `Patient ${v.patientId}`), h('td', v.providerName || ''), h('td.num', String(v.minutes))];
  if (v.claimId) {
    cells.push(h('td', `Claim ${v.claimId}`));
  } else if (canApprove) {
    const select = h('select', { 'aria-label': 'E/M code' }, EM_CODES.map((c) => h('option', { value: c }, c)));
    select.value = '99213';
    const btn = h('button.btn.small', { type: 'button', disabled: !v.npi || !v.insured }, 'Approve visit');
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await post(`/api/v1/billing/visits/${v.visitId}/approve`, { emCode: select.value });
        await reload();
      } catch (e) {
        announce(errorText(e));
        btn.disabled = false;
      }
    });
    cells.push(h('td', select, ' ', btn, !v.npi ? h('span.muted', ' no NPI') : null, !v.insured ? h('span.muted', ' no insurance') : null));
  } else {
    cells.push(h('td', '—'));
  }
  return h('tr', cells);
}

// A stacked bar per month: series drawn tallest first (every code's units summed), each next
// one with one code fewer on top, so each code shows as its own coloured band.
function drawChart(box, months) {
  clear(box);
  if (!months.length) {
    box.append(h('p.muted', 'No approved claims yet.'));
    return null;
  }
  const xs = months.map((_, i) => i);
  const stacks = CHART_CODES.map((_, i) => months.map((m) => CHART_CODES.slice(0, i + 1).reduce((n, c) => n + (m.codes[c] || 0), 0)));
  const order = CHART_CODES.map((_, i) => CHART_CODES.length - 1 - i);
  const opts = {
    width: Math.max(260, box.clientWidth || 600), height: 220,
    scales: { x: { time: false, range: () => [-0.5, months.length - 0.5] }, y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
    axes: [{ stroke: '#475467', grid: { show: false }, splits: () => xs, values: (u, splits) => splits.map((i) => (months[i] ? months[i].month : '')) },
      { stroke: '#475467', grid: { stroke: '#eaecf0' }, size: 40 }],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    series: [{}, ...order.map((i) => ({ label: CHART_CODES[i], stroke: COLORS[i], fill: COLORS[i], paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false } }))],
  };
  return new uPlot(opts, [xs, ...order.map((i) => stacks[i])], box);
}

export async function renderBilling(root) {
  clear(root);
  const role = session().user.role;
  const canApprove = role === 'provider';
  const picker = h('input#billing-month', { type: 'month', value: thisMonth(-1) });
  const status = h('div.notice', { role: 'status', hidden: true });
  const list = h('div.billing-list', { 'aria-live': 'polite' });
  const visits = h('div.table-wrap');
  const chartBox = h('div.plot', { role: 'img', 'aria-label': 'Approved RPM codes per month' });
  const legend = h('ul.chart-legend', CHART_CODES.map((c, i) => h('li', h(`span.swatch.bill-sw-${i}`), c)));
  const claims = claimsSection(role);
  root.append(h('section.page',
    h('h1', 'RPM billing review'),
    h('form.billing-picker', h('label', { for: 'billing-month' }, 'Month'), picker),
    status,
    h('section.card.chart', { 'aria-labelledby': 'bill-chart' }, h('div.chart-head', h('h2#bill-chart', 'Approved codes per month')), chartBox, legend),
    h('h2', 'Patients'), list,
    h('h2', 'Completed video visits'), visits,
    claims.section));
  let plot = null;

  async function loadChart() {
    try {
      const claims = await get('/api/v1/billing/claims');
      if (plot) plot.destroy();
      plot = drawChart(chartBox, claims.months.slice(-12));
    } catch { /* the chart is a summary: the review still works */ }
  }

  async function load() {
    const month = picker.value;
    if (!/^\d{4}-\d{2}$/.test(month)) return;
    let review;
    try {
      review = await get(`/api/v1/billing/review?month=${month}`);
    } catch (e) {
      status.hidden = false;
      status.className = 'notice error';
      status.textContent = errorText(e);
      return;
    }
    status.hidden = true;
    clear(list);
    if (!review.patients.length) list.append(h('p.muted', 'No RPM patient has data or minutes this month.'));
    for (const p of review.patients) list.append(patientCard(p, month, canApprove, async () => { await load(); await loadChart(); await claims.load(); }));
    clear(visits);
    if (review.visits.length) {
      visits.append(h('table.data', h('caption.sr-only', 'Completed video visits'),
        h('thead', h('tr', ['Date', 'Patient', 'Provider', 'Minutes', 'Claim'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', review.visits.map((v) => visitRow(v, canApprove, load)))));
    } else {
      visits.append(h('p.muted', 'No completed video visit this month.'));
    }
    announce(`${review.patients.length} patients for ${month}`);
  }
  picker.addEventListener('change', load);
  await Promise.all([load(), loadChart(), claims.load()]);
  return () => {
    if (plot) plot.destroy();
    claims.destroy();
  };
}

/** The minutes card on a patient's chart (providers and nurses); null when not allowed. */
export async function billingTimeCard(patientId) {
  const card = h('section.card.billing-time', { 'aria-labelledby': 'bt-title', 'data-testid': 'billing-time-card' });
  const month = thisMonth(0);
  const status = h('p.notice', { role: 'status', hidden: true });
  function fail(e) {
    status.hidden = false;
    status.className = 'notice error';
    status.textContent = errorText(e);
  }
  async function load() {
    let data;
    try {
      data = await get(`/api/v1/patients/${patientId}/billing-time?month=${month}`);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return false;
      throw e;
    }
    const live = data.items.filter((e) => !e.deletedAt);
    const total = live.reduce((n, e) => n + e.minutes, 0);
    const running = data.runningTimer;
    const here = running && running.patientId === patientId;
    const timerBtn = h('button.btn.timer', { type: 'button', disabled: running && !here }, here ? 'Stop timer' : 'Start timer');
    timerBtn.addEventListener('click', async () => {
      try {
        await post(`/api/v1/patients/${patientId}/billing-time/timer/${here ? 'stop' : 'start'}`, {});
        await load();
      } catch (e) { fail(e); }
    });
    const start = field('Start', { type: 'datetime-local', required: true });
    const minutes = field('Minutes', { type: 'number', min: 1, max: 240, value: '10', required: true });
    const reason = h('select', { 'aria-label': 'Reason' }, REASONS.map(([v, l]) => h('option', { value: v }, l)));
    const interactive = h('input', { type: 'checkbox', id: `bt-live-${patientId}` });
    const form = h('form.manual-time', { 'aria-label': 'Add time by hand' }, start.el, minutes.el, h('label', 'Reason ', reason),
      h('label', { for: `bt-live-${patientId}` }, interactive, ' Real-time audio/video contact'),
      h('button.btn.small', { type: 'submit' }, 'Add time'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const from = new Date(start.input.value);
      const n = Number(minutes.input.value);
      if (Number.isNaN(from.getTime()) || !n) return;
      try {
        await post(`/api/v1/patients/${patientId}/billing-time`, {
          startedAt: from.toISOString(), endedAt: new Date(from.getTime() + n * 60000).toISOString(),
          reason: reason.value, interactive: interactive.checked,
        });
        await load();
      } catch (e) { fail(e); }
    });
    const entries = h('ul.time-entries', data.items.map((e) => {
      const li = h(`li${e.deletedAt ? '.deleted' : ''}`, `${new Date(e.startedAt).toLocaleString()} · ${e.minutes} min · ${e.source}`,
        e.interactive ? ' · contact' : '', e.reason ? ` · ${e.reason.replace('_', ' ')}` : '', e.clinicianName ? ` · ${e.clinicianName}` : '',
        e.deletedAt ? ' (deleted)' : '');
      if (!e.deletedAt && e.source !== 'video' && e.endedAt) {
        const rm = h('button.btn.small.ghost', { type: 'button' }, 'Delete');
        rm.addEventListener('click', async () => {
          try { await del(`/api/v1/patients/${patientId}/billing-time/${e.id}`); await load(); } catch (err) { fail(err); }
        });
        li.append(' ', rm);
      }
      return li;
    }));
    clear(card).append(h('h2#bt-title', 'RPM minutes'),
      h('p.bt-total', { 'data-testid': 'bt-total' }, `${total} min this month`), timerBtn, status, entries, form);
    return true;
  }
  return (await load()) ? card : null;
}
