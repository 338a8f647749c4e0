// Claims through the clearinghouse on the billing page (issue 24, docs/billing.md "Reports"):
// - the claims list: per claim its status, charge and (once a remittance posted) the paid
//   amount; "Details" opens its history (submission, the 999 and 277CA answers, the 835) with
//   each posting's lines and adjustments (claim or line level, group, reason, amount);
// - for admins: "Send approved claims now" (what the periodic step does) and the reports:
//   claims by status, denial reasons, days to payment, and a chart of charged vs paid per month
//   (a trend, so a chart; the rest are tables).
// Everything the API sends is shown as text (dom.js never builds markup from data).

import { h, clear, announce } from '../dom.js';
import { get, post, ApiError } from '../api.js';
import uPlot from '../../vendor/uplot/uPlot.esm.js';

const SOURCES = { approval: 'Approved', submission: 'Sent (837P)', 999: 'Acknowledgement (999)', '277CA': 'Claim acknowledgement (277CA)', 835: 'Remittance (835)', admin: 'By an admin' };

function money(cents) {
  return `$${(cents / 100).toFixed(2)}`;
}

function errorText(e) {
  if (e instanceof ApiError) return e.message || e.code;
  return 'Something went wrong. Try again.';
}

function table(caption, heads, rows) {
  return h('table.data', h('caption.sr-only', caption),
    h('thead', h('tr', heads.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', rows));
}

function postingView(p) {
  const lines = table('Service lines paid', ['Line', 'Code', 'Charge', 'Paid'],
    p.lines.map((l) => h('tr', h('td', l.lineNo == null ? '—' : String(l.lineNo)), h('td', l.procedureCode),
      h('td.num', money(l.chargeCents)), h('td.num', money(l.paidCents)))));
  const adjustments = p.adjustments.length
    ? table('Adjustments', ['Level', 'Group', 'Reason', 'Amount'],
      p.adjustments.map((a) => h('tr', { 'data-adjustment': `${a.group}-${a.reason}` },
        h('td', a.level === 'line' ? `Line ${a.lineNo}` : 'Claim'), h('td', a.group), h('td', a.reason), h('td.num', money(a.amountCents)))))
    : h('p.muted', 'No adjustments.');
  return h('div.posting', { 'data-outcome': p.outcome },
    h('p', `${p.outcome === 'denied' ? 'Denied' : p.outcome === 'paid' ? 'Paid' : p.outcome} by ${p.payerName} on ${p.paymentDate}`,
      ` · paid ${money(p.paidCents)} of ${money(p.chargeCents)} · patient owes ${money(p.patientResponsibilityCents)}`,
      ` · trace ${p.traceNumber}`, p.balanced ? '' : ' · does not balance'),
    lines, adjustments);
}

async function detailView(id) {
  const d = await get(`/api/v1/billing/claims/${id}`);
  const history = h('ol.claim-history', d.history.map((e) => h(`li${e.applied ? '' : '.muted'}`,
    `${new Date(e.at).toLocaleString()} · ${SOURCES[e.source] || e.source || 'Status'} · ${e.status}`,
    e.detail ? ` · ${e.detail}` : '', e.applied ? '' : ' (status unchanged)')));
  return h('div.claim-detail', { 'data-testid': `claim-detail-${id}` },
    h('h4', 'Status history'), history,
    d.postings.length ? h('h4', `Remittances: paid ${money(d.paidCents)}, patient responsibility ${money(d.patientResponsibilityCents)}`) : null,
    ...d.postings.map(postingView));
}

function claimRow(k, paid) {
  const open = h('button.btn.small.ghost', { type: 'button', 'aria-expanded': 'false' }, 'Details');
  const holder = h('td', { colSpan: 7, hidden: true });
  const row = h('tr', { 'data-claim': String(k.id), 'data-status': k.status },
    h('td', String(k.id)), h('td', k.patientName || `Patient ${k.patientId}`), h('td', k.serviceMonth || k.kind),
    h('td', h(`span.badge.claim-${k.status}`, k.status), k.statusDetail ? h('div.muted', k.statusDetail) : null),
    h('td.num', money(k.totalCents)), h('td.num', paid == null ? '—' : money(paid)), h('td', open));
  open.addEventListener('click', async () => {
    if (!holder.hidden) {
      holder.hidden = true;
      open.setAttribute('aria-expanded', 'false');
      return;
    }
    try {
      clear(holder).append(await detailView(k.id));
      holder.hidden = false;
      open.setAttribute('aria-expanded', 'true');
    } catch (e) {
      announce(errorText(e));
    }
  });
  return [row, h('tr.claim-detail-row', holder)];
}

function drawTrend(box, months) {
  clear(box);
  if (!months.length) {
    box.append(h('p.muted', 'No claims yet.'));
    return null;
  }
  const xs = months.map((_, i) => i);
  const opts = {
    width: Math.max(260, box.clientWidth || 600), height: 200,
    scales: { x: { time: false, range: () => [-0.5, months.length - 0.5] }, y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
    axes: [{ stroke: '#475467', grid: { show: false }, splits: () => xs, values: (u, splits) => splits.map((i) => (months[i] ? months[i].month : '')) },
      { stroke: '#475467', grid: { stroke: '#eaecf0' }, size: 60, values: (u, vals) => vals.map((v) => `$${v}`) }],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    series: [{},
      { label: 'Charged', stroke: '#0f4c5c', width: 2, points: { show: true } },
      { label: 'Paid', stroke: '#e36414', width: 2, points: { show: true } }],
  };
  return new uPlot(opts, [xs, months.map((m) => m.chargeCents / 100), months.map((m) => m.paidCents / 100)], box);
}

/** RPM patients per month: enrolled (an episode in force) and billed (an RPM claim approved). */
function drawEnrolment(box, months) {
  clear(box);
  if (!months.some((m) => m.enrolled || m.claimed)) {
    box.append(h('p.muted', 'No RPM enrolments in the last 12 months.'));
    return null;
  }
  const xs = months.map((_, i) => i);
  const opts = {
    width: Math.max(260, box.clientWidth || 600), height: 200,
    scales: { x: { time: false, range: () => [-0.5, months.length - 0.5] }, y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
    axes: [{ stroke: '#475467', grid: { show: false }, splits: () => xs, values: (u, splits) => splits.map((i) => (months[i] ? months[i].month : '')) },
      { stroke: '#475467', grid: { stroke: '#eaecf0' }, size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }],  // whole patients
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    series: [{},
      { label: 'Enrolled', stroke: '#0f4c5c', width: 2, points: { show: true } },
      { label: 'Billed', stroke: '#e36414', width: 2, points: { show: true } }],
  };
  return new uPlot(opts, [xs, months.map((m) => m.enrolled), months.map((m) => m.claimed)], box);
}

function reportsView(r, chartBox, enrolmentBox) {
  const byStatus = table('Claims by status', ['Status', 'Claims', 'Charged'],
    r.byStatus.map((s) => h('tr', { 'data-status': s.status }, h('td', s.status), h('td.num', String(s.claims)), h('td.num', money(s.chargeCents)))));
  const denials = r.denialReasons.length
    ? table('Denial reasons', ['Group', 'Reason (CARC)', 'Claims', 'Amount'],
      r.denialReasons.map((d) => h('tr', { 'data-denial': `${d.group}-${d.reason}` }, h('td', d.group), h('td', d.reason),
        h('td.num', String(d.claims)), h('td.num', money(d.amountCents)))))
    : h('p.muted', 'No denials.');
  const days = r.daysToPayment;
  const fmt = (v) => (v == null ? '—' : `${v.toFixed(1)} days`);
  const payment = h('p.days-to-payment', `${days.paidClaims} paid claim${days.paidClaims === 1 ? '' : 's'}: average ${fmt(days.averageDays)}, median ${fmt(days.medianDays)}, longest ${fmt(days.maxDays)} from sending to payment`);
  const warnings = [];
  if (r.unbalancedRemittances) warnings.push(h('li.badge.warn', `${r.unbalancedRemittances} remittance(s) do not balance`));
  if (r.unmatchedPayments) warnings.push(h('li.badge.warn', `${r.unmatchedPayments} payment(s) name no claim sent from this box`));
  return h('div.claims-reports',
    h('h3', 'Claims by status'), byStatus,
    h('h3', 'Denial reasons'), denials,
    h('h3', 'Days to payment'), payment,
    warnings.length ? h('ul.exceptions', warnings) : null,
    h('h3#claims-trend', 'Charged and paid per month'), chartBox,
    h('ul.chart-legend', h('li', h('span.swatch.bill-sw-0'), 'Charged'), h('li', h('span.swatch.bill-sw-2'), 'Paid')),
    h('h3#rpm-enrolment', 'RPM patients per month: enrolled and billed'), enrolmentBox,
    h('ul.chart-legend', h('li', h('span.swatch.bill-sw-0'), 'Enrolled'), h('li', h('span.swatch.bill-sw-2'), 'Billed')));
}

/** The claims section of the billing page; `role` decides the admin parts. */
export function claimsSection(role) {
  const status = h('p.notice', { role: 'status', hidden: true });
  const list = h('div.table-wrap.claims-list', { 'aria-live': 'polite' });
  const reports = h('div.reports');
  const chartBox = h('div.plot', { role: 'img', 'aria-labelledby': 'claims-trend' });
  const enrolmentBox = h('div.plot.enrolment-plot', { role: 'img', 'aria-labelledby': 'rpm-enrolment' });
  let plot = null;
  let enrolmentPlot = null;
  const isAdmin = role === 'admin';
  const send = isAdmin ? h('button.btn.send-claims', { type: 'button' }, 'Send approved claims now') : null;

  function say(text, error) {
    status.hidden = false;
    status.className = error ? 'notice error' : 'notice';
    status.textContent = text;
  }

  async function load() {
    let claims;
    try {
      claims = await get('/api/v1/billing/claims');
    } catch (e) {
      say(errorText(e), true);
      return;
    }
    clear(list);
    if (!claims.items.length) {
      list.append(h('p.muted', 'No claims yet: approve a month above.'));
    } else {
      list.append(table('Claims', ['Claim', 'Patient', 'Month', 'Status', 'Charged', 'Paid', ''],
        claims.items.flatMap((k) => claimRow(k, k.status === 'paid' || k.status === 'denied' || k.paidCents ? k.paidCents : null))));
    }
    try {
      const r = await get('/api/v1/billing/reports/claims');
      if (plot) plot.destroy();
      if (enrolmentPlot) enrolmentPlot.destroy();
      clear(reports).append(reportsView(r, chartBox, enrolmentBox));
      plot = drawTrend(chartBox, r.months);
      enrolmentPlot = drawEnrolment(enrolmentBox, r.enrolment);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 403)) say(errorText(e), true);
    }
  }

  if (send) {
    send.addEventListener('click', async () => {
      send.disabled = true;
      try {
        const r = await post('/api/v1/billing/claims/submit', {});
        const skipped = r.notSent.length ? `; ${r.notSent.length} not sent (see their status)` : '';
        say(`${r.claimsSent} claim${r.claimsSent === 1 ? '' : 's'} sent in ${r.batches.length} batch${r.batches.length === 1 ? '' : 'es'}${skipped}`);
        await load();
      } catch (e) {
        say(errorText(e), true);
      } finally {
        send.disabled = false;
      }
    });
  }

  const section = h('section.card.claims', { 'aria-labelledby': 'claims-title', 'data-testid': 'claims-section' },
    h('div.chart-head', h('h2#claims-title', 'Claims'), send), status, list, reports);
  return { section, load, destroy: () => { if (plot) plot.destroy(); } };
}
