// Idle-timeout warning. The server ends a session after `idleTimeoutSeconds` without a person's
// action (a state-changing request or a refresh; the page's own reads do not count); two
// minutes before that the portal asks "Stay signed in?". Interaction (keys, pointer, touch) and
// being in a video call refresh the server session at most once a minute, so someone working
// never sees the warning, and an unattended screen signs itself out.

import { h } from './dom.js';
import { session, refresh, logout } from './api.js';

const WARN_BEFORE_MS = 120 * 1000;
let tick = null;
let lastRefresh = 0;
let dialog = null;
let countdown = null;

export function startIdleWatch() {
  stopIdleWatch();
  lastRefresh = Date.now();
  tick = setInterval(check, 1000);
  for (const ev of ['keydown', 'pointerdown', 'touchstart']) document.addEventListener(ev, activity, { passive: true });
}

export function stopIdleWatch() {
  if (tick) clearInterval(tick);
  tick = null;
  for (const ev of ['keydown', 'pointerdown', 'touchstart']) document.removeEventListener(ev, activity);
  closeDialog();
}

function remainingMs() {
  const s = session();
  if (!s || !s.idleExpiresAt) return Infinity;
  return new Date(s.idleExpiresAt).getTime() - Date.now();
}

/** A person is here though they neither type nor click (they are in a video call). */
export function noteActivity() {
  if (tick) activity();
}

function activity() {
  if (dialog && dialog.open) return; // the dialog's own buttons decide
  if (Date.now() - lastRefresh < 60 * 1000) return;
  lastRefresh = Date.now();
  refresh().catch(() => {});
}

function check() {
  const left = remainingMs();
  if (left <= 0) {
    closeDialog();
    stopIdleWatch();
    logout('expired'); // ends the server session too, so a reload does not bring it back
    return;
  }
  if (left <= WARN_BEFORE_MS) openDialog(left);
  else closeDialog();
  if (dialog && dialog.open && countdown) {
    const secs = Math.max(0, Math.ceil(left / 1000));
    countdown.textContent = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
  }
}

function openDialog() {
  if (dialog && dialog.open) return;
  if (!dialog) {
    countdown = h('strong.countdown', '2:00');
    const stay = h('button.btn.primary', { type: 'button', onclick: async () => {
      lastRefresh = Date.now();
      try { await refresh(); closeDialog(); } catch { closeDialog(); }
    } }, 'Stay signed in');
    const leave = h('button.btn', { type: 'button', onclick: () => { closeDialog(); logout(); } }, 'Sign out now');
    dialog = h('dialog.dialog#idle-dialog', { 'aria-labelledby': 'idle-title', 'aria-describedby': 'idle-text' },
      h('h2#idle-title', 'Are you still there?'),
      h('p#idle-text', 'For patient privacy you will be signed out in ', countdown, ' unless you stay signed in.'),
      h('div.actions', stay, leave));
    dialog.addEventListener('cancel', (e) => e.preventDefault());
    document.body.append(dialog);
  }
  dialog.showModal();
  dialog.querySelector('button.primary').focus();
}

function closeDialog() {
  if (dialog && dialog.open) dialog.close();
}

