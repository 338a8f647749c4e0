// Sign-in: password, then the second factor (TOTP or a recovery code), or — for staff who have
// not enrolled yet — TOTP enrolment with a QR code and the one-time display of recovery codes.

import { h, clear, append, field, focusHeading, announce } from '../dom.js';
import { login, loginMfa, confirmEnrolment, announceSession, post, ApiError } from '../api.js';
import qrcode from '../../vendor/qrcode/qrcode.mjs';

export function renderSignIn(root, { notice } = {}) {
  clear(root);
  const card = h('section.signin-card', { 'aria-labelledby': 'signin-title' });
  root.append(h('div.signin-wrap', card,
    h('p.signin-foot', 'Authorised clinic staff and enrolled patients only. Every access is recorded.')));
  passwordStep(card, notice);
  return null;
}

function errorBox() {
  return h('div.notice.error', { role: 'alert', hidden: true });
}

function showError(box, e) {
  box.hidden = false;
  if (e instanceof ApiError) {
    if (e.code === 'locked') box.textContent = 'This account is locked after too many failed attempts. Try again in 30 minutes or ask an administrator to unlock it.';
    else if (e.code === 'signin_failed') box.textContent = 'E-mail, password or code is incorrect.';
    else if (e.code === 'rate_limited') box.textContent = 'Too many attempts. Wait a minute and try again.';
    else if (e.status === 404) box.textContent = 'Sign-in is not available on this box yet (the account service is not running).';
    else box.textContent = e.message || 'Sign-in failed.';
  } else {
    box.textContent = 'Sign-in failed. Try again.';
  }
}

function busy(button, on, label) {
  button.disabled = on;
  if (on) { button.dataset.label = button.textContent; button.textContent = label; } else if (button.dataset.label) button.textContent = button.dataset.label;
}

function passwordStep(card, notice) {
  clear(card);
  const email = field('E-mail', { type: 'email', name: 'email', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = field('Password', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const err = errorBox();
  const submit = h('button.btn.primary.block', { type: 'submit' }, 'Sign in');
  const form = h('form.form', { novalidate: true }, email.el, password.el, err, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    if (!email.input.value || !password.input.value) {
      err.hidden = false;
      err.textContent = 'Enter your e-mail and password.';
      (email.input.value ? password.input : email.input).focus();
      return;
    }
    busy(submit, true, 'Signing in…');
    try {
      const r = await login(email.input.value.trim(), password.input.value);
      if (r.status === 'mfa_required') codeStep(card, email.input.value.trim(), password.input.value);
      else if (r.status === 'password_change_required') newPasswordStep(card, email.input.value.trim(), password.input.value);
      else if (r.status === 'mfa_enrolment_required') enrolStep(card, r.enrolment);
      // 'ok': the shell switches views on the session change
    } catch (ex) {
      showError(err, ex);
      password.input.value = '';
      password.input.focus();
    } finally {
      busy(submit, false);
    }
  });
  append(card, [h('div.signin-head', h('span.logo.big', { 'aria-hidden': 'true' }), h('h1#signin-title', 'Sign in to Vigil')),
    notice ? h('div.notice.info', { role: 'status' }, notice) : null, form]);
  setTimeout(() => email.input.focus(), 0);
}

function codeStep(card, email, password) {
  clear(card);
  let recovery = false;
  const code = field('6-digit code from your authenticator app', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]*', maxlength: 6, required: true });
  const err = errorBox();
  const submit = h('button.btn.primary.block', { type: 'submit' }, 'Verify');
  const toggle = h('button.link', { type: 'button' }, 'Use a recovery code instead');
  toggle.addEventListener('click', () => {
    recovery = !recovery;
    const label = card.querySelector(`label[for="${code.input.id}"]`);
    label.textContent = recovery ? 'Recovery code (xxxx-xxxx-xxxx-xxxx)' : '6-digit code from your authenticator app';
    code.input.value = '';
    code.input.setAttribute('inputmode', recovery ? 'text' : 'numeric');
    code.input.setAttribute('maxlength', recovery ? '19' : '6');
    if (recovery) code.input.removeAttribute('pattern'); else code.input.setAttribute('pattern', '[0-9]*');
    toggle.textContent = recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead';
    code.input.focus();
  });
  const form = h('form.form', { novalidate: true }, code.el, err, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    busy(submit, true, 'Verifying…');
    try {
      const r = await loginMfa(email, password, code.input.value.trim());
      if (r.status === 'password_change_required') newPasswordStep(card, email, password, code.input.value.trim());
    } catch (ex) {
      showError(err, ex);
      code.input.select();
    } finally {
      busy(submit, false);
    }
  });
  const back = h('button.link', { type: 'button', onclick: () => passwordStep(card) }, 'Start over');
  card.append(h('h1#signin-title', 'Two-step verification'),
    h('p.muted', 'Open your authenticator app and enter the current code for Vigil.'), form,
    h('p.alt-actions', toggle, ' · ', back));
  focusHeading(card);
  setTimeout(() => code.input.focus(), 0);
}

/**
 * A one-time password (the first admin's, from `vigild setup`) opens nothing until the user
 * chooses their own: the box checks it against the same policy as any password.
 */
function newPasswordStep(card, email, oneTime, code) {
  clear(card);
  const next = field('New password', { type: 'password', name: 'new-password', autocomplete: 'new-password', required: true },
    'A passphrase of several words is long and easy to remember; common and breached passwords are refused.');
  const again = field('New password again', { type: 'password', name: 'new-password-again', autocomplete: 'new-password', required: true });
  const err = errorBox();
  const submit = h('button.btn.primary.block', { type: 'submit' }, 'Set password and continue');
  const form = h('form.form', { novalidate: true }, next.el, again.el, err, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    if (!next.input.value || next.input.value !== again.input.value) {
      err.hidden = false;
      err.textContent = next.input.value ? 'The two passwords differ.' : 'Choose a new password.';
      again.input.value = '';
      next.input.focus();
      return;
    }
    busy(submit, true, 'Saving…');
    try {
      const r = code ? await loginMfa(email, oneTime, code, next.input.value) : await login(email, oneTime, next.input.value);
      if (r.status === 'mfa_required') codeStep(card, email, next.input.value);
      else if (r.status === 'mfa_enrolment_required') enrolStep(card, r.enrolment);
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 422) {
        err.hidden = false;
        err.textContent = ex.message || 'The box does not accept this password.';
      } else showError(err, ex);
      next.input.select();
    } finally {
      busy(submit, false);
    }
  });
  const back = h('button.link', { type: 'button', onclick: () => passwordStep(card) }, 'Start over');
  card.append(h('h1#signin-title', 'Choose your password'),
    h('p.muted', 'You signed in with a one-time password. Choose your own before you go on; the one-time password stops working.'),
    form, h('p.alt-actions', back));
  focusHeading(card);
  setTimeout(() => next.input.focus(), 0);
}

/** Draws the otpauth URI as a QR code on a canvas (no network, no inline markup). */
export function qrCanvas(text, scale = 5) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  const size = (n + quiet * 2) * scale;
  const canvas = h('canvas.qr', { width: size, height: size, role: 'img', 'aria-label': 'QR code to add Vigil to your authenticator app' });
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = '#000';
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      if (qr.isDark(r, c)) ctx.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
    }
  }
  return canvas;
}

function enrolStep(card, enrolment) {
  clear(card);
  const code = field('Enter the 6-digit code the app shows', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, required: true });
  const err = errorBox();
  const submit = h('button.btn.primary.block', { type: 'submit' }, 'Confirm and continue');
  const secret = (enrolment.secret || '').replace(/(.{4})/g, '$1 ').trim();
  const form = h('form.form', { novalidate: true }, code.el, err, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    busy(submit, true, 'Confirming…');
    try {
      const r = await confirmEnrolment(code.input.value.trim());
      recoveryStep(card, r.recoveryCodes || []);
    } catch (ex) {
      err.hidden = false;
      err.textContent = ex.code === 'validation' ? 'That code is not right. Check the time on your phone and try the next code.' : ex.message;
      code.input.select();
    } finally {
      busy(submit, false);
    }
  });
  const restart = h('button.link', { type: 'button' }, 'Show a new code');
  restart.addEventListener('click', async () => {
    try { enrolStep(card, await post('/api/v1/auth/mfa/enrol')); } catch (ex) { showError(err, ex); }
  });
  card.classList.add('wide');
  card.append(h('h1#signin-title', 'Set up two-step verification'),
    h('p.muted', 'Your role needs a second step at sign-in. Scan this code with an authenticator app (for example FreeOTP, Google Authenticator or Microsoft Authenticator).'),
    h('div.enrol', h('div.qr-box', qrCanvas(enrolment.otpauthUri)),
      h('div', h('p', 'Cannot scan? Enter this key in the app:'), h('p.secret', { 'aria-label': 'Setup key' }, secret),
        h('p.muted.small', 'Time-based, 6 digits, every 30 seconds.'))),
    form, h('p.alt-actions', restart));
  focusHeading(card);
}

function recoveryStep(card, codes) {
  clear(card);
  const saved = h('input#codes-saved', { type: 'checkbox' });
  const cont = h('button.btn.primary.block', { type: 'button', disabled: true }, 'Continue to Vigil');
  saved.addEventListener('change', () => { cont.disabled = !saved.checked; });
  cont.addEventListener('click', () => announceSession());
  const download = h('button.btn', { type: 'button' }, 'Download as text file');
  download.addEventListener('click', () => {
    const blob = new Blob([`Vigil recovery codes (each works once)\n\n${codes.join('\n')}\n`], { type: 'text/plain' });
    const a = h('a', { href: URL.createObjectURL(blob), download: 'vigil-recovery-codes.txt' });
    document.body.append(a);
    a.click();
    a.remove();
  });
  card.append(h('h1#signin-title', 'Save your recovery codes'),
    h('p', 'If you lose your phone, each of these codes lets you sign in once. They are shown only now — store them somewhere safe, away from your phone.'),
    h('ol.codes', codes.map((c) => h('li', h('code', c)))),
    h('p.actions', download),
    h('div.check', saved, h('label', { for: 'codes-saved' }, 'I have saved my recovery codes')),
    cont);
  announce('Two-step verification is set up. Save your recovery codes.');
  focusHeading(card);
}
