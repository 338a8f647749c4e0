// The worklist (issue 23, docs/notes.md "The worklist"): a provider's or nurse's work in one
// place: alerts routed to or claimed by them (and nobody's on their patients), today's visits,
// their drafts, nurses' notes to co-sign, RPM monthly reviews due, async cases. Each item links
// to where the work is done. Live: reloads after events about alerts or work.

import { h, clear } from '../dom.js';
import { get } from '../api.js';
import { formatTime, formatAge } from '../format.js';
import * as live from '../live.js';
import { zone, refreshSoon } from '../worklist_badge.js';

const SECTIONS = [
  ['alert', 'Alerts', 'No alerts for you.'],
  ['case', 'Async cases', 'No open cases.'],
  ['visit', 'Visits today', 'No visits today.'],
  ['cosign', 'Notes to co-sign', 'Nothing to co-sign.'],
  ['draft', 'Drafts to finish', 'No drafts.'],
  ['review', 'RPM monthly reviews due', 'No reviews due this month.'],
];

function linkFor(item) {
  switch (item.kind) {
    case 'alert': return ['#/queue', 'Open the queue'];
    case 'case': return [`#/cases/${item.ref}`, 'Open the case'];
    case 'visit': return [`#/visits/${item.ref}`, 'Open the visit'];
    case 'cosign': return [`#/patients/${item.patientId}/notes/${item.ref}`, 'Review and co-sign'];
    case 'draft': return [`#/patients/${item.patientId}/notes/${item.ref}`, 'Open the draft'];
    case 'review': return [`#/patients/${item.patientId}/notes`, 'Write the review'];
    default: return [`#/patients/${item.patientId}`, 'Open the chart'];
  }
}

function whenText(item) {
  switch (item.kind) {
    case 'visit': return `starts ${formatTime(item.at)}`;
    case 'review': return `month ${item.detail}`;
    case 'case': return `due ${formatTime(item.at)}`;
    case 'cosign': return `submitted ${formatAge(item.at)}`;
    case 'draft': return `started ${formatAge(item.at)}`;
    default: return formatAge(item.at);
  }
}

export async function renderWorklist(root) {
  clear(root);
  const summary = h('p.queue-summary', { role: 'status' });
  const body = h('div.worklist');
  root.append(h('section.page', h('div.page-head', h('h1', 'Worklist'), summary), body));
  document.title = 'Worklist — Vigil';

  async function load() {
    const data = await get(`/api/v1/worklist?tz=${encodeURIComponent(zone())}`);
    clear(body);
    const c = data.counts;
    summary.textContent = c.total === 0 ? 'Nothing waiting for you.' : `${c.total} item${c.total === 1 ? '' : 's'} waiting for you.`;
    for (const [kind, title, empty] of SECTIONS) {
      const items = data.items.filter((i) => i.kind === kind);
      const id = `wl-${kind}`;
      const section = h(`section.card.worklist-section#${id}`, { 'aria-labelledby': `${id}-title` },
        h(`h2#${id}-title`, title, ' ', h('span.badge.count', String(items.length))));
      if (!items.length) section.append(h('p.muted', empty));
      else {
        section.append(h('ul.worklist-items', items.map((i) => {
          const [href, label] = linkFor(i);
          return h(`li.worklist-item${i.urgent ? '.urgent' : ''}`, { 'data-kind': i.kind },
            h('a.patient-link', { href: `#/patients/${i.patientId}` }, i.patientName || `Patient ${i.patientId}`),
            h('span.detail', i.detail), h('span.muted.small', whenText(i)),
            h('a.btn.small', { href }, label));
        })));
      }
      body.append(section);
    }
  }

  await load();
  let again = null;
  const off = live.subscribe((evt) => {
    if (evt.type === 'work.changed' || evt.type === 'alert.raised' || evt.type === 'alert.changed' || evt.type === 'resync') {
      refreshSoon();
      if (!again) again = setTimeout(() => { again = null; if (root.isConnected) load().catch(() => {}); }, 400);
    }
  });
  return () => { off(); if (again) clearTimeout(again); };
}
