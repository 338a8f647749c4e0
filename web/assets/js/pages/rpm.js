// RPM enrolment card (issue 21, docs/patients.md "RPM enrolment"), on a patient's chart and,
// read-only, on the patient's own page:
// - the active episodes (condition code and description, devices by kind and model, since when,
//   billable or not) and the ended ones (end date and reason);
// - for providers: the enrol form (condition code and description, the patient's assigned
//   devices ticked by name, start date) and an end form per active episode (date and reason);
// - when the patient holds no active RPM consent, the card says so instead of the form.
// Everything the API sends is shown as text (dom.js never builds markup from data).

import { h, clear, field, announce } from '../dom.js';
import { get, post, ApiError } from '../api.js';

const KINDS = { blood_pressure: 'Blood pressure monitor', pulse_oximeter: 'Pulse oximeter', weight_scale: 'Weight scale', thermometer: 'Thermometer', glucometer: 'Glucose meter', heart_rate: 'Heart-rate monitor', hub: 'Hub' };
const END_REASONS = [['completed', 'Episode completed'], ['patient_request', 'Patient asked to stop'], ['not_medically_necessary', 'No longer medically necessary'], ['other', 'Other']];
const REASON_LABELS = Object.fromEntries([...END_REASONS, ['consent_withdrawn', 'Patient withdrew RPM consent']]);

function deviceName(d) {
  return [KINDS[d.kind] || d.kind, d.model].filter(Boolean).join(' · ') || d.uid;
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function errorText(e) {
  if (e instanceof ApiError) {
    if (e.code === 'consent_required') return 'The patient has not signed the RPM consent.';
    if (e.code === 'already_enrolled') return 'The patient is already enrolled for this condition.';
    return e.message;
  }
  return 'Something went wrong. Try again.';
}

/**
 * The card for `patientId`; `canEnrol` (providers) adds the enrol and end forms. Returns null when
 * the reader may not see enrolments.
 */
export async function rpmEnrolmentCard(patientId, { canEnrol = false, own = false } = {}) {
  const card = h('section.card.rpm', { 'aria-labelledby': 'rpm-title', 'data-testid': 'rpm-card' });
  async function load() {
    let data;
    try {
      data = await get(`/api/v1/patients/${patientId}/rpm-enrolments`);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return false;
      throw e;
    }
    clear(card).append(h('h2#rpm-title', own ? 'My remote monitoring' : 'RPM enrolment'));
    const active = data.enrolments.filter((e) => e.active);
    const ended = data.enrolments.filter((e) => !e.active);
    if (!data.consentActive) {
      card.append(h('p.notice.rpm-no-consent', own
        ? 'You have not signed the remote monitoring consent (or a new version needs your signature).'
        : 'The patient has no active RPM consent: they must sign it before enrolment, and open episodes are not billable.'));
    }
    if (active.length) {
      card.append(h('ul.rpm-list', active.map((e) => h('li.rpm-active', { 'data-code': e.conditionCode },
        h('strong', `${e.conditionCode} `), e.conditionDescription,
        h('div.muted', `Since ${e.startDate}${e.billable ? '' : ' · not billable until the consent is signed'}`),
        h('div', 'Devices: ', e.devices.map(deviceName).join(', ') || 'none'),
        canEnrol ? endForm(e) : null))));
    } else {
      card.append(h('p.muted', own ? 'You are not enrolled in remote monitoring.' : 'Not enrolled in remote monitoring.'));
    }
    if (ended.length) {
      card.append(h('details.rpm-ended', h('summary', `Ended episodes (${ended.length})`),
        h('ul', ended.map((e) => h('li.rpm-ended-item', { 'data-code': e.conditionCode },
          `${e.conditionCode} ${e.conditionDescription}: ${e.startDate} to ${e.endDate} (${REASON_LABELS[e.endReason] || e.endReason})`)))));
    }
    if (canEnrol && data.consentActive) card.append(await enrolForm());
    return true;
  }

  function endForm(e) {
    const date = h('input', { type: 'date', value: today(), 'aria-label': `End date of ${e.conditionCode}` });
    const reason = h('select', { 'aria-label': `End reason of ${e.conditionCode}` }, END_REASONS.map(([v, l]) => h('option', { value: v }, l)));
    const error = h('span.error', { role: 'alert' });
    const form = h('form.rpm-end.inline', date, reason, h('button.btn.small', { type: 'submit' }, 'End episode'), error);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await post(`/api/v1/patients/${patientId}/rpm-enrolments/${e.id}/end`, { endDate: date.value, reason: reason.value });
        announce(`RPM episode for ${e.conditionCode} ended`);
        await load();
      } catch (err) { error.textContent = errorText(err); }
    });
    return form;
  }

  async function enrolForm() {
    const devices = await get(`/api/v1/patients/${patientId}/devices`).catch(() => ({ items: [] }));
    const items = (devices.items || []).filter((d) => d.status !== 'retired');
    const code = field('Condition (ICD-10-CM code)', { id: 'rpm-code', required: true, maxLength: 8, placeholder: 'I10', autocomplete: 'off' }, 'For example I10, I50.9, E11.9, J44.9');
    const desc = field('Condition description', { id: 'rpm-desc', required: true, maxLength: 200 });
    const start = field('Start of device set-up and education', { id: 'rpm-start', type: 'date', value: today(), required: true });
    const boxes = items.map((d) => {
      const id = `rpm-dev-${d.id}`;
      return { d, input: h('input', { type: 'checkbox', id, value: String(d.id) }), id };
    });
    const error = h('div.notice.error', { role: 'alert', hidden: true });
    const form = h('form.rpm-enrol', { 'aria-label': 'Enrol in remote monitoring' },
      h('h3', 'Enrol in remote monitoring'), code.el, desc.el,
      h('fieldset', h('legend', 'Devices used'),
        boxes.length ? boxes.map((b) => h('div.field.inline', b.input, h('label', { for: b.id }, deviceName(b.d))))
          : h('p.muted', 'No device is assigned to the patient: assign one first.')),
      start.el, error, h('button.btn.primary', { type: 'submit', disabled: !boxes.length }, 'Enrol'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const deviceIds = boxes.filter((b) => b.input.checked).map((b) => b.d.id);
      if (!deviceIds.length) { error.hidden = false; error.textContent = 'Choose at least one device.'; return; }
      try {
        await post(`/api/v1/patients/${patientId}/rpm-enrolments`, {
          conditionCode: code.input.value.trim().toUpperCase(), conditionDescription: desc.input.value.trim(), deviceIds, startDate: start.input.value,
        });
        announce('Enrolled in remote monitoring');
        await load();
      } catch (err) { error.hidden = false; error.textContent = errorText(err); }
    });
    return form;
  }

  return (await load()) ? card : null;
}
