// A form that asks for the reason of an audited action before it runs (emergency access to a
// record, a past visit's chat and documents): the reason is required, the button is disabled
// while the request runs, and a refusal is shown in the form with the button enabled again.

import { h } from './dom.js';

/**
 * reasonForm({ id, className, heading, hint, button, missing, onSubmit }) returns the form.
 * `id` prefixes the field ids (`<id>-reason`, `<id>-hint`); `onSubmit(reason)` is awaited.
 */
export function reasonForm({ id, className, heading, hint, button, missing, onSubmit }) {
  const reason = h(`textarea#${id}-reason`, { rows: 3, maxlength: 500, required: true, 'aria-describedby': `${id}-hint` });
  const err = h('div.notice.error', { role: 'alert', hidden: true });
  const open = h('button.btn.danger', { type: 'submit' }, button);
  const form = h(`form.form.${className}`, { novalidate: true },
    heading ? h('h2', heading) : null,
    h(`p#${id}-hint.muted`, hint),
    h('label', { for: `${id}-reason` }, 'Reason (required)'), reason, err, h('div.actions', open));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { err.hidden = false; err.textContent = missing; reason.focus(); return; }
    open.disabled = true;
    try {
      await onSubmit(reason.value.trim());
    } catch (ex) {
      err.hidden = false;
      err.textContent = ex.message;
      open.disabled = false;
    }
  });
  form.focusReason = () => reason.focus();
  return form;
}
