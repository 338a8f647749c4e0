// The patient list: latest vitals per patient and their open-alert flag. Find searches on the
// server (?q=: a name prefix of 3+ letters, a whole short name, an MRN or a birth date
// YYYY-MM-DD, through blind indexes; docs/patients.md#search); the list is already limited to
// the caller's care team by the server.

import { h, clear } from '../dom.js';
import { get, query, ApiError } from '../api.js';
import { LIST_CODES, VITALS, formatLatest, formatAge, patientName, severityBadge } from '../format.js';
import * as live from '../live.js';

export async function renderPatients(root) {
  clear(root);
  const search = h('input#p-search', { type: 'search', placeholder: 'Name, MRN or birth date (YYYY-MM-DD)', autocomplete: 'off', maxLength: 100 });
  const searchNote = h('p.hint', { role: 'status' });
  const table = h('div.table-wrap');
  root.append(h('section.page', h('div.page-head', h('h1', 'Patients')),
    h('div.filters', h('div.field.inline', h('label', { for: 'p-search' }, 'Find'), search), searchNote), table));
  let patients = [];

  async function load() {
    const q = search.value.trim();
    searchNote.textContent = '';
    try {
      const page = await get(`/api/v1/patients${query(q ? { pageSize: 200, q } : { pageSize: 200 })}`);
      patients = page.items || [];
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 422) throw err;
      patients = [];
      searchNote.textContent = 'Type a name (3 letters or more), an MRN or a birth date YYYY-MM-DD (at most 4 words).';
    }
    draw();
  }

  function draw() {
    const rows = patients;
    clear(table);
    if (rows.length === 0) {
      const searching = search.value.trim() !== '';
      table.append(h('div.empty', h('p.empty-title', searching ? 'No patient matches' : 'No patients yet'),
        h('p.muted', searching ? 'Try another name, MRN or birth date.' : 'Patients on your care team appear here.')));
      return;
    }
    table.append(h('table.data', h('caption.sr-only', 'Patients with their latest readings'),
      h('thead', h('tr', h('th', { scope: 'col' }, 'Patient'), h('th', { scope: 'col' }, 'Alerts'),
        LIST_CODES.map((c) => h('th.num', { scope: 'col' }, `${VITALS[c].short} (${VITALS[c].unit})`)), h('th', { scope: 'col' }, 'Last reading'))),
      h('tbody', rows.map((p) => {
        const latest = p.latest || {};
        const times = Object.values(latest).map((r) => new Date(r.at).getTime()).filter((t) => !Number.isNaN(t));
        const last = times.length ? Math.max(...times) : null;
        const flag = p.openAlerts && p.openAlerts.count > 0
          ? h('span.flag', severityBadge(p.openAlerts.worstSeverity), ` ${p.openAlerts.count} open`) : h('span.muted', 'None');
        return h('tr', { 'data-patient-id': p.id },
          h('th', { scope: 'row' }, h('a', { href: `#/patients/${p.id}` }, patientName(p)), h('span.sub', p.mrn ? `MRN ${p.mrn}` : '')),
          h('td', flag),
          LIST_CODES.map((c) => h(`td.num${latest[c] && latest[c].flags ? '.flagged' : ''}`, formatLatest(c, latest[c]))),
          h('td', last ? formatAge(last) : h('span.muted', 'No readings')));
      }))));
  }

  let typing = null;
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => load().catch(() => {}), 300); });
  let debounce = null;
  const unsubscribe = live.subscribe((evt) => {
    if (evt.type === 'reading.stored' || evt.type === 'alert.raised' || evt.type === 'alert.changed' || evt.type === 'resync') {
      clearTimeout(debounce);
      debounce = setTimeout(() => load().catch(() => {}), 500);
    }
  });
  await load();
  return () => { unsubscribe(); clearTimeout(debounce); };
}
