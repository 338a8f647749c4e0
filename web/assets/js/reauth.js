// Step-up (issue 18): before a sensitive action (creating users, MFA reset, device credentials,
// alert limits) the box wants the password, and the code for users with two-step
// verification, entered within the last few minutes. It answers 403 reauth_required; api.js
// asks here, and on success repeats the request once. Cancel leaves the action undone.

import { h } from './dom.js';

let dialog = null;

/**
 * Asks the user to confirm who they are. `submit(password, code)` posts them (throws ApiError).
 * Resolves true once confirmed, false when the user cancels or the account is locked.
 */
export function confirmIdentity({ needsCode, submit }) {
  if (dialog) dialog.remove();
  return new Promise((resolve) => {
    const password = h('input#reauth-password', { type: 'password', autocomplete: 'current-password', required: true });
    const code = h('input#reauth-code', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxLength: 20, required: needsCode });
    const error = h('div.notice.error', { role: 'alert', hidden: true });
    const confirm = h('button.btn.primary', { type: 'submit' }, 'Confirm');
    const cancel = h('button.btn', { type: 'button' }, 'Cancel');
    const form = h('form.form', { novalidate: true },
      h('h2#reauth-title', 'Confirm it is you'),
      h('p#reauth-text', needsCode
        ? 'This action needs your password and a new code from your authenticator app.'
        : 'This action needs your password.'),
      error,
      h('label', { for: 'reauth-password' }, 'Password'), password,
      needsCode ? h('label', { for: 'reauth-code' }, 'Code from your authenticator app') : null,
      needsCode ? code : null,
      h('div.actions', confirm, cancel));
    dialog = h('dialog.dialog#reauth-dialog', { 'aria-labelledby': 'reauth-title', 'aria-describedby': 'reauth-text' }, form);
    const done = (ok) => {
      if (dialog && dialog.open) dialog.close();
      if (dialog) dialog.remove();
      dialog = null;
      resolve(ok);
    };
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    cancel.addEventListener('click', () => done(false));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!password.value || (needsCode && !code.value.trim())) {
        error.hidden = false;
        error.textContent = needsCode ? 'Enter your password and the code.' : 'Enter your password.';
        return;
      }
      confirm.disabled = true;
      try {
        await submit(password.value, needsCode ? code.value.trim() : '');
        done(true);
      } catch (err) {
        confirm.disabled = false;
        error.hidden = false;
        if (err && err.status === 423) {
          error.textContent = err.message;
          password.disabled = true;
          code.disabled = true;
          confirm.disabled = true;
          return;
        }
        error.textContent = needsCode
          ? 'The password or the code is not right. Wait for a new code and try again.'
          : 'The password is not right.';
        password.value = '';
        code.value = '';
        password.focus();
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    password.focus();
  });
}
