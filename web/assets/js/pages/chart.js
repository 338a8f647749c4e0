// A patient's chart: header with identifiers, devices and last-seen times, vitals trends as
// uPlot charts with threshold lines and alert marks, a time-range picker, and (for care-team
// staff) the thresholds editor and the patient's escalation chain. Every chart also has a table of its points for screen readers.

import { invitationCard } from './invitations.js';
import { h, clear, field, announce } from '../dom.js';
import { get, put, query, session, ApiError } from '../api.js';
import { VITALS, vitalLabel, unitLabel, formatTime, formatAge, fmtNum, patientName, severityBadge } from '../format.js';
import uPlot from '../../vendor/uplot/uPlot.esm.js';
import * as live from '../live.js';
import { patientEscalationCard } from './escalation.js';
import { rpmEnrolmentCard } from './rpm.js';
import { billingTimeCard } from './billing.js';

const clinician = () => ['provider', 'nurse'].includes(session().user.role);

const CHART_CODES = ['85354-9', '8867-4', '59408-5', '29463-7', '8310-5', '2339-0'];
const RANGES = [['24h', '24 hours', 1], ['7d', '7 days', 7], ['30d', '30 days', 30], ['90d', '90 days', 90]];
const SEV_COLOURS = { critical: '#b42318', high: '#c4320a', low: '#a15c07', info: '#475467' };
const SERIES_COLOURS = ['#0f4c5c', '#5b8c85', '#7a5195'];

async function optional(promise) {
  try { return await promise; } catch (e) { if (e instanceof ApiError && (e.status === 404 || e.status === 403 || e.status === 503)) return null; throw e; }
}

export async function renderChart(root, patientId, opts = {}) {
  clear(root);
  const role = session().user.role;
  const staff = role === 'provider' || role === 'nurse';
  const patient = opts.patient || await get(`/api/v1/patients/${patientId}`);
  const [devices, thresholds, escalationCard, rpmCard, minutesCard] = await Promise.all([
    optional(get(`/api/v1/patients/${patientId}/devices`)),
    optional(get(`/api/v1/patients/${patientId}/thresholds`)),  // patients see their own limits
    staff ? patientEscalationCard(patientId, role === 'provider') : null,  // issue 17
    // RPM enrolment (issue 21): providers enrol and end; others read; the patient their own.
    optional(rpmEnrolmentCard(patientId, { canEnrol: role === 'provider', own: !!opts.own })),
    // RPM billing (issue 24): the care team's treatment-management minutes and timer.
    staff && !opts.own ? optional(billingTimeCard(patientId)) : null,
  ]);

  let range = { key: '7d', from: null, to: null };
  const charts = h('div.charts');
  const rangeBar = h('div.range', { role: 'group', 'aria-label': 'Time range' });
  const fromIn = h('input#r-from', { type: 'date' });
  const toIn = h('input#r-to', { type: 'date' });
  const custom = h('form.range-custom',
    h('label', { for: 'r-from' }, 'From'), fromIn, h('label', { for: 'r-to' }, 'To'), toIn,
    h('button.btn.small', { type: 'submit' }, 'Apply'));
  custom.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!fromIn.value || !toIn.value) return;
    range = { key: 'custom', from: new Date(`${fromIn.value}T00:00:00`), to: new Date(`${toIn.value}T23:59:59`) };
    drawRangeButtons();
    loadCharts();
  });
  function drawRangeButtons() {
    clear(rangeBar);
    for (const [key, label] of RANGES) {
      rangeBar.append(h('button.btn.small.seg', { type: 'button', 'aria-pressed': String(range.key === key), onclick: () => { range = { key }; drawRangeButtons(); loadCharts(); } }, label));
    }
  }
  drawRangeButtons();

  const age = patient.birthDate ? Math.floor((Date.now() - new Date(patient.birthDate).getTime()) / (365.25 * 86400e3)) : null;
  const head = h('div.patient-head',
    h('div', h('h1', opts.own ? 'My readings' : patientName(patient)),
      h('p.patient-ids', opts.own ? patientName(patient) : null,
        patient.mrn ? h('span', `MRN ${patient.mrn}`) : null,
        patient.birthDate ? h('span', `Born ${patient.birthDate}${age !== null ? ` (${age} y)` : ''}`) : null,
        opts.own ? null : h('a', { href: `#/patients/${patientId}/record` }, 'Record'),
        !opts.own && clinician() ? h('a', { href: `#/patients/${patientId}/notes` }, 'Notes') : null,
        !opts.own && clinician() ? h('a#chart-prescriptions', { href: `#/patients/${patientId}/prescriptions` }, 'Prescriptions') : null,
        opts.own ? null : h('a', { href: `#/patients/${patientId}/consents` }, 'Consents'))),
    patient.openAlerts && patient.openAlerts.count ? h('div.flag', severityBadge(patient.openAlerts.worstSeverity), ` ${patient.openAlerts.count} open alert${patient.openAlerts.count === 1 ? '' : 's'}`) : null);

  const deviceCard = h('section.card.devices', { 'aria-labelledby': 'dev-title' }, h('h2#dev-title', opts.own ? 'My devices' : 'Devices'));
  if (devices && devices.items && devices.items.length) {
    deviceCard.append(h('ul.device-list', devices.items.map((d) => {
      const stale = !d.lastSeenAt || Date.now() - new Date(d.lastSeenAt).getTime() > 48 * 3600e3;
      return h('li', h('span.device-kind', kindLabel(d.kind)), h('span.device-model', [d.model, d.serial && `S/N ${d.serial}`].filter(Boolean).join(' · ')),
        h(`span.device-seen${stale ? '.stale' : ''}`, d.lastSeenAt ? `Last seen ${formatAge(d.lastSeenAt)}` : 'Never seen',
          stale ? h('span.sr-only', ' (no data for over 48 hours)') : null),
        d.batteryPct !== null && d.batteryPct !== undefined ? h('span.device-batt', `Battery ${d.batteryPct}%`) : null);
    })));
  } else {
    deviceCard.append(h('p.muted', 'No device is assigned.'));
  }

  const layout = h('section.page', head,
    h('div.chart-toolbar', h('h2.sr-only', 'Vitals'), rangeBar, custom),
    h('div.chart-layout', charts, h('aside.side', deviceCard, rpmCard, minutesCard, thresholds && staff ? thresholdsEditor(patientId, thresholds, () => loadCharts()) : null, escalationCard,
      !opts.own && role !== 'patient' ? invitationCard(patientId) : null)));
  root.append(layout);

  const plots = [];
  let alerts = [];
  // One load at a time (a live event arriving during a load asks for one more afterwards, so
  // two loads never both append their charts). A user's load (range, thresholds) shows
  // "Loading readings…"; a live refresh keeps the charts on screen until the new ones are ready
  // (the demo's devices send every few seconds: the page must not blink) and keeps open tables.
  let loading = null;
  let again = false;
  async function loadCharts({ live: isLive = false } = {}) {
    if (loading) { again = true; return loading; }
    loading = (async () => {
      try { await loadOnce(isLive); } finally { loading = null; }
    })();
    await loading;
    if (again) { again = false; await loadCharts({ live: true }); }
  }

  async function loadOnce(isLive) {
    if (!isLive) {
      for (const p of plots) p.destroy();
      plots.length = 0;
      clear(charts).append(h('p.loading', 'Loading readings…'));
    }
    const openTables = new Set([...charts.querySelectorAll('details.table-details[open]')].map((d) => d.dataset.code));
    const to = range.key === 'custom' ? range.to : new Date();
    const days = (RANGES.find((r) => r[0] === range.key) || [0, 0, 7])[2];
    const from = range.key === 'custom' ? range.from : new Date(to.getTime() - days * 86400e3);
    const width = Math.max(280, charts.clientWidth || 600);
    const maxPoints = Math.min(2000, Math.max(100, Math.round(width)));
    const refusals = [];
    const readingsOf = (code) => get(`/api/v1/patients/${patientId}/readings${query({ code, from: from.toISOString(), to: to.toISOString(), maxPoints })}`)
      .catch((e) => { if (e instanceof ApiError && e.status === 403) refusals.push(e); return optional(Promise.reject(e)); });
    const [series, alertPage] = await Promise.all([
      Promise.all(CHART_CODES.map(readingsOf)),
      staff ? optional(get(`/api/v1/patients/${patientId}/alerts`)) : null,
    ]);
    // Every series refused: the caller's role reads no readings (the front desk, issue 21), so
    // the page as a whole is refused ("Access denied", the refusals are audited by the server).
    if (refusals.length === CHART_CODES.length) throw refusals[0];
    alerts = (alertPage && alertPage.items) || [];
    for (const p of plots) p.destroy();
    plots.length = 0;
    clear(charts);
    let shown = 0;
    series.forEach((s, i) => {
      if (!s || !s.points || s.points.length === 0) return;
      shown += 1;
      const card = chartCard(CHART_CODES[i], s, from, to);
      if (openTables.has(CHART_CODES[i])) card.querySelector('details.table-details').open = true;
      charts.append(card);
    });
    if (!shown) charts.append(h('div.empty', h('p.empty-title', 'No readings in this period'), h('p.muted', 'Pick a longer range, or check that the devices are sending.')));
    if (!isLive) announce(`${shown} chart${shown === 1 ? '' : 's'} loaded`);
  }

  function rulesFor(codes) {
    if (!thresholds || !thresholds.rules) return [];
    return thresholds.rules.filter((r) => r.kind === 'threshold' && r.enabled !== false && codes.includes(r.code));
  }

  function chartCard(code, s, from, to) {
    const comps = s.components && s.components.length ? s.components : [code];
    const xs = s.points.map((p) => new Date(p.t).getTime() / 1000);
    const ys = comps.map((_, ci) => s.points.map((p) => (p.values ? p.values[ci] : p.value)));
    const rules = rulesFor(comps);
    const marks = alerts.filter((a) => comps.includes(a.code) || a.code === code);
    const unit = unitLabel(s.unit, code);
    const latest = s.points[s.points.length - 1];
    const title = `${vitalLabel(code)}`;
    const plotBox = h('div.plot', { role: 'img', 'aria-label': `${title} chart, ${s.points.length} points${s.downsampled ? ' (down-sampled)' : ''}; latest ${comps.map((_, ci) => fmtNum(ys[ci][ys[ci].length - 1])).join('/')} ${unit}. A table of the values follows.` });
    const legend = h('ul.chart-legend', comps.map((c, ci) => h('li', h(`span.swatch.sw-${ci}`), VITALS[code] && VITALS[code].componentLabels ? VITALS[code].componentLabels[ci] : vitalLabel(c))),
      rules.length ? h('li', h('span.swatch.sw-threshold'), 'Alert threshold') : null,
      marks.length ? h('li', h('span.swatch.sw-alert'), 'Alert') : null);
    const card = h('section.card.chart', { 'aria-labelledby': `ch-${code}` },
      h('div.chart-head', h('h3#ch-' + code, title), h('p.chart-latest', h('strong', comps.map((_, ci) => fmtNum(ys[ci][ys[ci].length - 1])).join('/')), ` ${unit} · ${formatTime(latest.t)}`)),
      plotBox, legend, dataTable(code, comps, s, unit));
    const opts = {
      width: 600, height: 220,
      scales: { x: { time: true, min: from.getTime() / 1000, max: to.getTime() / 1000 } },
      axes: [{ stroke: '#475467', grid: { stroke: '#eaecf0' } }, { stroke: '#475467', grid: { stroke: '#eaecf0' }, size: 48 }],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      series: [{}, ...comps.map((c, ci) => ({ label: vitalLabel(c), stroke: SERIES_COLOURS[ci], width: 2, points: { show: true, size: 5, fill: SERIES_COLOURS[ci] } }))],
      plugins: [thresholdPlugin(rules, marks)],
    };
    queueMicrotask(() => {
      const plot = new uPlot(opts, [xs, ...ys], plotBox);
      plots.push(plot);
      const fit = () => plot.setSize({ width: Math.max(260, plotBox.clientWidth), height: 220 });
      fit();
      const ro = new ResizeObserver(fit);
      ro.observe(plotBox);
      const destroy = plot.destroy.bind(plot);
      plot.destroy = () => { ro.disconnect(); destroy(); };
    });
    return card;
  }

  let debounce = null;
  const unsubscribe = live.subscribe((evt) => {
    if ((evt.patientId === patientId && (evt.type === 'reading.stored' || evt.type.startsWith('alert.'))) || evt.type === 'resync') {
      clearTimeout(debounce);
      debounce = setTimeout(() => loadCharts({ live: true }).catch(() => {}), 400);
    }
  });
  await loadCharts();
  return () => { unsubscribe(); clearTimeout(debounce); for (const p of plots) p.destroy(); };
}

function kindLabel(kind) {
  return { blood_pressure: 'Blood pressure monitor', pulse_oximeter: 'Pulse oximeter', weight_scale: 'Weight scale', thermometer: 'Thermometer', glucometer: 'Glucose meter', heart_rate: 'Heart-rate monitor', hub: 'Hub' }[kind] || kind;
}

function dataTable(code, comps, s, unit) {
  const rows = s.points.slice(-50).reverse();
  return h('details.table-details', { 'data-code': code }, h('summary', `Show values as a table (latest ${rows.length})`),
    h('table.data.compact', h('caption.sr-only', `${vitalLabel(code)} readings`),
      h('thead', h('tr', h('th', { scope: 'col' }, 'Time'), comps.map((c) => h('th.num', { scope: 'col' }, `${vitalLabel(c)} (${unit})`)))),
      h('tbody', rows.map((p) => h('tr', h('td', formatTime(p.t)), comps.map((_, ci) => h('td.num', fmtNum(p.values ? p.values[ci] : p.value))))))));
}

/** Dashed threshold lines with their limits, and alert marks along the top of the plot. */
function thresholdPlugin(rules, marks) {
  return {
    hooks: {
      draw: [(u) => {
        const { ctx } = u;
        const { left, top, width, height } = u.bbox;
        ctx.save();
        ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
        for (const r of rules) {
          for (const t of r.tiers || []) {
            const y = u.valToPos(t.limit, 'y', true);
            if (y < top || y > top + height) continue;
            ctx.strokeStyle = SEV_COLOURS[t.severity] || '#475467';
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.lineWidth = devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(left, y);
            ctx.lineTo(left + width, y);
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = SEV_COLOURS[t.severity] || '#475467';
            const op = { ge: '≥', gt: '>', le: '≤', lt: '<' }[r.comparison] || '';
            ctx.fillText(`${t.severity} ${op} ${fmtNum(t.limit)}`, left + 4 * devicePixelRatio, y - 3 * devicePixelRatio);
          }
        }
        for (const a of marks) {
          const x = u.valToPos(new Date(a.firstObservedAt || a.raisedAt).getTime() / 1000, 'x', true);
          if (x < left || x > left + width) continue;
          const s = 6 * devicePixelRatio;
          ctx.fillStyle = SEV_COLOURS[a.severity] || '#475467';
          ctx.beginPath();
          ctx.moveTo(x, top + s * 1.6);
          ctx.lineTo(x - s, top);
          ctx.lineTo(x + s, top);
          ctx.closePath();
          ctx.fill();
          ctx.strokeStyle = ctx.fillStyle;
          ctx.globalAlpha = 0.35;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.globalAlpha = 1;
        }
        ctx.restore();
      }],
    },
  };
}

function thresholdsEditor(patientId, thresholds, onSaved) {
  const rules = (thresholds.rules || []).filter((r) => r.kind === 'threshold');
  const msg = h('div.notice', { role: 'status', hidden: true });
  const inputs = [];
  const rows = rules.map((r) => h('fieldset.rule', h('legend', `${vitalLabel(r.code)} ${{ ge: '≥', gt: '>', le: '≤', lt: '<' }[r.comparison] || ''}`,
    r.scope === 'patient' ? h('span.tag', 'Patient-specific') : h('span.tag.muted', 'Clinic default')),
  (r.tiers || []).map((t, ti) => {
    const f = field(`${t.severity[0].toUpperCase()}${t.severity.slice(1)} (${unitLabel(r.unit, r.code)})`, { type: 'number', step: 'any', value: String(t.limit), inputmode: 'decimal' });
    inputs.push({ rule: r, tier: ti, input: f.input });
    return f.el;
  })));
  const reason = field('Reason for the change', { tag: 'textarea', rows: 2, maxlength: 500 });
  const save = h('button.btn.primary', { type: 'submit' }, 'Save thresholds');
  const form = h('form.form.thresholds', { novalidate: true }, rows, reason.el, msg, save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.hidden = false;
    if (!reason.input.value.trim()) { msg.className = 'notice error'; msg.textContent = 'Give a reason for the change (kept in the audit trail).'; reason.input.focus(); return; }
    const changed = new Map();
    for (const { rule, tier, input } of inputs) {
      const v = Number(input.value);
      if (input.value === '' || Number.isNaN(v)) { msg.className = 'notice error'; msg.textContent = 'Every limit must be a number.'; input.focus(); return; }
      if (v !== rule.tiers[tier].limit) {
        const copy = changed.get(rule.key) || { ...rule, tiers: rule.tiers.map((t) => ({ ...t })) };
        copy.tiers[tier].limit = v;
        changed.set(rule.key, copy);
      }
    }
    if (!changed.size) { msg.className = 'notice info'; msg.textContent = 'Nothing changed.'; return; }
    save.disabled = true;
    try {
      const r = await put(`/api/v1/patients/${patientId}/thresholds`, { rules: [...changed.values()], reason: reason.input.value.trim() });
      thresholds.rules = r.rules || thresholds.rules;
      msg.className = 'notice success';
      msg.textContent = `Saved ${changed.size} rule${changed.size === 1 ? '' : 's'} for this patient.`;
      onSaved();
    } catch (ex) {
      msg.className = 'notice error';
      msg.textContent = ex.message;
    } finally {
      save.disabled = false;
    }
  });
  return h('section.card', { 'aria-labelledby': 'thr-title' }, h('h2#thr-title', 'Alert thresholds'),
    h('p.muted.small', 'Changes apply to this patient only and to readings from now on.'), form);
}
