// Escalations that reach a person (issue 17). While a provider, nurse or admin is signed in,
// whatever page is open: an alert escalated to them (or, for admins, escalated with nobody left
// in the chain) puts a banner above the page, plays a chime and shows a desktop notification,
// as this computer's settings say (Account page). Notifications carry no PHI (no patient name,
// no value): the severity and a link; the details come from the audited alert routes.

import { h } from './dom.js';
import { session } from './api.js';
import * as live from './live.js';

const KEY = 'vigil.escalation-alerts';

/** This computer's settings: { sound, desktop } (both on unless turned off). */
export function escalationSettings() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || '{}');
    return { sound: s.sound !== false, desktop: s.desktop !== false };
  } catch {
    return { sound: true, desktop: true };
  }
}

export function saveEscalationSettings(s) {
  localStorage.setItem(KEY, JSON.stringify({ sound: !!s.sound, desktop: !!s.desktop }));
}

let audio = null;

/** Three rising tones (about 0.6 s), made in the browser: no sound file to serve. */
export function chime() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return false;
  audio = audio || new Ctx();
  if (audio.state === 'suspended') audio.resume();
  const t0 = audio.currentTime;
  [660, 880, 1175].forEach((f, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = f;
    gain.gain.setValueAtTime(0.0001, t0 + i * 0.2);
    gain.gain.exponentialRampToValueAtTime(0.3, t0 + i * 0.2 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.2 + 0.18);
    osc.connect(gain).connect(audio.destination);
    osc.start(t0 + i * 0.2);
    osc.stop(t0 + i * 0.2 + 0.2);
  });
  return true;
}

/** Shows a desktop notification if allowed here; false otherwise. */
export function desktopNotify(title, body, tag, onClick) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return false;
  const n = new Notification(title, { body, tag, requireInteraction: true });
  n.onclick = () => { window.focus(); if (onClick) onClick(); n.close(); };
  return true;
}

const SEVERITY = { critical: 'Critical', high: 'High-priority', low: 'Low-priority', info: 'Informational' };

let unsubscribe = null;
let host = null;

function banner(evt, title, text, href) {
  if (!host) return;
  const existing = host.querySelector(`[data-alert-id="${evt.alertId}"]`);
  if (existing) existing.remove();
  const close = h('button.btn.small.ghost', { type: 'button', 'aria-label': 'Dismiss' }, 'Dismiss');
  const el = h(`div.notice.escalation.sev-border-${evt.severity}`, { role: 'alert', 'data-alert-id': evt.alertId },
    h('strong', title), ` ${text} `, h('a', { href }, 'Open'), ' ', close);
  close.addEventListener('click', () => el.remove());
  el.querySelector('a').addEventListener('click', () => el.remove());
  host.prepend(el);
}

function onEvent(evt) {
  const s = session();
  if (!s || evt.type !== 'alert.changed' || evt.change !== 'escalated') return;
  const me = s.user;
  const sev = SEVERITY[evt.severity] || 'An';
  let title;
  let text;
  let href;
  if (evt.assignee === me.id) {
    title = `${sev} alert escalated to you.`;
    text = `Not acknowledged in time by the previous person (escalation ${evt.escalationLevel}).`;
    href = me.role === 'admin' ? '#/admin/escalation' : '#/queue';
  } else if ((evt.assignee === null || evt.assignee === undefined) && me.role === 'admin') {
    title = `${sev} alert: nobody left to escalate to.`;
    text = 'Everyone in its escalation chain was tried. Find a clinician to take it.';
    href = '#/admin/escalation';
  } else {
    return;
  }
  banner(evt, title, text, href);
  const settings = escalationSettings();
  if (settings.sound) chime();
  if (settings.desktop) desktopNotify(title, text, `alert-${evt.alertId}`, () => { location.hash = href; });
}

/** Starts listening for the signed-in staff member; banners go into `bannerHost`. */
export function startEscalationWatch(bannerHost) {
  stopEscalationWatch();
  const s = session();
  if (!s || !['provider', 'nurse', 'admin'].includes(s.user.role)) return;
  host = bannerHost;
  unsubscribe = live.subscribe(onEvent);
}

export function stopEscalationWatch() {
  if (unsubscribe) unsubscribe();
  unsubscribe = null;
  if (host) host.replaceChildren();
  host = null;
}
