// The signed-in user's account: password change (ends every session) and second-factor status.

import { h, clear, field } from '../dom.js';
import { post, session, sessionEnded } from '../api.js';

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
      h('div.card', h('h2', 'Change password'), h('p.muted', 'Changing your password signs you out everywhere.'), form))));
  return null;
}
