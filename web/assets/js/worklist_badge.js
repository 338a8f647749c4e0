// The worklist's count in the navigation and the tab title (issue 23, docs/notes.md "The
// worklist"): providers and nurses see "Worklist 3" in the bar and "(3) …" before the page's
// title. The count comes from GET /api/v1/worklist/counts (no PHI) with the browser's own time
// zone, asked again after each live event about alerts or work (debounced) and every minute.
// Reads do not count as activity for the idle timeout (the gate touches sessions only on
// changes), so this never keeps an unattended session alive.

import { get } from './api.js';
import * as live from './live.js';

let count = 0;
let badges = new Set();
let timer = null;
let pending = null;
let unsubscribe = null;
let titleObserver = null;

export function zone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

function applyTitle() {
  const base = document.title.replace(/^\(\d+\) /, '');
  const want = count > 0 ? `(${count}) ${base}` : base;
  if (document.title !== want) document.title = want;
}

function show() {
  for (const b of badges) {
    b.textContent = count > 0 ? String(count) : '';
    b.hidden = count === 0;
    b.setAttribute('aria-label', `${count} item${count === 1 ? '' : 's'} to do`);
  }
  applyTitle();
}

async function refresh() {
  try {
    const c = await get(`/api/v1/worklist/counts?tz=${encodeURIComponent(zone())}`);
    count = c.total;
    show();
  } catch { /* signed out or offline: keep the last count */ }
}

/** Asks for the counts again soon (several events in a burst make one request). */
export function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; refresh(); }, 400);
}

/** Registers a badge element and starts counting (idempotent). */
export function attach(badge) {
  for (const b of badges) if (!b.isConnected) badges.delete(b);  // the bar is rebuilt on navigation
  badges.add(badge);
  show();
  if (timer) return;
  refresh();
  timer = setInterval(refresh, 60000);
  unsubscribe = live.subscribe((evt) => {
    if (evt.type === 'work.changed' || evt.type === 'alert.raised' || evt.type === 'alert.changed' || evt.type === 'resync') refreshSoon();
  });
  const title = document.querySelector('title');
  if (title) {
    titleObserver = new MutationObserver(applyTitle);
    titleObserver.observe(title, { childList: true, characterData: true, subtree: true });
  }
}

/** Stops counting (sign-out). */
export function detach() {
  if (timer) clearInterval(timer);
  if (pending) clearTimeout(pending);
  if (unsubscribe) unsubscribe();
  if (titleObserver) titleObserver.disconnect();
  timer = pending = unsubscribe = titleObserver = null;
  badges = new Set();
  count = 0;
  document.title = document.title.replace(/^\(\d+\) /, '');
}
