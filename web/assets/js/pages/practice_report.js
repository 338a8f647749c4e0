// The practice reports (#/reports, issue 30, docs/reports.md): for a period and a scope (the
// practice, one provider, a clinic group), each section of GET /api/v1/reports/practice as
// charts (uPlot, the portal's chart library) with the figures in a table under them, and a CSV
// export per section (GET /api/v1/reports/practice/export, audited). Cells resting on fewer than
// 11 patients the reader does not look after come as "<11" and are shown so; charts leave them
// out. Providers see their own figures and their clinic groups'; admins any scope.
// Everything the API sends is shown as text (dom.js never builds markup from data).

import { h, clear, field, announce } from '../dom.js';
import { get, query, session, ApiError } from '../api.js';
import uPlot from '../../vendor/uplot/uPlot.esm.js';

// The legend's swatches are the stylesheet's .sw-N (the CSP allows no inline style).
const COLORS = ['#0f4c5c', '#5b8c85', '#7a5195', '#e36414', '#9a031e', '#fb8b24', '#3a86ff'];
const DAY = 86400000;
const PERIODS = [[30, '30 days'], [90, '90 days'], [365, '12 months']];

function isoDay(d) {
  return new Date(d).toISOString().slice(0, 10);
}

function duration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** A cell as text, by its column's unit. */
export function cellText(v, unit) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  switch (unit) {
    case 'seconds': return duration(v);
    case 'ratio': return `${(v * 100).toFixed(1)} %`;
    case 'percent': return `${v.toFixed(1)} %`;
    case 'cents': return `$${(v / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    case 'minutes': return `${Math.round(v).toLocaleString('en-US')} min`;
    case 'date': return v;
    default: return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2);
  }
}

/** A chart's value: numbers as they are, seconds in minutes, shares in percent; "<11" a gap. */
function plotValue(v, unit) {
  if (typeof v !== 'number') return null;
  if (unit === 'seconds') return v / 60;
  if (unit === 'ratio') return v * 100;
  if (unit === 'cents') return v / 100;
  return v;
}

function axisLabel(unit) {
  return { seconds: 'minutes', ratio: '%', percent: '%', cents: '$', minutes: 'minutes' }[unit] || '';
}

/** Daily rows summed (counts) or averaged (the rest) into weeks when a period is long. */
function weekly(table) {
  if (table.rows.length <= 62) return table.rows;
  const out = [];
  for (let i = 0; i < table.rows.length; i += 7) {
    const chunk = table.rows.slice(i, i + 7);
    const row = [chunk[0][0]];
    for (let c = 1; c < table.columns.length; c++) {
      const nums = chunk.map((r) => r[c]).filter((v) => typeof v === 'number');
      if (!nums.length) { row.push(chunk.some((r) => typeof r[c] === 'string') ? chunk.find((r) => typeof r[c] === 'string')[c] : null); continue; }
      const sum = nums.reduce((a, b) => a + b, 0);
      row.push(table.columns[c].unit === 'count' || table.columns[c].unit === 'cents' || table.columns[c].unit === 'minutes' ? sum : sum / nums.length);
    }
    out.push(row);
  }
  return out;
}

function chartFor(table, plots) {
  const numeric = table.columns.map((c, i) => i).filter((i) => i > 0 && table.columns[i].unit !== '' && table.columns[i].unit !== 'date');
  if (!numeric.length || !table.rows.length) return null;
  const rows = table.chart === 'line' ? weekly(table) : table.rows;
  const box = h('div.plot', { role: 'img', 'aria-label': `${table.title}: chart (the figures are in the table below)` });
  const units = [...new Set(numeric.map((i) => table.columns[i].unit))];
  const scaleOf = (unit) => `s${units.indexOf(unit)}`;
  const xs = table.chart === 'line' ? rows.map((r) => new Date(r[0]).getTime() / 1000) : rows.map((r, i) => i);
  const labels = rows.map((r) => String(r[0]));
  const scales = { x: table.chart === 'line' ? { time: true } : { time: false, range: (u, lo, hi) => [lo - 0.6, hi + 0.6] } };
  for (const u of units) scales[scaleOf(u)] = { range: (p, lo, hi) => [0, Math.max(1, hi || 1)] };
  const axes = [table.chart === 'line'
    ? { stroke: '#475467', grid: { stroke: '#eaecf0' } }
    : { stroke: '#475467', grid: { show: false }, values: (u, splits) => splits.map((s) => (Number.isInteger(s) && labels[s] !== undefined ? labels[s] : '')) }];
  units.slice(0, 2).forEach((u, i) => axes.push({ scale: scaleOf(u), side: i === 0 ? 3 : 1, stroke: '#475467', grid: { show: i === 0, stroke: '#eaecf0' }, size: 52, label: axisLabel(u) }));
  const bars = table.chart === 'bar';
  const series = [{}];
  const data = [xs];
  numeric.forEach((ci, k) => {
    const col = table.columns[ci];
    const color = COLORS[k % COLORS.length];
    series.push({
      label: col.label, scale: scaleOf(col.unit), stroke: color, width: 2, spanGaps: false,
      fill: bars ? `${color}99` : undefined,
      paths: bars ? uPlot.paths.bars({ size: [0.8 / numeric.length, 60], align: 0, gap: 2 }) : undefined,
      points: { show: !bars && rows.length < 40 },
    });
    data.push(rows.map((r) => plotValue(r[ci], col.unit)));
  });
  const legend = h('ul.chart-legend', numeric.map((ci, k) => h('li', h(`span.swatch.sw-${k % COLORS.length}`), table.columns[ci].label)));
  const holder = h('div', box, legend);
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    const plot = new uPlot({ width: Math.max(260, box.clientWidth || 600), height: 220, scales, axes, series, legend: { show: false }, cursor: { drag: { x: false, y: false } } }, data, box);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(260, box.clientWidth), height: 220 }));
    ro.observe(box);
    plots.push({ plot, ro });
  });
  return holder;
}

function tableFor(table) {
  const t = h('table.data', h('caption', table.title),
    h('thead', h('tr', table.columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', table.rows.map((r) => h('tr', r.map((v, i) => {
      const cell = h(i === 0 ? 'th' : 'td.num', i === 0 ? { scope: 'row' } : {}, cellText(v, table.columns[i].unit));
      if (typeof v === 'string' && v.startsWith('<')) cell.title = 'Rests on fewer than 11 patients you do not look after';
      return cell;
    })))));
  return h('div.table-wrap', t);
}

export async function renderPracticeReport(root) {
  const me = session().user;
  const status = h('div.notice', { role: 'status', hidden: true });
  const to = new Date();
  const fromInput = field('From', { type: 'date', name: 'from', value: isoDay(to.getTime() - 30 * DAY) });
  const toInput = field('To (inclusive)', { type: 'date', name: 'to', value: isoDay(to) });
  const scopeSelect = h('select#report-scope', { name: 'scope' });
  const scopeField = h('div.field', h('label', { for: 'report-scope' }, 'Whose figures'), scopeSelect);
  const quick = h('div.range', { role: 'group', 'aria-label': 'Period' });
  const run = h('button.btn', { type: 'submit' }, 'Show report');
  const form = h('form.report-form', { 'aria-label': 'Report period and scope' }, fromInput.el, toInput.el, scopeField, run, quick);
  const note = h('p.muted.small-cells', { hidden: true });
  const out = h('div.report-sections');
  root.append(h('section.page.practice-report', h('div.page-head', h('h1', 'Practice reports')), form, status, note, out));

  if (me.role === 'admin') scopeSelect.append(h('option', { value: 'practice' }, 'The practice'));
  if (me.role === 'provider') scopeSelect.append(h('option', { value: `provider:${me.id}` }, 'My figures'));
  try {
    const groups = await get('/api/v1/groups');
    for (const g of groups.items || groups) {
      if (me.role === 'admin' || (g.members || []).some((m) => (m.userId ?? m.id) === me.id)) scopeSelect.append(h('option', { value: `group:${g.id}` }, `Group: ${g.name}`));
    }
  } catch (e) { /* no clinic groups (or none visible): the other scopes remain */ }
  if (me.role === 'admin') {
    try {
      const staff = await get(`/api/v1/admin/users${query({ role: 'provider', pageSize: 200 })}`);
      for (const u of (staff.items || staff).filter((x) => x.role === 'provider')) scopeSelect.append(h('option', { value: `provider:${u.id}` }, `Provider: ${u.displayName}`));
    } catch (e) { /* the list of providers is optional */ }
  }

  let plots = [];
  function dropPlots() {
    for (const p of plots) { p.plot.destroy(); p.ro.disconnect(); }
    plots = [];
  }

  function params() {
    const [scope, id] = scopeSelect.value.split(':');
    const from = new Date(`${form.elements.from.value}T00:00:00Z`);
    const until = new Date(new Date(`${form.elements.to.value}T00:00:00Z`).getTime() + DAY);
    return { from: from.toISOString(), to: until.toISOString(), scope, id };
  }

  async function load() {
    const p = params();
    let report;
    try {
      report = await get(`/api/v1/reports/practice${query(p)}`);
    } catch (e) {
      status.hidden = false;
      status.className = 'notice error';
      status.textContent = e instanceof ApiError ? e.message : 'The report could not be loaded. Try again.';
      return;
    }
    status.hidden = true;
    dropPlots();
    clear(out);
    note.hidden = !(report.smallCellsApply && report.suppressedCells > 0);
    note.textContent = `${report.suppressedCells} figure${report.suppressedCells === 1 ? '' : 's'} rest on fewer than ${report.smallCell} patients you do not look after and show as "<${report.smallCell}".`;
    for (const section of report.sections) {
      const headId = `rep-${section.key}`;
      const exportLink = h('a.btn.small', { href: `/api/v1/reports/practice/export${query({ ...p, section: section.key })}`, download: '' }, `Export ${section.title} (CSV)`);
      const card = h('section.card.report-section', { 'aria-labelledby': headId }, h('div.chart-head', h(`h3#${headId}`, section.title), exportLink));
      for (const table of section.tables) {
        const chart = table.chart ? chartFor(table, plots) : null;
        if (chart) card.append(h('h4', table.title), chart);
        const data = tableFor(table);
        card.append(table.chart === 'line' && table.rows.length > 14 ? h('details', h('summary', `${table.title}: the figures`), data) : data);
      }
      out.append(card);
    }
    announce(`Report shown: ${report.sections.length} sections`);
  }

  for (const [days, label] of PERIODS) {
    const b = h('button.btn.small.seg', { type: 'button' }, label);
    b.addEventListener('click', () => {
      const end = new Date();
      form.elements.to.value = isoDay(end);
      form.elements.from.value = isoDay(end.getTime() - days * DAY);
      load();
    });
    quick.append(b);
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  if (scopeSelect.options.length) await load();
  else out.append(h('p.muted', 'No report is open to you.'));
  return dropPlots;
}
