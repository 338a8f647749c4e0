// Administration → Cloud link (issue 20, docs/cloud-api.md): how the box's link to the cloud
// services stands (last success, last error, what waits to leave and for how long), a chart of
// the backlog per kind of stream, and the entries a service refused, with its reason and the
// admin's answer: Retry (the same entry goes again) or Cancel (never sent; its stream moves on).
//
// Entries are named by id, stream, kind and the service's reason word only: their content is
// sealed to the service and never reaches the portal (no PHI here). The page refreshes every
// 10 s and re-draws only what changed, keeping focus on the control that had it.

import { h, clear, announce } from '../dom.js';
import { get, post, query, ApiError } from '../api.js';
import { formatTime, formatAge } from '../format.js';
import uPlot from '../../vendor/uplot/uPlot.esm.js';

const REFRESH_MS = 10000;
const COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];

const KIND_LABEL = { claims: 'Claims', rx: 'Prescriptions', license: 'Licensing', licensing: 'Licensing', notify: 'Notifications' };

/** A stream kind as people read it ("claims" → "Claims"); unknown kinds as they are. */
function kindLabel(kind) {
  return KIND_LABEL[kind] || kind;
}

/** What the service's reason word means and what the admin can do about it. */
export function explainReason(reason) {
  switch (reason) {
    case 'unknown_key': return 'The service does not know the key this box signed with (new box keys, or the box is not enrolled). Enrol the box again, then retry.';
    case 'bad_signature': return 'The service could not verify the box\'s signature. Check the box\'s enrolment and keys, then retry.';
    case 'does_not_open': return 'The service could not open the sealed record: it was sealed to a service key that is no longer in use. Retry once the service keys were refreshed.';
    case 'not_for_me': return 'The record was addressed to another service. Cancel it and report the problem.';
    case 'invalid_payload': return 'The service found the record itself invalid. Correct it where it was made and cancel this entry, or retry after the service was fixed.';
    case 'license_expired': return 'The clinic\'s license has expired. Renew it, then retry.';
    case 'wrong_sender': return 'The service says this box did not write the record (it names another box, or was made before the box was enrolled as it is now). Cancel it and report the problem.';
    case 'stale': return 'The message is older than the box remembers applied messages, so it cannot tell it from a replay. Ask the service to send it again if it still matters.';
    case 'apply_failed': return 'The box could not apply the message (its content did not fit what the box expects). Report the problem.';
    case 'malformed': return 'The service could not read what the box sent. Report the problem; retry after an update.';
    default: return `The service refused it${reason ? ` (${reason})` : ''}. Retry once the cause is fixed, or cancel it.`;
  }
}

/** Seconds as people read them: "45 s", "12 min", "3.5 h", "4 d". */
export function ageText(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** The link's health in one word, with its state colour class. */
function health(st) {
  if (st.blockedStreams > 0) return ['Entries refused: action needed', 'state-escalated'];
  const failing = st.lastErrorAt && (!st.lastSuccessAt || new Date(st.lastErrorAt) > new Date(st.lastSuccessAt));
  if (failing && st.backlog > 0) return ['Not reaching the cloud: retrying', 'state-claimed'];
  if (st.backlog === 0) return ['Up to date', 'state-acknowledged'];
  if (!st.lastSuccessAt) return ['Waiting for the first delivery', 'state-open'];
  return ['Sending', 'state-open'];
}

function when(t) {
  return t ? h('time', { datetime: t, title: formatTime(t) }, formatAge(t)) : null;
}

function facts(st) {
  const [word, cls] = health(st);
  const row = (label, ...value) => [h('dt', label), h('dd', ...value)];
  return h('dl.facts.cloud-facts',
    row('Link', h(`span.state.${cls}#cloud-health`, word)),
    row('Last success', h('span#cloud-last-success', st.lastSuccessAt ? when(st.lastSuccessAt) : h('span.muted', 'Never'))),
    row('Last error', st.lastError
      ? [h('code', st.lastError), ' ', when(st.lastErrorAt)]
      : h('span.muted', 'None')),
    row('Waiting to leave', `${st.backlog} ${st.backlog === 1 ? 'entry' : 'entries'} in ${st.streamCount} ${st.streamCount === 1 ? 'stream' : 'streams'}`),
    row('Oldest entry', st.oldestEntryAgeSeconds === null ? h('span.muted', '—') : `${ageText(st.oldestEntryAgeSeconds)} old`),
  );
}

/** The box's enrolment and license, or the enrolment form when the link is set up but unused. */
function linkCard(link, onEnrol) {
  const row = (label, ...value) => [h('dt', label), h('dd', ...value)];
  if (!link.configured) {
    return h('p.muted#cloud-enrolment', 'The cloud link is off on this box: set sync.url and sync.ca_file in its configuration (docs/operations.md, "Cloud link").');
  }
  if (!link.enrolled) {
    const code = h('input#cloud-code', { name: 'code', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 64, placeholder: '7KQM-2HXD-9PLA' });
    const name = h('input#cloud-box-name', { name: 'boxName', required: true, maxlength: 128, placeholder: 'Riverside Clinic' });
    const form = h('form.stack#cloud-enrol-form',
      h('p', 'This box is not enrolled yet: nothing leaves it. Enter the one-time code from the product\'s licensing portal.'),
      h('label', { for: 'cloud-code' }, 'Enrolment code'), code,
      h('label', { for: 'cloud-box-name' }, 'Box name (shown to the cloud services)'), name,
      h('button.btn.primary', { type: 'submit' }, 'Enrol this box'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      onEnrol(code.value.trim(), name.value.trim());
    });
    return h('div#cloud-enrolment', form);
  }
  const lic = link.license;
  return h('dl.facts#cloud-enrolment',
    row('Box', h('strong#cloud-box-id', link.boxId), link.boxName ? ` (${link.boxName})` : ''),
    row('Cloud', h('code', link.url || '—')),
    row('License', lic
      ? [h(`span.state.${lic.status === 'active' ? 'state-acknowledged' : 'state-escalated'}#cloud-license`, lic.status),
        lic.validUntil ? ` until ${lic.validUntil}` : '',
        lic.features && lic.features.length ? h('span.sub', `features: ${lic.features.join(', ')}`) : '']
      : h('span.muted#cloud-license', 'No answer from the licensing service yet')));
}

/** Messages from the services the box refused to apply: id, kind, sender and reason only. */
function refusedInboundTable(link) {
  if (!link.refusedInbound || !link.refusedInbound.length) {
    return h('p.muted#cloud-inbound-none', 'No message from the services was refused.');
  }
  return h('table.data#cloud-inbound', h('caption.sr-only', 'Messages from the cloud services the box refused'),
    h('thead', h('tr', ['Message', 'From', 'Reason', 'Received'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', link.refusedInbound.map((m) => h('tr',
      h('th', { scope: 'row' }, m.kind || '(unreadable)', h('span.sub', m.messageId || '—')),
      h('td', m.sender || '—'),
      h('td', h('code.reason', m.reason), h('span.sub', explainReason(m.reason))),
      h('td', `${ageText(m.ageSeconds)} ago`)))));
}

/**
 * Renders the Cloud link section into body; returns a cleanup function that stops the refresh.
 */
export async function renderCloud(body) {
  const factsBox = h('div');
  const linkBox = h('div');
  const inboundBox = h('div.table-wrap');
  let lastLinkKey = '';
  const msg = h('div.notice', { role: 'status', hidden: true, tabindex: '-1' });
  const chartBox = h('div.plot#cloud-chart', { role: 'img', 'aria-label': 'Backlog by stream kind' });
  const chartNote = h('p.muted', { hidden: true }, 'Nothing is waiting to leave the box.');
  const refusedBox = h('div.table-wrap#cloud-refused');
  const updated = h('p.muted.small', { 'aria-live': 'off' });
  let plot = null;
  let ro = null;
  let timer = null;
  let stopped = false;
  let lastKey = '';

  function flash(kind, text) {
    msg.hidden = false;
    msg.className = `notice ${kind}`;
    msg.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    msg.textContent = text;
    announce(text);
  }

  function drawChart(kinds) {
    if (plot) { plot.destroy(); plot = null; ro.disconnect(); }
    clear(chartBox);
    const shown = kinds.filter((k) => k.backlog > 0);
    chartNote.hidden = shown.length > 0;
    chartBox.hidden = shown.length === 0;
    chartBox.setAttribute('aria-label', `Backlog by stream kind: ${shown.map((k) => `${kindLabel(k.streamKind)} ${k.backlog}${k.blockedBacklog ? ` (${k.blockedBacklog} held by a refused entry)` : ''}`).join(', ') || 'nothing waiting'}`);
    if (!shown.length) return;
    const xs = shown.map((_, i) => i);
    const opts = {
      width: 600, height: 220,
      scales: { x: { time: false, range: () => [-0.5, shown.length - 0.5] }, n: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
      axes: [
        { stroke: '#475467', grid: { show: false }, splits: () => xs, values: (u, splits) => splits.map((i) => (Number.isInteger(i) && shown[i] ? kindLabel(shown[i].streamKind) : '')) },
        // Entries are counted: whole-number ticks only.
        { scale: 'n', stroke: '#475467', grid: { stroke: '#eaecf0' }, size: 48, incrs: COUNT_INCRS, values: (u, splits) => splits.map((v) => String(v)) },
      ],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      series: [{},
        { label: 'Entries waiting', scale: 'n', stroke: '#0f4c5c', fill: 'rgba(15,76,92,0.35)', paths: uPlot.paths.bars({ size: [0.5, 80] }), points: { show: false } },
        { label: 'In refused streams', scale: 'n', stroke: '#b42318', fill: 'rgba(180,35,24,0.45)', paths: uPlot.paths.bars({ size: [0.25, 40] }), points: { show: false } }],
    };
    plot = new uPlot(opts, [xs, shown.map((k) => k.backlog), shown.map((k) => k.blockedBacklog || null)], chartBox);
    const fit = () => plot.setSize({ width: Math.max(260, chartBox.clientWidth), height: 220 });
    fit();
    ro = new ResizeObserver(fit);
    ro.observe(chartBox);
  }

  async function act(s, what) {
    const e = s.head;
    if (what === 'cancel' && !confirm(`Cancel entry ${e.id} (${e.kind}, stream ${s.stream})? It will never be sent, and the stream goes on with its next entry.`)) return;
    try {
      await post(`/api/v1/sync/entries/${encodeURIComponent(e.id)}/${what}`);
      flash('success', what === 'retry' ? `Entry ${e.id} goes again now.` : `Entry ${e.id} cancelled: stream ${s.stream} goes on.`);
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 409) flash('info', `Entry ${e.id} was delivered or cancelled meanwhile.`);
      else if (ex instanceof ApiError && ex.status === 404) flash('info', `Entry ${e.id} no longer exists.`);
      else flash('error', ex.message);
    }
    await load();
    // The row's buttons are gone once the entry left the list: keep focus on the outcome.
    if (!body.contains(document.activeElement)) msg.focus();
  }

  function refusedTable(st) {
    const blocked = st.streams.filter((s) => s.blocked);
    if (!blocked.length) return h('p.muted#cloud-none-refused', 'No entry is refused: every stream can go on.');
    return h('table.data', h('caption.sr-only', 'Entries refused by a cloud service'),
      h('thead', h('tr', ['Entry', 'Stream', 'Service\'s reason', 'Waiting', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', blocked.map((s) => h('tr', { 'data-entry': s.head.id },
        h('th', { scope: 'row' }, s.head.kind, h('span.sub', `${s.head.id} · seq ${s.head.seq} · to ${s.head.recipient}`)),
        h('td', s.stream, h('span.sub', `${s.backlog} ${s.backlog === 1 ? 'entry' : 'entries'} held`)),
        h('td', h('code.reason', s.head.lastError || 'refused'), h('span.sub', explainReason(s.head.lastError))),
        h('td', `${ageText(s.oldestEntryAgeSeconds)}`, h('span.sub', `written ${formatTime(s.head.createdAt)}`)),
        h('td', h('div.row-actions',
          h('button.btn.small.primary', { type: 'button', 'data-key': `retry-${s.head.id}`, 'aria-label': `Retry entry ${s.head.id}`, onclick: () => act(s, 'retry') }, 'Retry'),
          h('button.btn.small.danger', { type: 'button', 'data-key': `cancel-${s.head.id}`, 'aria-label': `Cancel entry ${s.head.id}`, onclick: () => act(s, 'cancel') }, 'Cancel')))))));
  }

  async function enrol(code, boxName) {
    try {
      await post('/api/v1/sync/enrol', { code, boxName });
      flash('success', 'The box is enrolled with the cloud.');
    } catch (ex) {
      flash('error', ex instanceof ApiError && ex.status === 422
        ? `The cloud refused the enrolment: check the code (${ex.message}).`
        : ex.message);
    }
    lastLinkKey = '';
    await load();
  }

  async function loadLink() {
    let link;
    try {
      link = await get('/api/v1/sync/link');
    } catch (e) {
      clear(linkBox).append(h('div.notice.error', { role: 'alert' }, `The enrolment could not be loaded: ${e.message}`));
      return;
    }
    const key = JSON.stringify(link);
    if (key === lastLinkKey) return;
    const typing = linkBox.contains(document.activeElement) && document.activeElement.tagName === 'INPUT';
    lastLinkKey = key;
    if (!typing) clear(linkBox).append(linkCard(link, enrol));
    clear(inboundBox).append(refusedInboundTable(link));
  }

  async function load() {
    await loadLink();
    let st;
    try {
      st = await get(`/api/v1/sync/status${query({ limit: 200 })}`);
    } catch (e) {
      clear(factsBox);
      factsBox.append(e instanceof ApiError && e.status === 404
        ? h('div.notice.info', { role: 'status' }, 'The cloud link is not available on this box yet.')
        : h('div.notice.error', { role: 'alert' }, `The cloud link status could not be loaded: ${e.message}`));
      return;
    }
    // The backlog of refused streams per kind: the part of each bar an admin must act on.
    const blockedBacklog = new Map();
    for (const s of st.streams) if (s.blocked) blockedBacklog.set(s.streamKind, (blockedBacklog.get(s.streamKind) || 0) + s.backlog);
    const kinds = st.byStreamKind.map((k) => ({ ...k, blockedBacklog: blockedBacklog.get(k.streamKind) || 0 }));
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}${st.streamsTruncated ? ` · the ${st.streams.length} streams listed first of ${st.streamCount}` : ''}`;
    const key = JSON.stringify([st.backlog, st.lastSuccessAt, st.lastError, st.lastErrorAt, kinds,
      st.streams.filter((s) => s.blocked).map((s) => [s.head.id, s.head.lastError, s.backlog])]);
    if (key === lastKey) {
      for (const t of body.querySelectorAll('time[datetime]')) t.textContent = formatAge(t.getAttribute('datetime'));
      return;
    }
    const first = lastKey === '';
    lastKey = key;
    const focusKey = document.activeElement && body.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
    clear(factsBox).append(facts(st));
    drawChart(kinds);
    clear(refusedBox).append(refusedTable(st));
    if (focusKey) {
      const el = body.querySelector(`[data-key="${focusKey}"]`);
      if (el) el.focus();
    }
    if (!first && st.blockedStreams > 0) announce(`${st.blockedStreams} cloud ${st.blockedStreams === 1 ? 'stream is' : 'streams are'} stopped by a refused entry`);
  }

  async function tick() {
    if (stopped) return;
    await load();
    if (!stopped) timer = setTimeout(tick, REFRESH_MS);
  }

  body.append(
    h('section.card', { 'aria-labelledby': 'cloud-box' }, h('h2#cloud-box', 'Enrolment and license'), linkBox),
    h('section.card', { 'aria-labelledby': 'cloud-status' }, h('h2#cloud-status', 'Link status'), factsBox),
    h('section.card.chart', { 'aria-labelledby': 'cloud-chart-title' },
      h('div.chart-head', h('h2#cloud-chart-title', 'Backlog by stream kind')), chartBox, chartNote,
      h('ul.chart-legend', h('li', h('span.swatch.sw-0'), 'Entries waiting'), h('li', h('span.swatch.sw-refused'), 'In streams stopped by a refused entry'))),
    h('section.card', { 'aria-labelledby': 'cloud-refused-title' },
      h('div.card-head', h('h2#cloud-refused-title', 'Refused entries'),
        h('button.btn.small', { type: 'button', onclick: () => load() }, 'Refresh now')),
      h('p.muted', 'A service refused these entries for good; each stops its stream until you act. Retry sends the same entry again; Cancel gives up on it and the stream goes on.'),
      msg, refusedBox),
    h('section.card', { 'aria-labelledby': 'cloud-inbound-title' },
      h('h2#cloud-inbound-title', 'Refused messages'),
      h('p.muted', 'Messages from the services the box did not apply: forged or tampered, signed by an unknown key, not for this box, or too old to tell from a replay. Nothing of their content is kept.'),
      inboundBox),
    updated,
  );
  await tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (plot) { plot.destroy(); ro.disconnect(); }
  };
}
