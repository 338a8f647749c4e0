// The clinic's default alert rules (issue 17): the limits every patient without their own
// thresholds is judged by. Clinical orders: providers change them (reason required, versioned
// and audited by the server); nurses and admins read them (`editable` false).

import { h } from '../dom.js';
import { get, put, ApiError } from '../api.js';
import { vitalLabel, unitLabel } from '../format.js';

function flash(box, kind, text) {
  box.hidden = false;
  box.className = `notice ${kind}`;
  box.textContent = text;
}

export async function renderRulesCard(body, { editable }) {
  const box = h('div');
  body.append(h('section.card', h('h2', 'Clinic default alert rules'),
    h('p.muted', editable
      ? 'Patients without their own thresholds use these. Each change is versioned and audited.'
      : 'Patients without their own thresholds use these. Only providers change them.'), box));
  try {
    const r = await get('/api/v1/alert-rules');
    const msg = h('div.notice', { role: 'status', hidden: true });
    const inputs = [];
    const table = h('table.data', h('caption.sr-only', 'Default rules'),
      h('thead', h('tr', ['Rule', 'Vital', 'Kind', 'Limits'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', r.rules.map((rule) => h('tr', h('th', { scope: 'row' }, rule.key), h('td', vitalLabel(rule.code)), h('td', rule.kind),
        h('td.limits', (rule.tiers || []).map((t, ti) => {
          const unit = rule.kind === 'missing_data' ? 'h' : unitLabel(rule.unit, rule.code);
          const cmp = rule.kind === 'missing_data' ? 'after' : ({ ge: '≥', gt: '>', le: '≤', lt: '<' })[rule.comparison] || '';
          const input = h('input.tiny', { type: 'number', step: 'any', value: String(t.limit), 'aria-label': `${rule.key} ${t.severity} limit`, disabled: !editable });
          inputs.push({ rule, ti, input });
          return h('span.limit', `${t.severity} ${cmp} `, input, ` ${unit}`);
        }))))));
    box.append(h('div.table-wrap', table), msg);
    if (!editable) return;
    const reason = h('input#rules-reason', { type: 'text', maxlength: 500 });
    const save = h('button.btn.primary', { type: 'button' }, 'Save changes');
    save.addEventListener('click', async () => {
      const changed = new Map();
      for (const { rule, ti, input } of inputs) {
        const v = Number(input.value);
        if (v !== rule.tiers[ti].limit) {
          const c = changed.get(rule.key) || { ...rule, tiers: rule.tiers.map((t) => ({ ...t })) };
          c.tiers[ti].limit = v;
          changed.set(rule.key, c);
        }
      }
      if (!changed.size) { flash(msg, 'info', 'Nothing changed.'); return; }
      if (!reason.value.trim()) { flash(msg, 'error', 'Give a reason for the change (kept in the audit trail).'); reason.focus(); return; }
      try { await put('/api/v1/alert-rules', { rules: [...changed.values()], reason: reason.value.trim() }); flash(msg, 'success', 'Saved.'); } catch (ex) { flash(msg, 'error', ex.message); }
    });
    box.append(h('div.field', h('label', { for: 'rules-reason' }, 'Reason for the change'), reason), h('div.actions', save));
  } catch (e) {
    const text = e instanceof ApiError && (e.status === 404 || e.status === 503) ? 'Alert rule management is not available on this box yet.' : e.message;
    box.append(h('div.notice.error', { role: 'alert' }, text));
  }
}

export async function renderRules(root, { editable }) {
  root.replaceChildren();
  const body = h('div');
  root.append(h('section.page', h('div.page-head', h('h1', 'Alert rules')), body));
  await renderRulesCard(body, { editable });
}
