// A provider's calendar feed (issue 22, docs/scheduling.md#calendar-feed), on the schedule page:
// make the secret iCalendar URL (shown once, to paste into Outlook, Google or Apple Calendar),
// make a new one (the old one stops working) or turn it off, and the opt-in to show patients'
// names in the events (PHI on the provider's calendar: off by default, warned about, and every
// fetch with names is audited). Providers see their own; admins pick the provider.

import { h, clear, append, announce } from '../dom.js';
import { get, post, put, del, ApiError } from '../api.js';

function errorText(e) {
  return e instanceof ApiError ? e.message : 'Something went wrong. Try again.';
}

/** The "Calendar feed" card for one of `providers` ({userId, displayName}). */
export function calendarFeedSection(providers, initialProvider) {
  const box = h('section.card.calendar-feed', { 'aria-labelledby': 'feed-title', 'data-testid': 'calendar-feed' });
  const pick = h('select', { 'aria-label': 'Provider' }, providers.map((p) => h('option', { value: p.userId }, p.displayName)));
  if (initialProvider) pick.value = String(initialProvider);
  const status = h('p.hint', { 'aria-live': 'polite', 'data-testid': 'feed-status' });
  const urlArea = h('div.feed-url');
  const names = h('input#feed-names', { type: 'checkbox', 'data-testid': 'feed-names' });
  const makeBtn = h('button.btn.small', { type: 'button', 'data-testid': 'feed-make' }, 'Create feed URL');
  const offBtn = h('button.btn.small.ghost', { type: 'button', 'data-testid': 'feed-revoke' }, 'Turn off');
  const error = h('p.error', { role: 'alert' });
  const base = () => `/api/v1/providers/${pick.value}/calendar-feed`;

  function show(state) {
    names.checked = !!state.includeNames;
    makeBtn.textContent = state.active ? 'Make a new URL (the old one stops working)' : 'Create feed URL';
    offBtn.hidden = !state.active;
    status.textContent = state.active
      ? `On since ${new Date(state.issuedAt).toLocaleString()}. The URL was shown once when made; make a new one if it is lost.`
      : 'Off: no calendar can read this schedule.';
  }

  async function reload() {
    error.textContent = '';
    clear(urlArea);
    show(await get(base()));
  }

  makeBtn.addEventListener('click', async () => {
    error.textContent = '';
    try {
      const made = await post(base(), {});
      show(made);
      const field = h('input.feed-url-text', { type: 'text', readonly: true, value: made.url, 'aria-label': 'Calendar feed URL', 'data-testid': 'feed-url', size: 60 });
      const copy = h('button.btn.small.ghost', { type: 'button', onclick: async () => {
        field.select();
        try { await navigator.clipboard.writeText(made.url); announce('Copied'); } catch { /* selected for a manual copy */ }
      } }, 'Copy');
      clear(urlArea).append(h('p.notice', 'Subscribe to this URL in your calendar app. It is shown only now, and anyone who has it can read your schedule: keep it private.'), h('div.inline', field, copy));
      announce('Calendar feed URL made');
    } catch (e) {
      error.textContent = errorText(e);
    }
  });
  offBtn.addEventListener('click', async () => {
    try {
      await del(base());
      announce('Calendar feed turned off');
      await reload();
    } catch (e) {
      error.textContent = errorText(e);
    }
  });
  names.addEventListener('change', async () => {
    try {
      show(await put(`${base()}/settings`, { includeNames: names.checked }));
      announce(names.checked ? 'Patient names will be shown in the feed' : 'Patient names removed from the feed');
    } catch (e) {
      names.checked = !names.checked;
      error.textContent = errorText(e);
    }
  });
  pick.addEventListener('change', () => reload().catch((e) => { error.textContent = errorText(e); }));

  append(box, [
    h('h2#feed-title', 'Calendar feed'),
    h('p.muted', 'Your booked appointments (30 days back, 180 ahead) in any calendar app, through a secret URL. Events show the type of visit only.'),
    providers.length > 1 ? h('div.field', pick) : null,
    status,
    h('div.inline', makeBtn, offBtn),
    urlArea,
    h('div.check', names, h('label', { for: 'feed-names' }, 'Show patients\' names in the events')),
    h('p.hint', 'Names are patient health information: they then sit in your calendar app and its cloud. Every fetch that shows names is recorded in the audit log.'),
    error]);
  reload().catch((e) => { error.textContent = errorText(e); });
  return box;
}
