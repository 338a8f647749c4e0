// The signed-in user's account: password change (ends every session), where they are signed in
// (and ending any of those sessions), second-factor status and,
// for staff, how this computer announces an alert escalated to them (issue 17).

import { h, clear, field, announce } from '../dom.js';
import { get, post, del, session, sessionEnded } from '../api.js';
import { escalationSettings, saveEscalationSettings, chime, desktopNotify } from '../escalations.js';
import { reminderSettingsCard } from './reminders.js';

/** Sound and desktop notification for escalations, kept in this browser (a ward PC may be mute). */
function escalationSettingsCard() {
  const s = escalationSettings();
  const sound = h('input#esc-sound', { type: 'checkbox', checked: s.sound });
  const desktop = h('input#esc-desktop', { type: 'checkbox', checked: s.desktop });
  const status = h('p.muted#esc-permission');
  const showPermission = () => {
    status.textContent = !('Notification' in window) ? 'This browser cannot show desktop notifications.'
      : Notification.permission === 'granted' ? 'Desktop notifications are allowed for this portal.'
        : Notification.permission === 'denied' ? 'Desktop notifications are blocked for this portal in the browser settings.'
          : 'The browser will ask to allow desktop notifications.';
  };
  const store = async () => {
    saveEscalationSettings({ sound: sound.checked, desktop: desktop.checked });
    if (desktop.checked && 'Notification' in window && Notification.permission === 'default') await Notification.requestPermission();
    showPermission();
    announce('Escalation alert settings saved.');
  };
  sound.addEventListener('change', store);
  desktop.addEventListener('change', store);
  const test = h('button.btn.small', { type: 'button' }, 'Test');
  test.addEventListener('click', () => {
    if (sound.checked) chime();
    if (desktop.checked) desktopNotify('Vigil test', 'This is how an escalated alert is announced.', 'vigil-test');
  });
  showPermission();
  return h('div.card#escalation-settings', h('h2', 'Escalated alerts on this computer'),
    h('p.muted', 'When an alert is escalated to you, a banner appears on any portal page. Here you choose what else happens on this computer.'),
    h('div.check', sound, h('label', { for: 'esc-sound' }, 'Play a sound')),
    h('div.check', desktop, h('label', { for: 'esc-desktop' }, 'Show a desktop notification (no patient details)')),
    status, h('div.actions', test));
}

/** Where this account is signed in; any other sign-in can be ended from here (audited). */
function sessionsCard() {
  const list = h('ul.plain#own-sessions');
  const msg = h('div.notice', { role: 'status', hidden: true });
  const load = async () => {
    clear(list);
    try {
      const page = await get('/api/v1/sessions');
      for (const it of page.items) {
        const end = it.current ? h('span.badge', 'This browser')
          : h('button.btn.small.danger', { type: 'button', 'data-session': String(it.id) }, 'Sign out there');
        if (!it.current) {
          end.addEventListener('click', async () => {
            try {
              await del(`/api/v1/sessions/${it.id}`);
              msg.hidden = false; msg.className = 'notice success'; msg.textContent = 'That sign-in has ended.';
              announce('That sign-in has ended.');
              load();
            } catch (ex) { msg.hidden = false; msg.className = 'notice error'; msg.textContent = ex.message; }
          });
        }
        list.append(h('li.session-row',
          h('span', `Signed in ${new Date(it.createdAt).toLocaleString()}, last active ${new Date(it.lastSeenAt).toLocaleString()}`),
          ' ', end));
      }
    } catch (ex) { msg.hidden = false; msg.className = 'notice error'; msg.textContent = ex.message; }
  };
  load();
  return h('div.card#sessions-card', h('h2', 'Where you are signed in'),
    h('p.muted', 'Each browser or computer signed in to your account. Sign out one you no longer use, such as a shared computer.'),
    msg, list);
}

export function renderAccount(root) {
  clear(root);
  const s = session();
  const current = field('Current password', { type: 'password', autocomplete: 'current-password', required: true });
  const next = field('New password', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12 },
    'At least 12 characters. Long passphrases are best; common or breached passwords are refused.');
  const again = field('Repeat new password', { type: 'password', autocomplete: 'new-password', required: true });
  const msg = h('div.notice', { role: 'alert', hidden: true });
  const submit = h('button.btn.primary', { type: 'submit' }, 'Change password');
  const form = h('form.form.narrow', { novalidate: true }, current.el, next.el, again.el, msg, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.hidden = false;
    msg.className = 'notice error';
    if (next.input.value !== again.input.value) { msg.textContent = 'The new passwords do not match.'; again.input.focus(); return; }
    if (next.input.value.length < 12) { msg.textContent = 'The new password must have at least 12 characters.'; next.input.focus(); return; }
    submit.disabled = true;
    try {
      await post('/api/v1/auth/password', { current: current.input.value, next: next.input.value });
      sessionEnded('password_changed');
    } catch (ex) {
      msg.textContent = ex.code === 'signin_failed' ? 'The current password is not right.' : ex.message;
    } finally {
      submit.disabled = false;
    }
  });
  root.append(h('section.page', h('div.page-head', h('h1', 'Your account')),
    h('div.grid-2',
      h('div.card', h('h2', 'Profile'), h('dl.facts',
        h('dt', 'Name'), h('dd', s.user.displayName || '—'),
        h('dt', 'Role'), h('dd', s.user.role),
        h('dt', 'Two-step verification'), h('dd', s.user.role === 'patient' ? 'Optional for patients' : 'On (authenticator app)'),
        h('dt', 'Session ends'), h('dd', new Date(s.absoluteExpiresAt).toLocaleString()))),
      h('div.card', h('h2', 'Change password'), h('p.muted', 'Changing your password signs you out everywhere.'), form),
      sessionsCard(),
      s.user.role !== 'patient' ? escalationSettingsCard() : null,
      s.user.role === 'patient' && s.user.patientId ? reminderSettingsCard(s.user.patientId) : null)));
  return null;
}
