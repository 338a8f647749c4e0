// The provider's alert queue: sorted by severity then age (the server sorts), live through the
// event stream (new and changed alerts appear without reload), with claim / acknowledge /
// resolve-with-note / snooze on each alert. Each alert reads clinically (the server's title:
// "Systolic BP high — critical, 180 mmHg"); a patient's open alerts on one vital are one group
// under the most severe, and resolving it may resolve the whole group (issue 17).

import { h, clear, field, announce } from '../dom.js';
import { get, post, query, session, ApiError } from '../api.js';
import { severityBadge, stateBadge, formatAge, formatTime, vitalLabel, fmtNum, unitLabel, SEVERITIES } from '../format.js';
import * as live from '../live.js';

export async function renderQueue(root) {
  clear(root);
  const filters = { status: 'open,claimed,acknowledged,escalated', severity: '', assignee: '' };
  const list = h('div.queue', { 'aria-live': 'off' });
  const summary = h('p.queue-summary', { role: 'status' });
  const flash = h('div.notice', { role: 'alert', hidden: true });
  const sevSel = h('select#f-sev', h('option', { value: '' }, 'All severities'), SEVERITIES.map((s) => h('option', { value: s }, s[0].toUpperCase() + s.slice(1))));
  const stateSel = h('select#f-state',
    h('option', { value: 'open,claimed,acknowledged,escalated' }, 'Needs attention'),
    h('option', { value: 'open,escalated' }, 'Unclaimed'),
    h('option', { value: 'resolved' }, 'Resolved'));
  const mine = h('input#f-mine', { type: 'checkbox' });
  const bar = h('form.filters', { 'aria-label': 'Filter alerts' },
    h('div.field.inline', h('label', { for: 'f-state' }, 'Show'), stateSel),
    h('div.field.inline', h('label', { for: 'f-sev' }, 'Severity'), sevSel),
    h('div.check', mine, h('label', { for: 'f-mine' }, 'Mine (claimed by or assigned to me)')));
  bar.addEventListener('change', () => {
    filters.status = stateSel.value;
    filters.severity = sevSel.value;
    filters.assignee = mine.checked ? 'me' : '';
    load();
  });
  bar.addEventListener('submit', (e) => e.preventDefault());
  root.append(h('section.page', h('div.page-head', h('h1', 'Alert queue'), summary), bar, flash, list));

  const known = new Map(); // id -> "state/count": to highlight what is new or changed
  let first = true;
  let loading = null;
  let again = false;

  async function load() {
    if (loading) { again = true; return; }
    loading = (async () => {
      try {
        const page = await get(`/api/v1/alerts${query({ ...filters, pageSize: 100 })}`);
        draw(page);
      } catch (e) {
        clear(list).append(h('div.notice.error', { role: 'alert' },
          e instanceof ApiError && e.status === 404 ? 'The alert service is not running on this box.' : e.message));
      }
    })();
    await loading;
    loading = null;
    if (again) { again = false; load(); }
  }

  function draw(page) {
    const items = page.items || [];
    summary.textContent = items.length === 0 ? 'No alerts need attention.'
      : `${page.total} alert${page.total === 1 ? '' : 's'} · ${items.filter((a) => a.severity === 'critical').length} critical`;
    clear(list);
    if (items.length === 0) {
      list.append(h('div.empty', h('p.empty-title', 'All clear'), h('p.muted', 'New alerts appear here as readings arrive.')));
    }
    const fresh = [];
    // Group a patient's open alerts on the same vital under the first (the most severe: the
    // server sorts by severity, then age).
    const groups = new Map();
    for (const a of items) {
      const key = a.state === 'resolved' ? `id:${a.id}` : `${a.patientId}/${a.code}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(a);
    }
    for (const group of groups.values()) {
      const [head, ...rest] = group;
      for (const a of group) {
        const sig = `${a.state}/${a.count}`;
        const isNew = !first && known.get(a.id) !== sig;
        known.set(a.id, sig);
        if (isNew) fresh.push(a);
      }
      const isNew = fresh.includes(head);
      list.append(alertRow(head, isNew, rest));
    }
    if (fresh.length) {
      const a = fresh[0];
      announce(`${a.title || vitalLabel(a.code)} for ${a.patientName || `patient ${a.patientId}`}`);
    }
    first = false;
  }

  function alertRow(a, isNew, related = []) {
    const me = session().user.id;
    const actions = h('div.row-actions');
    const act = (label, fn, cls = '') => h(`button.btn.small${cls}`, { type: 'button', onclick: fn, 'aria-label': `${label}: alert ${a.id}` }, label);
    if (a.state === 'open' || a.state === 'escalated') actions.append(act('Claim', () => transition(a, 'claim'), '.primary'));
    if (a.state === 'claimed' && a.claimedBy === me) actions.append(act('Acknowledge', () => transition(a, 'acknowledge'), '.primary'));
    if ((a.state === 'claimed' || a.state === 'acknowledged') && a.claimedBy === me) actions.append(act('Resolve…', () => resolveDialog(a, related)));
    if (a.state !== 'resolved') actions.append(act('Snooze…', () => snoozeDialog(a), '.ghost'));
    const value = a.kind === 'missing_data' ? null
      : a.count > 1 ? `${a.count} readings · latest ${fmtNum(a.latestValue)} ${unitLabel(a.unit, a.code)}` : null;
    const claimer = a.claimedBy ? (a.claimedBy === me ? ' · claimed by you' : ` · claimed by ${a.claimedByName || 'another user'}`) : '';
    const assignee = a.assignee && !a.claimedBy ? ` · assigned to ${a.assignee === me ? 'you' : a.assigneeName || 'another user'}` : '';
    // Escalation on the alert itself (issue 17): how often, and when nobody was left.
    const escalation = a.escalationLevel > 0 ? h(`span.escalation-info${a.unassignedEscalation ? '.nobody' : ''}`,
      ` · escalated ${a.escalationLevel}×${a.unassignedEscalation ? ', nobody left in the chain' : ''}`) : '';
    const others = related.length ? h('details.alert-group',
      h('summary', `${related.length} more open alert${related.length === 1 ? '' : 's'} on ${vitalLabel(a.code)}`),
      h('ul', related.map((r) => h('li', { 'data-alert-id': r.id }, severityBadge(r.severity), ` ${r.title || vitalLabel(r.code)} · `, stateBadge(r.state))))) : null;
    return h(`article.alert.sev-border-${a.severity}${isNew ? '.fresh' : ''}`, { 'data-alert-id': a.id, 'aria-labelledby': `al-${a.id}` },
      h('div.alert-sev', severityBadge(a.severity)),
      h('div.alert-main',
        h('h2.alert-title#al-' + a.id, h('a', { href: `#/patients/${a.patientId}` }, a.patientName || `Patient ${a.patientId}`),
          h('span.alert-what', ` · ${a.title || vitalLabel(a.code)}`)),
        value ? h('p.alert-value', value) : null,
        h('p.alert-meta', stateBadge(a.state), ` Raised ${formatAge(a.raisedAt)} · ${formatTime(a.lastObservedAt)}`,
          claimer, assignee, escalation,
          a.resolutionNote ? h('span.note', ` · Note: ${a.resolutionNote}`) : ''),
        others),
      actions);
  }

  async function transition(a, what, body) {
    flash.hidden = true;
    try {
      await post(`/api/v1/alerts/${a.id}/${what}`, body);
      announce(`Alert ${what === 'claim' ? 'claimed' : what === 'acknowledge' ? 'acknowledged' : what === 'resolve' ? 'resolved' : 'snoozed'}`);
    } catch (e) {
      flash.hidden = false;
      flash.className = 'notice error';
      flash.textContent = e.code === 'wrong_state' ? 'Someone else has already taken this alert.'
        : e.code === 'not_claimer' ? 'This alert is claimed by someone else.' : e.message;
    }
    load();
  }

  function dialog(title, fields, submitLabel, onSubmit) {
    const err = h('div.notice.error', { role: 'alert', hidden: true });
    const ok = h('button.btn.primary', { type: 'submit' }, submitLabel);
    const cancel = h('button.btn', { type: 'button' }, 'Cancel');
    const form = h('form.form', { method: 'dialog' }, fields.map((f) => f.el), err, h('div.actions', ok, cancel));
    const d = h('dialog.dialog', { 'aria-label': title }, h('h2', title), form);
    cancel.addEventListener('click', () => d.close());
    d.addEventListener('close', () => d.remove());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const msg = await onSubmit();
      if (msg) { err.hidden = false; err.textContent = msg; return; }
      d.close();
    });
    document.body.append(d);
    d.showModal();
    fields[0].input.focus();
  }

  function resolveDialog(a, related = []) {
    const note = field('Resolution note (required)', { tag: 'textarea', rows: 4, required: true, maxlength: 2000 },
      'What you did: e.g. called the patient, medication adjusted. Visible in the audit trail.');
    const fields = [note];
    let group = null;
    if (related.length) {
      group = h('input#resolve-group', { type: 'checkbox', checked: true });
      const el = h('div.check', group, h('label', { for: 'resolve-group' },
        `Also resolve the ${related.length} other open ${vitalLabel(a.code)} alert${related.length === 1 ? '' : 's'} of this patient with this note`));
      fields.push({ el, input: group });
    }
    dialog(`Resolve: ${a.title || vitalLabel(a.code)}`, fields, 'Resolve', async () => {
      if (!note.input.value.trim()) return 'A note is required to resolve an alert.';
      await transition(a, 'resolve', { note: note.input.value.trim(), group: !!(group && group.checked) });
      return null;
    });
  }

  function snoozeDialog(a) {
    const dur = field('Snooze for', { tag: 'select' });
    for (const [v, l] of [[1, '1 hour'], [4, '4 hours'], [12, '12 hours'], [24, '24 hours'], [72, '3 days']]) dur.input.append(h('option', { value: v }, l));
    const reason = field('Reason (required)', { tag: 'textarea', rows: 3, required: true, maxlength: 500 });
    dialog(`Snooze ${vitalLabel(a.code)} alerts for this patient`, [dur, reason], 'Snooze', async () => {
      if (!reason.input.value.trim()) return 'A reason is required.';
      const until = new Date(Date.now() + Number(dur.input.value) * 3600 * 1000).toISOString();
      await transition(a, 'snooze', { until, reason: reason.input.value.trim() });
      return null;
    });
  }

  let debounce = null;
  const unsubscribe = live.subscribe((evt) => {
    if (evt.type === 'alert.raised' || evt.type === 'alert.changed' || evt.type === 'resync') {
      clearTimeout(debounce);
      debounce = setTimeout(load, 100);
    }
  });
  const ageTimer = setInterval(() => {
    for (const el of list.querySelectorAll('.alert-meta')) el.dataset.tick = Date.now();
  }, 30000);
  await load();
  return () => { unsubscribe(); clearInterval(ageTimer); clearTimeout(debounce); };
}
