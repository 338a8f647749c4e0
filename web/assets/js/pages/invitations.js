// Patient invitations (issue 21, docs/patients.md#onboarding).
// - Staff, on a patient's chart: "Portal invitation": invite by e-mail, see earlier invitations
//   and withdraw an open one. The link is shown once, right after it is made (the box keeps only
//   its hash): with the cloud link enrolled the e-mail has gone out too; without it the staff
//   member hands the link over.
// - The patient (#/welcome/<token>, before they have an account): confirm the birth date, choose
//   a password, then sign in. The token is sent in request bodies only and removed from the
//   address bar once read.

import { h, clear, field, focusHeading, announce } from '../dom.js';
import { get, post, ApiError } from '../api.js';

const STATE_LABEL = { open: 'Waiting', used: 'Account created', revoked: 'Withdrawn', expired: 'Expired' };

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** The staff card on a patient's chart. */
export function invitationCard(patientId) {
  const card = h('section.card.invitations', { 'aria-labelledby': 'inv-title' }, h('h2#inv-title', 'Portal invitation'));
  const msg = h('div', { role: 'status' });
  const list = h('div.inv-list');
  const email = field('Patient e-mail', { type: 'email', autocomplete: 'off', required: true, maxlength: 254 });
  const button = h('button.btn.small', { type: 'submit' }, 'Send invitation');
  const form = h('form.inv-form', email.el, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    clear(msg);
    try {
      const made = await post(`/api/v1/patients/${patientId}/invitations`, { email: email.input.value.trim() });
      email.input.value = '';
      const linkBox = h('input.inv-link', { type: 'text', readonly: true, value: made.link, 'aria-label': 'Invitation link' });
      msg.append(h('div.notice.success',
        h('p', made.delivery === 'email'
          ? `Invitation e-mailed through the cloud link. It expires ${when(made.expiresAt)}.`
          : `The cloud link is not enrolled, so no e-mail was sent: give the patient this link. It expires ${when(made.expiresAt)}.`),
        h('p.hint', 'Shown once: the box keeps only a fingerprint of it.'), linkBox));
      announce('Invitation created');
      await load();
    } catch (ex) {
      const text = ex instanceof ApiError && ex.code === 'already_registered'
        ? 'This patient already has a portal account.' : ex.message;
      msg.append(h('div.notice.error', { role: 'alert' }, text));
    } finally {
      button.disabled = false;
    }
  });
  async function load() {
    clear(list);
    let r;
    try { r = await get(`/api/v1/patients/${patientId}/invitations`); } catch (ex) { list.append(h('p.muted', ex.message)); return; }
    if (!r.items.length) { list.append(h('p.muted', 'Not invited yet.')); return; }
    list.append(h('ul.inv-items', r.items.map((inv) => h('li',
      h('span', `${STATE_LABEL[inv.state] || inv.state} · ${inv.email}`),
      h('span.muted', ` sent ${when(inv.createdAt)} (${inv.delivery === 'email' ? 'e-mail' : 'link handed over'})`),
      inv.state === 'open' ? h('button.btn.small.link', {
        type: 'button',
        onclick: async () => { await post(`/api/v1/patients/${patientId}/invitations/${inv.id}/revoke`, {}); announce('Invitation withdrawn'); load(); },
      }, 'Withdraw') : null))));
  }
  card.append(form, msg, list);
  load();
  return card;
}

function refusalText(e) {
  if (!(e instanceof ApiError)) return 'Something went wrong. Try again.';
  switch (e.code) {
    case 'used': return 'This link has been used already. Sign in with your e-mail address and password.';
    case 'expired': return 'This link has expired. Ask the clinic for a new invitation.';
    case 'revoked': return 'This link was withdrawn. Ask the clinic for a new invitation.';
    case 'not_found':
    case 'unknown': return 'This link is not valid. Check that you opened the whole link from the e-mail.';
    case 'birth_date_mismatch': return e.message.includes('withdrawn')
      ? 'Too many wrong birth dates: this link was withdrawn. Ask the clinic for a new invitation.'
      : 'The birth date does not match the clinic\'s record. Check it and try again.';
    case 'rate_limited': return 'Too many attempts. Wait a minute and try again.';
    case 'validation': return e.message.startsWith('password') ? `Choose another password (${e.message.replace('password: ', '').replace('_', ' ')}): at least 10 characters, not a common or repetitive one.` : e.message;
    default: return e.message;
  }
}

/** The patient's welcome page (#/welcome/<token>), shown signed out. */
export async function renderWelcome(root, token) {
  clear(root);
  // The token has been read: keep it out of the address bar and the history.
  history.replaceState(null, '', `${location.pathname}#/welcome`);
  const card = h('section.signin-card', { 'aria-labelledby': 'welcome-title' }, h('h1#welcome-title', 'Welcome to your clinic\'s portal'));
  root.append(h('div.signin-wrap', card));
  const box = h('div.notice.error', { role: 'alert', hidden: true });
  let check;
  try {
    check = await post('/api/v1/invitations/check', { token });
  } catch (e) {
    card.append(h('div.notice.error', { role: 'alert' }, refusalText(e)), h('p', h('a', { href: '#/' }, 'Go to sign-in')));
    return null;
  }
  if (check.state !== 'open') {
    card.append(h('div.notice.error', { role: 'alert' }, refusalText(new ApiError(410, check.state, check.state))), h('p', h('a', { href: '#/' }, 'Go to sign-in')));
    return null;
  }
  const birth = check.needsBirthDate ? field('Your date of birth', { type: 'date', required: true }, 'To make sure this invitation reached you.') : null;
  const pw = field('Choose a password', { type: 'password', autocomplete: 'new-password', required: true, minlength: 10 }, 'At least 10 characters. A few unrelated words make a good one.');
  const pw2 = field('Password again', { type: 'password', autocomplete: 'new-password', required: true });
  const button = h('button.btn.primary', { type: 'submit' }, 'Create my account');
  const form = h('form', h('p', `This invitation is valid until ${when(check.expiresAt)} and works once.`), box, birth ? birth.el : null, pw.el, pw2.el, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    box.hidden = true;
    if (pw.input.value !== pw2.input.value) { box.hidden = false; box.textContent = 'The two passwords differ.'; pw2.input.focus(); return; }
    button.disabled = true;
    let ended = false;
    try {
      await post('/api/v1/invitations/accept', { token, birthDate: birth ? birth.input.value : '', password: pw.input.value });
      clear(card).append(h('h1', 'Your account is ready'),
        h('div.notice.success', { role: 'status' }, 'Sign in with the e-mail address the invitation was sent to and your new password.'),
        h('p', h('a.btn.primary', { href: '#/' }, 'Sign in')));
      focusHeading(card);
    } catch (ex) {
      box.hidden = false;
      box.textContent = refusalText(ex);
      ended = ex instanceof ApiError && (['used', 'expired', 'revoked'].includes(ex.code) || ex.message.includes('withdrawn'));
      if (ended) form.querySelectorAll('input, button').forEach((el) => { el.disabled = true; });
    } finally {
      if (!ended) button.disabled = false;
    }
  });
  card.append(form);
  return null;
}
