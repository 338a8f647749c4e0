// Appointment reminder settings (issue 22, docs/scheduling.md#reminders): how the patient is
// reminded 24 h and 1 h before a visit (e-mail, text message or not at all) and how much the
// message may say (only the clinic and the time, or also the provider and the visit type). The
// patient's own on their Account page; staff see and change them when booking for a patient.
// A message never carries a diagnosis or a note; the address is the record's contact section.

import { h, announce } from '../dom.js';
import { get, put } from '../api.js';

/** A card that loads and saves `patientId`'s reminder settings. */
export function reminderSettingsCard(patientId, { staff = false } = {}) {
  const channel = h('select#reminder-channel',
    h('option', { value: 'email' }, 'E-mail'),
    h('option', { value: 'sms' }, 'Text message (SMS)'),
    h('option', { value: 'none' }, 'No reminders'));
  const detail = h('select#reminder-detail',
    h('option', { value: 'minimal' }, 'Only the clinic and the time'),
    h('option', { value: 'detailed' }, 'Also the provider and the type of visit'));
  const msg = h('div.notice', { role: 'status', hidden: true });
  const save = h('button.btn.small', { type: 'button' }, 'Save reminder settings');
  const show = (s) => { channel.value = s.channel; detail.value = s.detail; };
  save.addEventListener('click', async () => {
    save.disabled = true;
    try {
      show(await put(`/api/v1/patients/${patientId}/reminder-settings`, { channel: channel.value, detail: detail.value }));
      msg.hidden = false; msg.className = 'notice success'; msg.textContent = 'Reminder settings saved.';
      announce('Reminder settings saved.');
    } catch (ex) {
      msg.hidden = false; msg.className = 'notice error'; msg.textContent = ex.message;
    } finally {
      save.disabled = false;
    }
  });
  get(`/api/v1/patients/${patientId}/reminder-settings`).then(show).catch((ex) => {
    msg.hidden = false; msg.className = 'notice error'; msg.textContent = ex.message;
  });
  return h('div.card#reminder-settings', { 'data-testid': 'reminder-settings' },
    h('h2', 'Appointment reminders'),
    h('p.muted', staff
      ? 'Reminders go 24 hours and 1 hour before each visit to the address or phone number on the patient\'s record.'
      : 'We remind you 24 hours and 1 hour before each visit, at the e-mail address or phone number on your record. A video visit\'s reminder has its join link.'),
    h('div.field', h('label', { for: 'reminder-channel' }, 'Remind me by'), channel),
    h('div.field', h('label', { for: 'reminder-detail' }, 'The message may say'), detail),
    h('p.muted', 'A reminder never says why you are seen.'),
    msg, h('div.actions', save));
}
