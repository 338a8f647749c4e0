// Alert response report: how fast the clinic acknowledges and resolves its alerts. A chart of
// alerts raised per day with the day's median time to acknowledge, and a table per severity
// (counts, median and 90th percentile). Aggregates only; no patient appears here.

import { h, clear, announce } from '../dom.js';
import { get, query } from '../api.js';
import uPlot from '../../vendor/uplot/uPlot.esm.js';

const RANGES = [[7, '7 days'], [30, '30 days'], [90, '90 days']];

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export async function renderReports(body) {
  const status = h('div.notice', { role: 'status', hidden: true });
  const picker = h('div.range', { role: 'group', 'aria-label': 'Period' });
  const chartBox = h('div.plot', { role: 'img', 'aria-label': 'Alerts raised per day and median time to acknowledge' });
  const table = h('div.table-wrap');
  const legend = h('ul.chart-legend', h('li', h('span.swatch.sw-0'), 'Alerts raised'), h('li', h('span.swatch.sw-1'), 'Median time to acknowledge (min)'));
  body.append(status, picker,
    h('section.card.chart', { 'aria-labelledby': 'rep-chart' }, h('div.chart-head', h('h3#rep-chart', 'Alerts and response per day')), chartBox, legend),
    h('section.card', { 'aria-labelledby': 'rep-table' }, h('h3#rep-table', 'By severity'), table));
  let plot = null;
  let ro = null;

  async function load(days) {
    for (const b of picker.querySelectorAll('button')) b.setAttribute('aria-pressed', String(Number(b.dataset.days) === days));
    const to = new Date();
    const from = new Date(to.getTime() - days * 86400000);
    let report;
    try {
      report = await get(`/api/v1/reports/alert-response${query({ from: from.toISOString(), to: to.toISOString() })}`);
    } catch (e) {
      status.hidden = false;
      status.className = 'notice error';
      status.textContent = e.message;
      return;
    }
    status.hidden = true;
    const xs = report.byDay.map((d) => new Date(d.start).getTime() / 1000);
    const raised = report.byDay.map((d) => d.raised);
    const ackMin = report.byDay.map((d) => (d.ackP50Seconds === null ? null : d.ackP50Seconds / 60));
    if (plot) { plot.destroy(); ro.disconnect(); }
    clear(chartBox);
    // Half a day of room on each side: the first and last day's bars (today's, the one a new
    // box has) are drawn whole, not cut in half at the plot's edges.
    const opts = {
      width: 600, height: 220,
      scales: { x: { time: true, range: (u, lo, hi) => [lo - 43200, hi + 43200] }, n: { range: (u, lo, hi) => [0, Math.max(1, hi)] }, min: { range: (u, lo, hi) => [0, Math.max(1, hi || 1)] } },
      axes: [
        { stroke: '#475467', grid: { stroke: '#eaecf0' } },
        { scale: 'n', stroke: '#475467', grid: { stroke: '#eaecf0' }, size: 40 },
        { scale: 'min', side: 1, stroke: '#475467', grid: { show: false }, size: 48 },
      ],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      series: [{},
        { label: 'Alerts raised', scale: 'n', stroke: '#0f4c5c', fill: 'rgba(15,76,92,0.35)', paths: uPlot.paths.bars({ size: [0.6, 40] }), points: { show: false } },
        { label: 'Median minutes to acknowledge', scale: 'min', stroke: '#5b8c85', width: 2, spanGaps: true, points: { show: true, size: 5, fill: '#5b8c85' } }],
    };
    plot = new uPlot(opts, [xs, raised, ackMin], chartBox);
    const fit = () => plot.setSize({ width: Math.max(260, chartBox.clientWidth), height: 220 });
    fit();
    ro = new ResizeObserver(fit);
    ro.observe(chartBox);

    clear(table);
    table.append(h('table.data', h('caption.sr-only', 'Alert response by severity'),
      h('thead', h('tr', ['Severity', 'Raised', 'Acknowledged', 'Resolved', 'Escalated', 'Acknowledge (median / 90 %)', 'Resolve (median / 90 %)'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', report.bySeverity.map((r) => h('tr', h('td', r.severity), h('td.num', String(r.raised)), h('td.num', String(r.acknowledged)), h('td.num', String(r.resolved)), h('td.num', String(r.escalated)),
        h('td.num', `${duration(r.ackP50Seconds)} / ${duration(r.ackP90Seconds)}`), h('td.num', `${duration(r.resolveP50Seconds)} / ${duration(r.resolveP90Seconds)}`))))));
    const total = raised.reduce((a, b) => a + b, 0);
    announce(`${total} alerts in the last ${days} days`);
  }

  for (const [days, label] of RANGES) {
    const b = h('button.btn.small.seg', { type: 'button', 'data-days': String(days), 'aria-pressed': 'false' }, label);
    b.addEventListener('click', () => load(days));
    picker.append(b);
  }
  await load(30);
  return () => { if (plot) { plot.destroy(); ro.disconnect(); } };
}
